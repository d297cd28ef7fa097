"""The safetensors format (https://github.com/huggingface/safetensors), byte-for-byte as the
reference library writes it, read lazily through a memory map.

File: 8-byte little-endian header length N, N bytes of JSON (padded with spaces to a multiple of
8), then the tensors' raw little-endian bytes. The JSON maps each name to
{"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the byte after the header),
plus an optional "__metadata__" {str: str}. Tensors are laid out by dtype (widest first), then by
name, with no gaps.
"""
import contextlib
import io
import json
import mmap
import os
import struct
import sys

import ml_dtypes
import numpy as np

from . import _device, _dtypes
from ._tensor import Tensor
from .serialization._atomic import atomic_write
from .serialization._save import _memory_root

__all__ = ["save_file", "load_file", "save", "load", "safe_open", "SafetensorError"]

# The reference's dtype order (its writer sorts by it, widest last) and NumPy equivalents.
_ORDER = ["BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "C64", "F64",
          "I64", "U64"]
_NUMPY = {"BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "I16": np.int16, "U16": np.uint16,
          "F16": np.float16, "BF16": ml_dtypes.bfloat16, "I32": np.int32, "U32": np.uint32,
          "F32": np.float32, "C64": np.complex64, "F64": np.float64, "I64": np.int64,
          "U64": np.uint64}
_NUMPY = {k: np.dtype(v) for k, v in _NUMPY.items()}
_CODE = {v: k for k, v in _NUMPY.items()}
_MAX_HEADER = 100_000_000  # the reference refuses larger headers too


class SafetensorError(Exception):
    """A malformed safetensors file or an unsupported request (as the reference raises)."""


def _as_array(name, value):
    if isinstance(value, Tensor):
        arr = value._data
    elif isinstance(value, np.ndarray):
        arr = value
    else:
        raise ValueError(f"Key `{name}` is invalid, expected ember.Tensor but received "
                         f"{type(value)}")
    if arr.dtype not in _CODE:
        raise ValueError(f"ember.safetensors: tensor `{name}` has dtype {arr.dtype}, which the "
                         "safetensors format cannot store")
    if not arr.flags.c_contiguous:
        raise ValueError(
            f"You are trying to save a non contiguous tensor: `{name}` which is not allowed. It "
            "either means you are trying to save tensors which are reference of each other in "
            "which case it's recommended to save only the full tensors, and reslice at load "
            "time, or simply call `.contiguous()` on your tensor to pack it before saving.")
    return arr


def _check_not_shared(arrays):
    owners = {}
    for name, arr in arrays.items():
        if arr.size:
            owners.setdefault(id(_memory_root(arr)), []).append(name)
    shared = [sorted(names) for names in owners.values() if len(names) > 1]
    if shared:
        raise RuntimeError(
            f"Some tensors share memory, this will lead to duplicate memory on disk and "
            f"potential differences when loading them again: {shared}. Save independent "
            "copies (`.clone()`) of the tensors that must be stored separately.")


def _prepare(tensors, metadata):
    """(header bytes incl. length prefix, [(array)...] in file order)."""
    if not isinstance(tensors, dict):
        raise TypeError(f"ember.safetensors: expected a dict of tensors, got {type(tensors)}")
    arrays = {name: _as_array(name, value) for name, value in tensors.items()}
    _check_not_shared(arrays)
    if metadata is not None and not all(isinstance(k, str) and isinstance(v, str)
                                        for k, v in metadata.items()):
        raise TypeError("ember.safetensors: metadata must map str to str")
    order = sorted(arrays, key=lambda n: (-_ORDER.index(_CODE[arrays[n].dtype]), n))
    header, offset = {}, 0
    if metadata is not None:
        header["__metadata__"] = dict(sorted(metadata.items()))
    for name in order:
        arr = arrays[name]
        header[name] = {"dtype": _CODE[arr.dtype], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text, [arrays[n] for n in order]


def _write(f, header, arrays):
    f.write(header)
    for arr in arrays:
        if not isinstance(arr, np.ndarray):
            arr = arr.get()  # GPU tensors are copied to host memory one at a time
        if sys.byteorder == "big":
            arr = arr.byteswap()
        if arr.size:
            f.write(memoryview(arr.reshape(-1).view(np.uint8)))


def save(tensors, metadata=None):
    """The safetensors bytes of a dict of contiguous, non-overlapping tensors."""
    header, arrays = _prepare(tensors, metadata)
    buf = io.BytesIO()
    _write(buf, header, arrays)
    return buf.getvalue()


def save_file(tensors, filename, metadata=None):
    """Write a dict of tensors to `filename` (atomically: complete or not at all)."""
    header, arrays = _prepare(tensors, metadata)
    with atomic_write(filename) as f:
        _write(f, header, arrays)


def _parse_header(buffer):
    """(header dict without metadata, metadata or None, start of the data) of a file's bytes."""
    if len(buffer) < 8:
        raise SafetensorError("Error while deserializing header: HeaderTooSmall")
    (n,) = struct.unpack("<Q", buffer[:8])
    if n > _MAX_HEADER:
        raise SafetensorError("Error while deserializing header: HeaderTooLarge")
    if 8 + n > len(buffer):
        raise SafetensorError("Error while deserializing header: InvalidHeaderLength")
    raw = bytes(buffer[8:8 + n])
    if not raw.startswith(b"{"):
        raise SafetensorError("Error while deserializing header: InvalidHeaderStart")
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise SafetensorError(f"Error while deserializing header: InvalidHeaderDeserialization"
                              f" ({e})") from None
    metadata = header.pop("__metadata__", None)
    data_len, end = len(buffer) - 8 - n, 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1].get("data_offsets", [0])[0]):
        try:
            begin, stop = info["data_offsets"]
            dtype, shape = _NUMPY[info["dtype"]], tuple(info["shape"])
        except (KeyError, TypeError, ValueError):
            raise SafetensorError(f"Error while deserializing header: invalid entry for tensor "
                                  f"`{name}`: {info}") from None
        if begin != end or stop < begin:
            raise SafetensorError(f"Error while deserializing header: InvalidOffset({name})")
        if int(np.prod(shape, dtype=np.int64)) * dtype.itemsize != stop - begin:
            raise SafetensorError(f"Error while deserializing header: TensorInvalidInfo for "
                                  f"`{name}` (shape {list(shape)}, {info['dtype']}, "
                                  f"{stop - begin} bytes)")
        end = stop
    if end != data_len:
        raise SafetensorError("Error while deserializing header: MetadataIncompleteBuffer")
    return header, metadata, 8 + n


