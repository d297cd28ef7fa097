"""emberaudio.datasets against tiny archives in the real layouts, served from 127.0.0.1."""
import hashlib
import io
import os
import tarfile

import numpy as np
import pytest
from local_http_server import serve

import ember
import emberaudio
from emberaudio.datasets import GTZAN, LIBRISPEECH, LJSPEECH, SPEECHCOMMANDS, YESNO


def _audio(path, sample_rate=8000, seconds=0.05, freq=440.0, fmt=None):
    t = np.arange(int(sample_rate * seconds)) / sample_rate
    wave = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)[None]
    emberaudio.save(path, ember.tensor(wave), sample_rate, format=fmt)


def _tar(src_dir, mode="w:gz"):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        for name in sorted(os.listdir(src_dir)):
            tar.add(os.path.join(src_dir, name), arcname=name)
    return buf.getvalue()


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


@pytest.fixture
def server():
    with serve() as s:
        yield s


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _yesno_archive(tmp_path):
    src = tmp_path / "src"
    os.makedirs(src / "waves_yesno")
    for name in ("0_1_0_0_1_0_1_1", "1_1_1_1_0_0_0_0"):
        _audio(str(src / "waves_yesno" / f"{name}.wav"))
    return _tar(src)


def test_yesno_download_with_checksum_through_mirror(tmp_path, server, monkeypatch):
    data = _yesno_archive(tmp_path)
    server.files["/m/waves_yesno.tar.gz"] = data
    monkeypatch.setattr(YESNO, "checksums", {"http://www.openslr.org/resources/1/"
                                             "waves_yesno.tar.gz": _sha256(data)})
    monkeypatch.setattr(YESNO, "mirrors", (server.url("/m/"),))
    ds = YESNO(tmp_path / "root", download=True)
    assert len(ds) == 2
    waveform, sample_rate, labels = ds[0]
    assert sample_rate == 8000 and tuple(waveform.shape) == (1, 400)
    assert labels == [0, 1, 0, 0, 1, 0, 1, 1]
    # A second construction reuses the files: no new request.
    count = len(server.requests)
    assert len(YESNO(tmp_path / "root", download=True)) == 2
    assert len(server.requests) == count


def test_yesno_wrong_checksum_is_refused(tmp_path, server, monkeypatch):
    data = _yesno_archive(tmp_path)
    server.files["/waves_yesno.tar.gz"] = data
    url = server.url("/waves_yesno.tar.gz")
    monkeypatch.setattr(YESNO, "checksums", {url: "0" * 64})
    with pytest.raises(RuntimeError, match="hash"):
        YESNO(tmp_path / "root", url=url, download=True)
    assert not os.path.exists(tmp_path / "root" / "waves_yesno.tar.gz")


def test_missing_dataset_and_offline_mode(tmp_path, monkeypatch):
    with pytest.raises(RuntimeError, match="YESNO: dataset not found"):
        YESNO(tmp_path)
    monkeypatch.setenv("EMBER_OFFLINE", "1")
    with pytest.raises(RuntimeError, match="offline mode"):
        YESNO(tmp_path, url="http://127.0.0.1:9/waves_yesno.tar.gz", download=True)


def test_unsafe_archive_member_is_refused(tmp_path, server):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    server.files["/waves_yesno.tar.gz"] = buf.getvalue()
    with pytest.raises(RuntimeError, match="outside"):
        YESNO(tmp_path / "root", url=server.url("/waves_yesno.tar.gz"), download=True)
    assert not os.path.exists(tmp_path / "escape.txt")


def _speechcommands_archive(tmp_path):
    src = tmp_path / "sc"
    clips = ["yes/aa11_nohash_0.wav", "yes/bb22_nohash_1.wav", "no/aa11_nohash_0.wav",
             "no/cc33_nohash_2.wav", "up/dd44_nohash_0.wav"]
    for clip in clips:
        os.makedirs(src / os.path.dirname(clip), exist_ok=True)
        _audio(str(src / clip), sample_rate=16000)
    os.makedirs(src / "_background_noise_")
    _audio(str(src / "_background_noise_" / "white_noise.wav"), sample_rate=16000)
    _write(str(src / "validation_list.txt"), "yes/bb22_nohash_1.wav\n")
    _write(str(src / "testing_list.txt"), "no/cc33_nohash_2.wav\nup/dd44_nohash_0.wav\n")
    return _tar(src)


