"""LJSpeech 1.1: 13,100 22.05 kHz clips of one speaker reading, with normalized transcripts."""
import csv
import os
import urllib.parse

from ember.utils.data import Dataset
from ember.utils.download import download_and_extract_archive

from .._io import load

URL = "https://data.keithito.com/data/speech/LJSpeech-1.1.tar.bz2"
FOLDER_IN_ARCHIVE = "wavs"


class LJSPEECH(Dataset):
    """Items are `(waveform, sample_rate, transcript, normalized_transcript)`.

    The archive holds `LJSpeech-1.1/metadata.csv` (`id|transcript|normalized`, no quoting) and
    `LJSpeech-1.1/wavs/<id>.wav`. `checksums` (SHA-256 by URL) and `mirrors` are data.
    """

    checksums = {URL: "be1a30453f28eb8dd26af4101ae40cbf2c50413b1bb21936cbcdc6fae3de8aa5"}
    mirrors = ()

    def __init__(self, root, url=URL, folder_in_archive=FOLDER_IN_ARCHIVE, download=False):
        root = os.path.expanduser(os.fspath(root))
        basename = os.path.basename(urllib.parse.urlparse(url).path).split(".tar.bz2")[0]
        self._path = os.path.join(root, basename, folder_in_archive)
        self._metadata_path = os.path.join(root, basename, "metadata.csv")
        if download and not os.path.isdir(self._path):
            download_and_extract_archive(url, root, checksum=self.checksums.get(url),
                                         mirrors=self.mirrors)
        if not os.path.isfile(self._metadata_path):
            raise RuntimeError(f"LJSPEECH: dataset not found at {self._metadata_path}; use "
                               "download=True to download it")
        with open(self._metadata_path, newline="", encoding="utf-8") as f:
            self._flist = list(csv.reader(f, delimiter="|", quoting=csv.QUOTE_NONE))

    def __getitem__(self, n):
        fileid, transcript, normalized_transcript = self._flist[n]
        waveform, sample_rate = load(os.path.join(self._path, fileid + ".wav"))
        return waveform, sample_rate, transcript, normalized_transcript

    def __len__(self):
        return len(self._flist)
