"""YESNO: 60 recordings of one speaker saying eight yes/no words in Hebrew (8 kHz)."""
import os

from ember.utils.data import Dataset
from ember.utils.download import download_and_extract_archive

from .._io import load

URL = "http://www.openslr.org/resources/1/waves_yesno.tar.gz"
FOLDER_IN_ARCHIVE = "waves_yesno"


class YESNO(Dataset):
    """Items are `(waveform, sample_rate, labels)`; `labels` lists the eight 0/1 words.

    The archive holds `waves_yesno/<l0>_<l1>_..._<l7>.wav`. `checksums` maps each URL to its
    SHA-256; `mirrors` (base URLs ending in "/") are tried before the URL.
    """

    checksums = {URL: "c3f49e0cca421f96b75b41640749167b52118f232498667ca7a5f9416aef8e73"}
    mirrors = ()

    def __init__(self, root, url=URL, folder_in_archive=FOLDER_IN_ARCHIVE, download=False):
        root = os.path.expanduser(os.fspath(root))
        self._path = os.path.join(root, folder_in_archive)
        if download and not os.path.isdir(self._path):
            download_and_extract_archive(url, root, checksum=self.checksums.get(url),
                                         mirrors=self.mirrors)
        if not os.path.isdir(self._path):
            raise RuntimeError(f"YESNO: dataset not found at {self._path}; use download=True "
                               "to download it")
        self._walker = sorted(name[:-4] for name in os.listdir(self._path)
                              if name.endswith(".wav"))

    def __getitem__(self, n):
        fileid = self._walker[n]
        waveform, sample_rate = load(os.path.join(self._path, fileid + ".wav"))
        return waveform, sample_rate, [int(c) for c in fileid.split("_")]

    def __len__(self):
        return len(self._walker)
