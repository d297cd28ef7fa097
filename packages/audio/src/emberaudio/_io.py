"""Audio files through soundfile (libsndfile): load, save (atomic), info and block streaming.

Encodings follow torchaudio's names: ("PCM_S", 16) is 16-bit signed PCM, ("PCM_F", 32) float."""
import os
import struct
import tempfile
from dataclasses import dataclass

import numpy as np

import ember

# libsndfile subtype → (bits_per_sample, torchaudio encoding name)
_SUBTYPES = {
    "PCM_S8": (8, "PCM_S"), "PCM_16": (16, "PCM_S"), "PCM_24": (24, "PCM_S"),
    "PCM_32": (32, "PCM_S"), "PCM_U8": (8, "PCM_U"), "FLOAT": (32, "PCM_F"),
    "DOUBLE": (64, "PCM_F"), "ULAW": (8, "ULAW"), "ALAW": (8, "ALAW"),
    "VORBIS": (0, "VORBIS"), "OPUS": (0, "OPUS"), "MPEG_LAYER_III": (0, "MP3"),
}
_ENCODINGS = {(enc, bits): sub for sub, (bits, enc) in _SUBTYPES.items() if bits}
# What normalize=False returns for each integer subtype (24-bit comes left-aligned in int32).
_NATIVE = {"PCM_16": "int16", "PCM_24": "int32", "PCM_32": "int32", "PCM_S8": "int16",
           "PCM_U8": "int16", "DOUBLE": "float64"}
_FORMATS = {"wav": "WAV", "flac": "FLAC", "ogg": "OGG", "vorbis": "OGG", "opus": "OGG",
            "mp3": "MP3", "aiff": "AIFF", "aif": "AIFF", "au": "AU", "w64": "W64"}


@dataclass
class AudioMetaData:
    sample_rate: int
    num_frames: int
    num_channels: int
    bits_per_sample: int
    encoding: str


def _soundfile():
    import soundfile
    return soundfile


def _name(src):
    return os.fspath(src) if isinstance(src, (str, os.PathLike)) else repr(src)


def _open(src, op):
    """A soundfile.SoundFile for reading, with errors that name the file."""
    sf = _soundfile()
    if isinstance(src, (str, os.PathLike)):
        path = os.fspath(src)
        if not os.path.exists(path):
            raise FileNotFoundError(f"{op}: no such audio file: {path!r}")
        if os.path.getsize(path) == 0:
            raise RuntimeError(f"{op}: audio file {path!r} is empty")
        _check_wav_length(path, op)
    try:
        return sf.SoundFile(src)
    except sf.LibsndfileError as e:
        raise RuntimeError(f"{op}: cannot read audio file {_name(src)!r}: {e.error_string} "
                           "(unsupported, malformed or truncated)") from None


def _check_wav_length(path, op):
    """libsndfile silently shortens a WAV whose data chunk is cut off; call it truncated."""
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                return
            cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if cid == b"data":
                left = os.path.getsize(path) - f.tell()
                if size != 0xFFFFFFFF and left < size:
                    raise RuntimeError(f"{op}: audio file {path!r} is truncated: its data chunk "
                                       f"declares {size} bytes but {left} are present")
                return
            f.seek(size + (size & 1), 1)


def _read(f, frames, dtype, src, op):
    try:
        return f.read(frames, dtype=dtype, always_2d=True)
    except RuntimeError as e:  # libsndfile's decoder errors (lost sync, short reads)
        raise RuntimeError(f"{op}: cannot decode audio file {_name(src)!r} (truncated or "
                           f"corrupt): {e}") from None


def _to_tensor(data, channels_first):
    arr = np.ascontiguousarray(data.T if channels_first else data)
    return ember.from_numpy(arr)


def _read_dtype(subtype, normalize):
    return "float32" if normalize else _NATIVE.get(subtype, "float32")


def load(uri, frame_offset=0, num_frames=-1, normalize=True, channels_first=True, format=None,
         buffer_size=4096, backend=None):
    """Read audio → (Tensor[channels, frames], sample_rate). `normalize` gives float32 in
    [-1, 1]; otherwise the file's integer samples (int16 / int32) where it stores integers."""
    with _open(uri, "emberaudio.load") as f:
        if frame_offset:
            f.seek(min(frame_offset, f.frames))
        frames = -1 if num_frames is None or num_frames < 0 else num_frames
        data = _read(f, frames, _read_dtype(f.subtype, normalize), uri, "emberaudio.load")
        expected = f.frames - min(frame_offset, f.frames)
        if frames < 0 and f.seekable() and len(data) < expected and f.format != "MP3":
            raise RuntimeError(f"emberaudio.load: audio file {_name(uri)!r} is truncated: "
                               f"read {len(data)} of {expected} frames")
        return _to_tensor(data, channels_first), f.samplerate


