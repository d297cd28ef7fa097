"""LibriSpeech: 16 kHz read English speech with transcripts, in the OpenSLR subsets."""
import os

from ember.utils.data import Dataset
from ember.utils.download import download_and_extract_archive

from .._io import load

URL = "train-clean-100"
FOLDER_IN_ARCHIVE = "LibriSpeech"
BASE_URL = "http://www.openslr.org/resources/12/"
SAMPLE_RATE = 16000
_SUBSETS = ("dev-clean", "dev-other", "test-clean", "test-other", "train-clean-100",
            "train-clean-360", "train-other-500")


class LIBRISPEECH(Dataset):
    """Items are `(waveform, sample_rate, transcript, speaker_id, chapter_id, utterance_id)`.

    `url` names a subset ("train-clean-100", ...); its archive `<subset>.tar.gz` holds
    `LibriSpeech/<subset>/<speaker>/<chapter>/<speaker>-<chapter>-<utt>.flac` beside
    `<speaker>-<chapter>.trans.txt`. `checksums` (SHA-256 by URL) and `mirrors` are data.
    """

    checksums = {
        BASE_URL + "dev-clean.tar.gz":
            "76f87d090650617fca0cac8f88b9416e0ebf80350acb97b343a85fa903728ab3",
        BASE_URL + "dev-other.tar.gz":
            "12661c48e8c3fe1de2c1caa4c3e135193bfb1811584f11f569dd12645aa84365",
        BASE_URL + "test-clean.tar.gz":
            "39fde525e59672dc6d1551919b1478f724438a95aa55f874b576be21967e6c23",
        BASE_URL + "test-other.tar.gz":
            "d09c181bba5cf717b3dee7d4d592af11a3ee3a09e08ae025c5506f6ebe961c29",
        BASE_URL + "train-clean-100.tar.gz":
            "d4ddd1d5a6ab303066f14971d768ee43278a5f2a0aa43dc716b0e64ecbbbf6e2",
        BASE_URL + "train-clean-360.tar.gz":
            "146a56496217e96c14334a160df97fffedd6e0a04e66b9c5af0d40be3c792ecf",
        BASE_URL + "train-other-500.tar.gz":
            "ddb22f27f96ec163645d53215559df6aa36515f26e01dd70798188350adcb6d2",
    }
    mirrors = ()
    _ext_txt = ".trans.txt"
    _ext_audio = ".flac"

    def __init__(self, root, url=URL, folder_in_archive=FOLDER_IN_ARCHIVE, download=False):
        if url not in _SUBSETS:
            raise ValueError(f"LIBRISPEECH: invalid url {url!r}; expected one of {_SUBSETS}")
        root = os.path.expanduser(os.fspath(root))
        self._url = url
        self._archive = os.path.join(root, folder_in_archive)
        self._path = os.path.join(self._archive, url)
        if download and not os.path.isdir(self._path):
            archive = BASE_URL + url + ".tar.gz"
            download_and_extract_archive(archive, root, checksum=self.checksums.get(archive),
                                         mirrors=self.mirrors)
        if not os.path.isdir(self._path):
            raise RuntimeError(f"LIBRISPEECH: dataset not found at {self._path}; use "
                               "download=True to download it")
        self._walker = sorted(
            name[:-len(self._ext_audio)]
            for speaker in os.listdir(self._path)
            if os.path.isdir(os.path.join(self._path, speaker))
            for chapter in os.listdir(os.path.join(self._path, speaker))
            for name in os.listdir(os.path.join(self._path, speaker, chapter))
            if name.endswith(self._ext_audio))

    def get_metadata(self, n):
        """`(path relative to the LibriSpeech folder, sample_rate, transcript, speaker_id,
        chapter_id, utterance_id)` of item `n`: everything but the audio."""
        fileid = self._walker[n]
        speaker, chapter, utterance = fileid.split("-")
        folder = os.path.join(self._url, speaker, chapter)
        transcripts = os.path.join(self._archive, folder, f"{speaker}-{chapter}{self._ext_txt}")
        with open(transcripts) as f:
            for line in f:
                key, _, transcript = line.strip().partition(" ")
                if key == fileid:
                    break
            else:
                raise FileNotFoundError(f"LIBRISPEECH: no transcript for {fileid} in "
                                        f"{transcripts}")
        return (os.path.join(folder, fileid + self._ext_audio), SAMPLE_RATE, transcript,
                int(speaker), int(chapter), int(utterance))

    def __getitem__(self, n):
        metadata = self.get_metadata(n)
        waveform, sample_rate = load(os.path.join(self._archive, metadata[0]))
        if sample_rate != metadata[1]:
            raise ValueError(f"LIBRISPEECH: {metadata[0]} has sample rate {sample_rate}, "
                             f"expected {metadata[1]}")
        return (waveform,) + metadata[1:]

    def __len__(self):
        return len(self._walker)