def test_speechcommands_subsets(tmp_path, server):
    server.files["/speech_commands_v0.02.tar.gz"] = _speechcommands_archive(tmp_path)
    url = server.url("/speech_commands_v0.02.tar.gz")
    root = tmp_path / "root"
    full = SPEECHCOMMANDS(root, url=url, download=True)
    assert os.path.isdir(root / "SpeechCommands" / "speech_commands_v0.02" / "yes")
    assert len(full) == 5  # _background_noise_ excluded
    sizes = {s: len(SPEECHCOMMANDS(root, url=url, subset=s))
             for s in ("training", "validation", "testing")}
    assert sizes == {"training": 2, "validation": 1, "testing": 2}
    waveform, sample_rate, label, speaker, utterance = \
        SPEECHCOMMANDS(root, url=url, subset="validation")[0]
    assert (sample_rate, label, speaker, utterance) == (16000, "yes", "bb22", 1)
    assert waveform.shape[0] == 1
    train_labels = sorted(item[2] for item in SPEECHCOMMANDS(root, url=url, subset="training"))
    assert train_labels == ["no", "yes"]
    with pytest.raises(ValueError, match="subset"):
        SPEECHCOMMANDS(root, url=url, subset="train")


def test_librispeech_items(tmp_path, server, monkeypatch):
    src = tmp_path / "ls"
    chapter = src / "LibriSpeech" / "dev-clean" / "19" / "198"
    os.makedirs(chapter)
    for utt in (0, 1):
        _audio(str(chapter / f"19-198-000{utt}.flac"), sample_rate=16000, fmt="flac")
    _write(str(chapter / "19-198.trans.txt"),
           "19-198-0000 NORTHANGER ABBEY\n19-198-0001 THIS LITTLE WORK\n")
    data = _tar(src)
    server.files["/openslr/dev-clean.tar.gz"] = data
    monkeypatch.setattr(LIBRISPEECH, "mirrors", (server.url("/openslr/"),))
    monkeypatch.setitem(LIBRISPEECH.checksums,
                        "http://www.openslr.org/resources/12/dev-clean.tar.gz", _sha256(data))
    ds = LIBRISPEECH(tmp_path / "root", url="dev-clean", download=True)
    assert len(ds) == 2
    waveform, sample_rate, transcript, speaker, chapter_id, utterance = ds[1]
    assert (sample_rate, transcript, speaker, chapter_id, utterance) == \
        (16000, "THIS LITTLE WORK", 19, 198, 1)
    assert tuple(waveform.shape) == (1, 800)
    assert ds.get_metadata(0)[0] == os.path.join("dev-clean", "19", "198", "19-198-0000.flac")
    with pytest.raises(ValueError, match="invalid url"):
        LIBRISPEECH(tmp_path, url="train-clean-99")


def test_ljspeech_items(tmp_path, server):
    src = tmp_path / "lj"
    os.makedirs(src / "LJSpeech-1.1" / "wavs")
    for fileid in ("LJ001-0001", "LJ001-0002"):
        _audio(str(src / "LJSpeech-1.1" / "wavs" / f"{fileid}.wav"), sample_rate=22050)
    _write(str(src / "LJSpeech-1.1" / "metadata.csv"),
           'LJ001-0001|Printing, "in the" 1st sense|Printing, "in the" first sense\n'
           "LJ001-0002|in being comparatively modern.|in being comparatively modern.\n")
    server.files["/LJSpeech-1.1.tar.bz2"] = _tar(src, mode="w:bz2")
    ds = LJSPEECH(tmp_path / "root", url=server.url("/LJSpeech-1.1.tar.bz2"), download=True)
    assert len(ds) == 2
    waveform, sample_rate, transcript, normalized = ds[0]
    assert sample_rate == 22050 and waveform.shape[0] == 1
    assert transcript == 'Printing, "in the" 1st sense'
    assert normalized == 'Printing, "in the" first sense'


def test_gtzan_items(tmp_path, server):
    src = tmp_path / "gt"
    for genre, n in (("blues", 2), ("rock", 1)):
        os.makedirs(src / "genres" / genre)
        for i in range(n):
            _audio(str(src / "genres" / genre / f"{genre}.{i:05d}.wav"), sample_rate=22050)
    _write(str(src / "genres" / "rock" / "notes.txt"), "not audio")
    server.files["/genres.tar.gz"] = _tar(src)
    ds = GTZAN(tmp_path / "root", url=server.url("/genres.tar.gz"), download=True)
    assert len(ds) == 3
    assert [ds[i][2] for i in range(3)] == ["blues", "blues", "rock"]
    assert ds[0][1] == 22050
    with pytest.raises(ValueError, match="subset"):
        GTZAN(tmp_path / "root", subset="training")