def info(uri, format=None, buffer_size=4096, backend=None):
    """Header facts of an audio file as `AudioMetaData`."""
    with _open(uri, "emberaudio.info") as f:
        bits, encoding = _SUBTYPES.get(f.subtype, (0, f.subtype))
        if f.format == "FLAC":
            encoding = "FLAC"
        return AudioMetaData(f.samplerate, f.frames, f.channels, bits, encoding)


def stream(uri, frames_per_block, *, frame_offset=0, num_frames=-1, normalize=True,
           channels_first=True):
    """Yield successive blocks (Tensor[channels, <= frames_per_block]) of an audio file."""
    if frames_per_block <= 0:
        raise ValueError(f"emberaudio.stream: frames_per_block must be positive, got "
                         f"{frames_per_block}")
    with _open(uri, "emberaudio.stream") as f:
        if frame_offset:
            f.seek(min(frame_offset, f.frames))
        left = None if num_frames is None or num_frames < 0 else num_frames
        dtype = _read_dtype(f.subtype, normalize)
        while left is None or left > 0:
            n = frames_per_block if left is None else min(frames_per_block, left)
            block = _read(f, n, dtype, uri, "emberaudio.stream")
            if len(block) == 0:
                return
            if left is not None:
                left -= len(block)
            yield _to_tensor(block, channels_first)


def _subtype(fmt, ext, dtype, encoding, bits_per_sample):
    sf = _soundfile()
    if encoding is not None and encoding.upper() in sf.available_subtypes():
        return encoding.upper()
    if fmt == "OGG":
        return "OPUS" if ext == "opus" or (encoding or "").upper() == "OPUS" else "VORBIS"
    if fmt == "MP3":
        return "MPEG_LAYER_III"
    if encoding is None:
        encoding = "PCM_F" if dtype.kind == "f" and fmt != "FLAC" else "PCM_S"
    encoding = encoding.upper()
    if bits_per_sample is None:
        bits_per_sample = {"PCM_F": 32, "PCM_U": 8, "ULAW": 8, "ALAW": 8}.get(
            encoding, 24 if fmt == "FLAC" and dtype.kind == "f" else
            16 if dtype.itemsize <= 2 or fmt == "FLAC" else 32)
    subtype = _ENCODINGS.get((encoding, bits_per_sample))
    if subtype is None or not sf.check_format(fmt, subtype):
        raise ValueError(f"emberaudio.save: encoding {encoding!r} with bits_per_sample="
                         f"{bits_per_sample} is not supported for format {fmt}")
    return subtype


def save(uri, src, sample_rate, channels_first=True, format=None, encoding=None,
         bits_per_sample=None, buffer_size=4096, backend=None, compression=None):
    """Write Tensor[channels, frames] (or [frames, channels]) to an audio file. A path is written
    to a temporary file beside it and renamed into place, so a failure leaves nothing behind."""
    sf = _soundfile()
    if not isinstance(src, ember.Tensor) or src.ndim != 2:
        raise ValueError(f"emberaudio.save: expected a 2-D Tensor, got "
                         f"{getattr(src, 'shape', type(src).__name__)}")
    if not isinstance(sample_rate, (int, np.integer)) or sample_rate <= 0:
        raise ValueError(f"emberaudio.save: sample_rate must be a positive int, got "
                         f"{sample_rate!r}")
    is_path = isinstance(uri, (str, os.PathLike))
    ext = os.path.splitext(os.fspath(uri))[1][1:].lower() if is_path else ""
    key = (format or ext).lower()
    fmt = _FORMATS.get(key, key.upper())
    if fmt not in sf.available_formats():
        raise ValueError(f"emberaudio.save: unsupported audio format {key!r} for {_name(uri)!r}")
    data = src.detach().cpu().numpy()
    data = data.T if channels_first else data
    if data.dtype == np.uint8:  # libsndfile takes no uint8: lift to int16
        data = (data.astype(np.int16) - 128) << 8
    elif data.dtype.kind == "f":
        data = data.astype(np.float64 if data.dtype == np.float64 else np.float32)
    elif data.dtype not in (np.int16, np.int32):
        raise ValueError(f"emberaudio.save: unsupported tensor dtype {src.dtype}")
    subtype = _subtype(fmt, ext, data.dtype, encoding, bits_per_sample)
    if data.dtype.kind == "f" and subtype not in ("FLOAT", "DOUBLE"):
        data = np.clip(data, -1.0, 1.0)
    if not is_path:
        sf.write(uri, data, int(sample_rate), subtype=subtype, format=fmt)
        return
    path = os.fspath(uri)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)),
                               prefix=f".{os.path.basename(path)}.", suffix=".part")
    os.close(fd)
    try:
        sf.write(tmp, data, int(sample_rate), subtype=subtype, format=fmt)
        os.replace(tmp, path)
    except BaseException as e:
        os.unlink(tmp)
        if isinstance(e, sf.LibsndfileError):
            raise RuntimeError(f"emberaudio.save: cannot write {path!r} as {fmt}/{subtype}: "
                               f"{e.error_string}") from None
        raise