def _framework_wrap(arr, framework, device):
    if sys.byteorder == "big":
        arr = arr.byteswap()
    if framework == "np":
        return arr
    try:
        _dtypes.from_numpy_dtype(arr.dtype)
    except TypeError as e:
        raise SafetensorError(f"ember.safetensors: {e}; read it with framework='np'") from None
    return Tensor._make(_device.move_array(arr, device))


class _Reader:
    """Tensors of one safetensors buffer, copied out one at a time on request."""

    def __init__(self, buffer, framework, device):
        if framework in ("numpy", "np"):
            framework = "np"
        elif framework != "ember":
            raise SafetensorError(f"ember.safetensors: framework {framework!r} is not supported "
                                  "here; use 'ember' or 'np'")
        self._buffer = buffer
        self._framework = framework
        self._device = _device.as_device(device if not isinstance(device, int)
                                         else f"cuda:{device}")
        self._header, self._metadata, self._start = _parse_header(buffer)

    def keys(self):
        return sorted(self._header)

    def offset_keys(self):
        return sorted(self._header, key=lambda n: self._header[n]["data_offsets"][0])

    def metadata(self):
        return self._metadata

    def _view(self, name):
        try:
            info = self._header[name]
        except KeyError:
            raise SafetensorError(f"File does not contain tensor {name}") from None
        dtype = _NUMPY[info["dtype"]]
        begin = self._start + info["data_offsets"][0]
        count = int(np.prod(info["shape"], dtype=np.int64))
        flat = np.frombuffer(self._buffer, dtype, count, begin) if count else \
            np.empty(0, dtype)
        return flat.reshape(info["shape"]), info["dtype"]

    def get_tensor(self, name):
        view, _ = self._view(name)
        return _framework_wrap(view.copy(), self._framework, self._device)

    def get_slice(self, name):
        return _Slice(self, name)


class _Slice:
    """`safe_open(...).get_slice(name)[...]`: reads only the indexed part."""

    def __init__(self, reader, name):
        self._reader, self._name = reader, name
        self._view, self._dtype = reader._view(name)

    def get_shape(self):
        return list(self._view.shape)

    def get_dtype(self):
        return self._dtype

    def __getitem__(self, index):
        part = np.array(self._view[index])  # copies only the touched pages of the map
        return _framework_wrap(part, self._reader._framework, self._reader._device)


class safe_open(_Reader):
    """`with safe_open(path, framework="ember", device="cpu") as f: f.get_tensor(name)`.

    The file is memory-mapped: opening reads only the header; each `get_tensor` or slice reads
    only its own bytes.
    """

    def __init__(self, filename, framework="ember", device="cpu"):
        self._stack = contextlib.ExitStack()
        with open(os.fspath(filename), "rb") as f:
            size = os.fstat(f.fileno()).st_size
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        if size:
            self._stack.callback(_close_map, mapped)
        try:
            super().__init__(mapped, framework, device)
        except BaseException:
            self._stack.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._buffer = None
        self._stack.close()


def _close_map(mapped):
    try:
        mapped.close()
    except BufferError:
        pass  # a slice still points into it; the map goes when that is collected


def load_file(filename, device="cpu"):
    """A dict of every tensor in a safetensors file."""
    with safe_open(filename, framework="ember", device=device) as f:
        return {name: f.get_tensor(name) for name in f.offset_keys()}


def load(data):
    """A dict of every tensor in safetensors bytes (on the CPU)."""
    reader = _Reader(data, "ember", "cpu")
    return {name: reader.get_tensor(name) for name in reader.offset_keys()}
