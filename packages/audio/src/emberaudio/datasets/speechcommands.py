"""Speech Commands (v0.01 / v0.02): one-second 16 kHz clips of 35 spoken keywords."""
import os

from ember.utils.data import Dataset
from ember.utils.download import download_and_extract_archive

from .._io import load

URL = "speech_commands_v0.02"
FOLDER_IN_ARCHIVE = "SpeechCommands"
BASE_URL = "http://download.tensorflow.org/data/"
HASH_DIVIDER = "_nohash_"
# Long background recordings for mixing, not keyword clips.
EXCEPT_FOLDER = "_background_noise_"
SAMPLE_RATE = 16000


def _load_list(root, filename):
    with open(os.path.join(root, filename)) as f:
        return [os.path.normpath(os.path.join(root, line.strip())) for line in f if line.strip()]


class SPEECHCOMMANDS(Dataset):
    """Items are `(waveform, sample_rate, label, speaker_id, utterance_number)`.

    The archive has no top folder: `<word>/<speaker>_nohash_<n>.wav`, `validation_list.txt`,
    `testing_list.txt` and `_background_noise_/`; it is unpacked into
    `root/SpeechCommands/speech_commands_v0.02`. `subset` is None (every clip), "training"
    (those in neither list), "validation" or "testing". `url` is "speech_commands_v0.01",
    "speech_commands_v0.02" or a full URL; `checksums` (SHA-256 by URL) and `mirrors` are data.
    """

    checksums = {
        BASE_URL + "speech_commands_v0.01.tar.gz":
            "743935421bb51cccdb6bdd152e04c5c70274e935c82119ad7faeec31780d811d",
        BASE_URL + "speech_commands_v0.02.tar.gz":
            "af14739ee7dc311471de98f5f9d2c9191b18aedfe957f4a6ff791c709868ff58",
    }
    mirrors = ()

    def __init__(self, root, url=URL, folder_in_archive=FOLDER_IN_ARCHIVE, download=False,
                 subset=None):
        if subset not in (None, "training", "validation", "testing"):
            raise ValueError(f"SPEECHCOMMANDS: subset must be None, 'training', 'validation' or "
                             f"'testing', got {subset!r}")
        if url in ("speech_commands_v0.01", "speech_commands_v0.02"):
            url = BASE_URL + url + ".tar.gz"
        root = os.path.expanduser(os.fspath(root))
        basename = os.path.basename(url).rsplit(".", 2)[0]
        self._path = os.path.join(root, folder_in_archive, basename)
        if download and not os.path.isdir(self._path):
            download_and_extract_archive(url, root, self._path,
                                         checksum=self.checksums.get(url),
                                         mirrors=self.mirrors)
        if not os.path.isdir(self._path):
            raise RuntimeError(f"SPEECHCOMMANDS: dataset not found at {self._path}; use "
                               "download=True to download it")
        if subset in ("validation", "testing"):
            self._walker = _load_list(self._path, f"{subset}_list.txt")
            return
        clips = sorted(os.path.join(self._path, word, name)
                       for word in os.listdir(self._path)
                       if word != EXCEPT_FOLDER and os.path.isdir(os.path.join(self._path, word))
                       for name in os.listdir(os.path.join(self._path, word))
                       if HASH_DIVIDER in name and name.endswith(".wav"))
        if subset == "training":
            held_out = set(_load_list(self._path, "validation_list.txt")
                           + _load_list(self._path, "testing_list.txt"))
            clips = [c for c in clips if c not in held_out]
        self._walker = clips

    def get_metadata(self, n):
        """`(relative path, sample_rate, label, speaker_id, utterance_number)` of item `n`."""
        relpath = os.path.relpath(self._walker[n], self._path)
        label, filename = os.path.split(relpath)
        speaker, utterance = os.path.splitext(filename)[0].split(HASH_DIVIDER)
        return relpath, SAMPLE_RATE, label, speaker, int(utterance)

    def __getitem__(self, n):
        relpath, _, label, speaker, utterance = self.get_metadata(n)
        waveform, sample_rate = load(os.path.join(self._path, relpath))
        return waveform, sample_rate, label, speaker, utterance

    def __len__(self):
        return len(self._walker)
