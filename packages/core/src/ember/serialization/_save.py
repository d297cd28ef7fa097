"""`ember.save`: PyTorch's zip checkpoint format, written without importing torch.

Layout (what `torch.save` writes and `torch.load` reads):
    <archive>/data.pkl            pickle of the object; each storage is a persistent id
                                  ("storage", torch.<Type>Storage, key, location, numel)
    <archive>/.format_version     "1"
    <archive>/.storage_alignment  "64"
    <archive>/byteorder           "little" or "big"
    <archive>/data/<key>          raw bytes of each storage, 64-byte aligned in the file
    <archive>/version             "3"
Tensors pickle as `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
OrderedDict())`, so tensors that view one storage stay sharing it when loaded.
"""
import collections
import io
import os
import pickle
import struct
import sys
import zipfile

import numpy as np

from .. import _device, _dtypes
from .._tensor import Size, Tensor
from ._atomic import atomic_write
from ._torch_names import STORAGE_NAMES

STORAGE_ALIGNMENT = 64
_PAD_FIELD_ID = 0x4246  # "FB": the extra-field id PyTorch's writer pads local headers with


class _Global:
    """Stands for the global `module.name` in the pickle; torch need not be importable."""

    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle wants reduce callables to be callable
        raise TypeError(f"{self.module}.{self.name} is only a name inside a checkpoint")


_REBUILD_TENSOR = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _Global("torch._utils", "_rebuild_parameter")
_REBUILD_PARAMETER_STATE = _Global("torch._utils", "_rebuild_parameter_with_state")
_REBUILD_FROM_TYPE = _Global("torch._tensor", "_rebuild_from_type_v2")
_TORCH_TENSOR = _Global("torch", "Tensor")
_TORCH_SIZE = _Global("torch", "Size")
_TORCH_DEVICE = _Global("torch", "device")
_STORAGE_TYPES = {dt: _Global("torch", name) for dt, name in STORAGE_NAMES.items()}
_TORCH_DTYPES = {dt: _Global("torch", dt.name) for dt in _dtypes.ALL_DTYPES}


class _StorageRef:
    """One storage to write: a flat array of `dtype` holding `numel` elements."""

    __slots__ = ("key", "flat", "dtype", "location")

    def __init__(self, key, flat, dtype, location):
        self.key, self.flat, self.dtype, self.location = key, flat, dtype, location


def _parameter_class():
    try:
        from ..nn import Parameter
    except ImportError:  # ember.nn may not define Parameter yet
        return None
    return Parameter


def _memory_root(arr):
    """The array at the bottom of `arr`'s chain of views (the owner of its memory)."""
    root, obj = arr, arr
    while getattr(obj, "base", None) is not None:
        obj = obj.base
        if isinstance(obj, type(arr)):
            root = obj
    return root


def _extent(arr):
    """(address of the lowest byte, bytes spanned) of an array's elements."""
    ptr = arr.ctypes.data if isinstance(arr, np.ndarray) else arr.data.ptr
    lo = hi = 0
    for n, s in zip(arr.shape, arr.strides):
        if s < 0:
            lo += (n - 1) * s
        else:
            hi += (n - 1) * s
    return ptr + lo, hi - lo + arr.itemsize


class _Storages:
    """Finds the storage behind each tensor, so views of one array are written once."""

    def __init__(self):
        self.by_root = {}  # id(root) -> (root, lowest address, _StorageRef)
        self.refs = []

    def _new(self, flat, dtype):
        ref = _StorageRef(str(len(self.refs)), flat, dtype, str(_device.device_of(flat)))
        self.refs.append(ref)
        return ref

    def locate(self, arr):
        """(storage, element offset, element strides) for an array."""
        dtype = _dtypes.from_numpy_dtype(arr.dtype)
        item = arr.itemsize
        root = _memory_root(arr)
        shareable = arr.size > 0 and root.size > 0 and all(s >= 0 for s in arr.strides) and \
            all(s % item == 0 for s in arr.strides) and (
                root.flags.c_contiguous or root.flags.f_contiguous)
        if shareable:
            start, nbytes = _extent(root)
            ptr = _extent(arr)[0]
            if (ptr - start) % item == 0 and nbytes % item == 0:
                entry = self.by_root.get(id(root))
                if entry is None:
                    flat = root.ravel(order="K").view(arr.dtype)
                    entry = self.by_root[id(root)] = (root, start, self._new(flat, dtype))
                ref = entry[2]
                if ref.dtype is not dtype:
                    raise RuntimeError("Cannot save multiple tensors or storages that view the "
                                       "same data as different types")
                return ref, (ptr - start) // item, tuple(s // item for s in arr.strides)
        # Negative or odd strides (NumPy allows them, PyTorch does not): write a compact copy.
        flat = arr.reshape(-1).copy() if arr.size else arr.reshape(-1)
        strides, acc = [], 1
        for n in reversed(arr.shape):
            strides.append(acc)
            acc *= max(n, 1)
        return self._new(flat, dtype), 0, tuple(reversed(strides))


