"""emberaudio I/O: round trips per format and bit depth, info, streaming, error cases."""
import io
import os

import numpy as np
import pytest

import ember
import emberaudio

sf = pytest.importorskip("soundfile")


def _signal(channels=2, frames=1600, seed=0):
    rng = np.random.default_rng(seed)
    return ember.tensor(rng.uniform(-0.8, 0.8, (channels, frames)).astype(np.float32))


def _has(fmt, subtype):
    return fmt in sf.available_formats() and sf.check_format(fmt, subtype)


LOSSLESS = [("wav", "PCM_S", 16, "int16", 2 ** -15), ("wav", "PCM_S", 24, "int32", 2 ** -23),
            ("wav", "PCM_S", 32, "int32", 2 ** -31), ("wav", "PCM_F", 32, "float32", 0),
            ("flac", "PCM_S", 16, "int16", 2 ** -15), ("flac", "PCM_S", 24, "int32", 2 ** -23)]


@pytest.mark.parametrize("ext,encoding,bits,native,step", LOSSLESS)
def test_lossless_round_trip(tmp_path, ext, encoding, bits, native, step):
    x = _signal()
    path = tmp_path / f"a.{ext}"
    emberaudio.save(path, x, 16000, encoding=encoding, bits_per_sample=bits)
    y, sr = emberaudio.load(path)
    assert sr == 16000 and y.dtype == ember.float32 and y.shape == (2, 1600)
    assert np.abs(y.numpy() - x.numpy()).max() <= step
    meta = emberaudio.info(path)
    assert (meta.sample_rate, meta.num_frames, meta.num_channels, meta.bits_per_sample) == (
        16000, 1600, 2, bits)
    assert meta.encoding == ("FLAC" if ext == "flac" else encoding)
    raw, _ = emberaudio.load(path, normalize=False)
    assert raw.dtype.name == native
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".part")]


def test_int16_tensor_and_channels_last(tmp_path):
    x = ember.tensor(np.arange(-50, 50, dtype=np.int16).reshape(50, 2) * 300)
    emberaudio.save(tmp_path / "i.wav", x, 8000, channels_first=False)
    y, _ = emberaudio.load(tmp_path / "i.wav", normalize=False, channels_first=False)
    assert y.dtype == ember.int16 and (y.numpy() == x.numpy()).all()
    assert emberaudio.info(tmp_path / "i.wav").bits_per_sample == 16


@pytest.mark.parametrize("ext,fmt,subtype,rate", [("ogg", "OGG", "VORBIS", 16000),
                                                  ("opus", "OGG", "OPUS", 48000),
                                                  ("mp3", "MP3", "MPEG_LAYER_III", 16000)])
def test_lossy_round_trip(tmp_path, ext, fmt, subtype, rate):
    if not _has(fmt, subtype):
        pytest.skip(f"this libsndfile has no {fmt}/{subtype}")
    t = np.arange(rate // 2) / rate
    x = ember.tensor(0.5 * np.sin(2 * np.pi * 440 * t)[None].astype(np.float32))
    emberaudio.save(tmp_path / f"a.{ext}", x, rate)
    y, sr = emberaudio.load(tmp_path / f"a.{ext}")
    assert sr == rate and y.shape[0] == 1 and abs(y.shape[1] - x.shape[1]) < rate // 10
    spectrum = np.abs(np.fft.rfft(y.numpy()[0]))
    assert abs(spectrum.argmax() * rate / y.shape[1] - 440) < 10


def test_offset_frames_stream_and_fileobj(tmp_path):
    x = _signal(1, 1000)
    path = tmp_path / "s.wav"
    emberaudio.save(path, x, 16000, encoding="PCM_F")
    y, _ = emberaudio.load(path, frame_offset=100, num_frames=250)
    assert np.array_equal(y.numpy(), x.numpy()[:, 100:350])
    blocks = list(emberaudio.stream(path, 300))
    assert [b.shape[1] for b in blocks] == [300, 300, 300, 100]
    assert np.array_equal(np.concatenate([b.numpy() for b in blocks], 1), x.numpy())
    assert [b.shape[1] for b in emberaudio.stream(path, 300, frame_offset=50,
                                                  num_frames=400)] == [300, 100]
    buf = io.BytesIO()
    emberaudio.save(buf, x, 16000, format="wav")
    buf.seek(0)
    z, sr = emberaudio.load(buf)
    assert sr == 16000 and np.array_equal(z.numpy(), x.numpy())


def test_read_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.wav"):
        emberaudio.load(tmp_path / "missing.wav")
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(RuntimeError, match="empty.wav.*empty"):
        emberaudio.info(tmp_path / "empty.wav")
    (tmp_path / "junk.flac").write_bytes(b"not audio at all" * 10)
    with pytest.raises(RuntimeError, match="junk.flac"):
        emberaudio.load(tmp_path / "junk.flac")
    for ext in ("wav", "flac"):
        emberaudio.save(tmp_path / f"full.{ext}", _signal(), 16000)
        data = (tmp_path / f"full.{ext}").read_bytes()
        (tmp_path / f"cut.{ext}").write_bytes(data[:len(data) // 2])
        with pytest.raises(RuntimeError, match=f"cut.{ext}"):
            emberaudio.load(tmp_path / f"cut.{ext}")


def test_write_errors_leave_nothing(tmp_path):
    path = tmp_path / "out.wav"
    with pytest.raises(ValueError, match="2-D"):
        emberaudio.save(path, ember.zeros(10), 16000)
    with pytest.raises(ValueError, match="sample_rate"):
        emberaudio.save(path, ember.zeros(1, 10), 0)
    with pytest.raises(ValueError, match="unsupported audio format"):
        emberaudio.save(tmp_path / "out.xyz", ember.zeros(1, 10), 16000)
    with pytest.raises(ValueError, match="bits_per_sample=12"):
        emberaudio.save(path, ember.zeros(1, 10), 16000, encoding="PCM_S", bits_per_sample=12)
    assert os.listdir(tmp_path) == []
    emberaudio.save(path, _signal(), 16000)
    before = path.read_bytes()
    with pytest.raises(ValueError):
        emberaudio.save(path, ember.zeros(1, 10), 16000, encoding="PCM_F", bits_per_sample=8)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["out.wav"]
