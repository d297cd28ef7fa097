"""GTZAN: 1,000 thirty-second 22.05 kHz music clips, 100 in each of ten genres."""
import os

from ember.utils.data import Dataset
from ember.utils.download import download_and_extract_archive

from .._io import load

URL = "http://opihi.cs.uvic.ca/sound/genres.tar.gz"
FOLDER_IN_ARCHIVE = "genres"
GENRES = ("blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop",
          "reggae", "rock")


class GTZAN(Dataset):
    """Items are `(waveform, sample_rate, label)` with `label` the genre name.

    The archive holds `genres/<genre>/<genre>.<5 digits>.wav`; every such file present is an
    item (files may be removed or added). `checksums` (SHA-256 by URL) and `mirrors` are data.
    Only `subset=None` is supported: torchaudio's fault-filtered training/validation/testing
    lists are not bundled here.
    """

    checksums = {URL: "24347e0223d2ba798e0a558c4c172d9d4a19c00bb7963fe055d183dadb4ef2c6"}
    mirrors = ()

    def __init__(self, root, url=URL, folder_in_archive=FOLDER_IN_ARCHIVE, download=False,
                 subset=None):
        if subset is not None:
            raise ValueError(f"GTZAN: subset {subset!r} is not available (the filtered split "
                             "lists are not bundled); use subset=None")
        root = os.path.expanduser(os.fspath(root))
        self._path = os.path.join(root, folder_in_archive)
        if download and not os.path.isdir(self._path):
            download_and_extract_archive(url, root, checksum=self.checksums.get(url),
                                         mirrors=self.mirrors)
        if not os.path.isdir(self._path):
            raise RuntimeError(f"GTZAN: dataset not found at {self._path}; use download=True "
                               "to download it")
        self._walker = []
        for genre in GENRES:
            folder = os.path.join(self._path, genre)
            if not os.path.isdir(folder):
                continue
            for name in sorted(os.listdir(folder)):
                stem, ext = os.path.splitext(name)
                prefix, _, number = stem.partition(".")
                if ext.lower() == ".wav" and prefix == genre and len(number) == 5 \
                        and number.isdigit():
                    self._walker.append(stem)

    def __getitem__(self, n):
        fileid = self._walker[n]
        genre = fileid.split(".")[0]
        waveform, sample_rate = load(os.path.join(self._path, genre, fileid + ".wav"))
        return waveform, sample_rate, genre

    def __len__(self):
        return len(self._walker)