class _CheckpointPickler(pickle._Pickler):
    """Pure-Python pickler (it lets us write torch globals by name) that turns ember objects
    into the calls `torch.load` knows."""

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file, protocol, storages):
        super().__init__(file, protocol)
        self.storages = storages
        self.parameter = _parameter_class()

    def persistent_id(self, obj):
        if type(obj) is _StorageRef:
            numel = obj.flat.size
            return ("storage", _STORAGE_TYPES[obj.dtype], obj.key, obj.location, numel)
        return None

    def _tensor_args(self, t):
        ref, offset, strides = self.storages.locate(t._data)
        return (ref, offset, tuple(t._data.shape), strides, t.requires_grad,
                collections.OrderedDict())

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            # Attributes users set on a tensor travel as PyTorch's "state"; names starting with
            # "_" are ember's own bookkeeping (e.g. `_view_fn` on views) and stay behind.
            state = {k: v for k, v in getattr(obj, "__dict__", {}).items()
                     if not k.startswith("_")} or None
            if self.parameter is not None and isinstance(obj, self.parameter):
                data = Tensor._make(obj._data)
                if state:
                    return (_REBUILD_PARAMETER_STATE,
                            (data, obj.requires_grad, collections.OrderedDict(), state))
                return (_REBUILD_PARAMETER, (data, obj.requires_grad, collections.OrderedDict()))
            if state:  # attributes set on a tensor: PyTorch's form for tensors with state
                return (_REBUILD_FROM_TYPE,
                        (_REBUILD_TENSOR, _TORCH_TENSOR, self._tensor_args(obj), state))
            return (_REBUILD_TENSOR, self._tensor_args(obj))
        if isinstance(obj, Size):
            return (_TORCH_SIZE, (tuple(obj),))
        if isinstance(obj, _device.device):
            args = (obj.type,) if obj.index is None else (obj.type, obj.index)
            return (_TORCH_DEVICE, args)
        return NotImplemented

    def save_torch_global(self, obj):
        if self.proto >= 4:
            self.save(obj.module)
            self.save(obj.name)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
        self.memoize(obj)

    def save_dtype(self, obj):
        self.save_torch_global(_TORCH_DTYPES[obj])

    dispatch[_Global] = save_torch_global
    dispatch[_dtypes.dtype] = save_dtype


def _archive_name(f):
    if isinstance(f, (str, os.PathLike)):
        return os.path.splitext(os.path.basename(os.fspath(f)))[0] or "archive"
    return "archive"


def _write_aligned(zf, name, data):
    """Add an uncompressed record whose bytes start at a multiple of STORAGE_ALIGNMENT."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_STORED
    size = len(data)
    zip64 = size * 1.05 > zipfile.ZIP64_LIMIT  # zipfile then adds a 20-byte zip64 field
    header = 30 + len(name.encode("utf-8")) + (20 if zip64 else 0) + 4
    pad = (-(zf.fp.tell() + header)) % STORAGE_ALIGNMENT
    info.extra = struct.pack("<HH", _PAD_FIELD_ID, pad) + b"Z" * pad
    zf.writestr(info, data)


def _storage_bytes(ref):
    flat = ref.flat if isinstance(ref.flat, np.ndarray) else ref.flat.get()
    return memoryview(flat.view("uint8")) if flat.size else b""


def _write_zip(file, archive, pickled, storages):
    with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(f"{archive}/data.pkl", pickled)
        zf.writestr(f"{archive}/.format_version", "1")
        zf.writestr(f"{archive}/.storage_alignment", str(STORAGE_ALIGNMENT))
        zf.writestr(f"{archive}/byteorder", sys.byteorder)
        for ref in storages.refs:
            # Storages on a GPU are copied to host memory here, one at a time.
            _write_aligned(zf, f"{archive}/data/{ref.key}", _storage_bytes(ref))
        zf.writestr(f"{archive}/version", "3\n")


def save(obj, f, pickle_protocol=2):
    """Save `obj` (tensors, containers, state_dicts...) to the path or binary file `f` in
    PyTorch's zip checkpoint format, readable by `ember.load` and `torch.load`.

    A path is written atomically: the file appears complete or not at all.
    """
    storages = _Storages()
    buffer = io.BytesIO()
    # Pickle first: an unpicklable object fails before a single byte reaches `f`.
    _CheckpointPickler(buffer, pickle_protocol, storages).dump(obj)
    archive = _archive_name(f)
    if isinstance(f, (str, os.PathLike)):
        with atomic_write(f) as out:
            _write_zip(out, archive, buffer.getvalue(), storages)
    else:
        _write_zip(f, archive, buffer.getvalue(), storages)
