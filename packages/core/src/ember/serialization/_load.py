"""`ember.load`: PyTorch checkpoints (zip format and the pre-1.6 legacy format), without torch."""
import contextlib
import os
import pickle
import struct
import sys
import zipfile

import numpy as np

from .. import _device
from .._tensor import Tensor
from ._rebuild import CheckpointUnpickler, Storage, StorageType

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001


def _text(s):
    return s.decode("ascii") if isinstance(s, bytes) else s


def _restorer(map_location):
    """restore(raw, dtype, location) -> raw bytes on the device `map_location` asks for."""

    def move(raw, target, location):
        try:
            dev = _device.as_device(str(target) if not isinstance(target, _device.device)
                                    else target)
        except (RuntimeError, ValueError):
            raise RuntimeError(f"ember.load: cannot restore a storage saved on {location!r} "
                               "(ember has 'cpu' and 'cuda'); pass map_location='cpu'") from None
        if dev.type == "cuda" and dev.index is None:
            dev = _device.device("cuda", 0)
        try:
            return _device.move_array(raw, dev)
        except RuntimeError as e:
            raise RuntimeError(f"ember.load: the checkpoint holds tensors on {location!r} "
                               f"but they cannot be placed on {dev} here ({e}). On a machine "
                               "without a GPU use ember.load(..., map_location='cpu').") from None

    def restore(raw, dtype, location):
        if map_location is None:
            return move(raw, location, location)
        if isinstance(map_location, dict):
            return move(raw, map_location.get(location, location), location)
        if callable(map_location) and not isinstance(map_location, _device.device):
            result = map_location(Tensor._make(raw.view(dtype.np)), location)
            if result is None:
                return move(raw, location, location)
            if not isinstance(result, Tensor):
                raise TypeError("ember.load: a map_location function must return a tensor or "
                                f"None, got {type(result).__name__}")
            return result._data.reshape(-1).view("uint8")
        return move(raw, map_location, location)

    return restore


def _readinto(src, out):
    """Fill the uint8 array `out` from the binary stream `src`."""
    view, done = memoryview(out), 0
    while done < out.size:
        chunk = src.read(min(out.size - done, 1 << 24))
        if not chunk:
            raise pickle.UnpicklingError("ember.load: the checkpoint ends early (truncated file?)")
        view[done:done + len(chunk)] = chunk
        done += len(chunk)


def _swap_bytes(raw, dtype, byteorder):
    if byteorder != sys.byteorder and dtype.itemsize > 1:
        raw.view(dtype.np).byteswap(inplace=True)


def _record_offset(zf, info):
    """Where an uncompressed record's bytes start in the file (after its local header)."""
    zf.fp.seek(info.header_offset)
    header = zf.fp.read(30)
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_len + extra_len


def _load_zip(zf, path, restore, weights_only, mmap):
    pickles = [n for n in zf.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
    if not pickles:
        if any(n.endswith("constants.pkl") for n in zf.namelist()):
            raise RuntimeError("ember.load: this is a TorchScript archive; ember reads "
                               "torch.save checkpoints only")
        raise RuntimeError("ember.load: not a PyTorch checkpoint (the zip has no data.pkl)")
    prefix = pickles[0][:-len("data.pkl")]
    names = set(zf.namelist())
    byteorder = zf.read(prefix + "byteorder").decode() if prefix + "byteorder" in names \
        else "little"
    loaded = {}

    def read_storage(dtype, key, nbytes):
        name = f"{prefix}data/{key}"
        try:
            info = zf.getinfo(name)
        except KeyError:
            raise pickle.UnpicklingError(f"ember.load: the checkpoint lacks record {name!r}")
        if info.file_size != nbytes:
            raise pickle.UnpicklingError(f"ember.load: record {name!r} has {info.file_size} "
                                         f"bytes, expected {nbytes} (corrupt checkpoint?)")
        if mmap and nbytes and info.compress_type == zipfile.ZIP_STORED:
            # Copy-on-write, as PyTorch's mmap: writes change memory, never the file.
            mapped = np.memmap(path, np.uint8, "c", _record_offset(zf, info), (nbytes,))
            return mapped.view(np.ndarray)
        raw = np.empty(nbytes, np.uint8)
        with zf.open(info) as src:
            _readinto(src, raw)
        return raw

    def persistent_load(pid):
        typename, storage_type, key, location, numel = pid
        if _text(typename) != "storage" or not isinstance(storage_type, StorageType):
            raise pickle.UnpicklingError(f"ember.load: unknown persistent id {pid!r}")
        key, dtype = _text(key), storage_type.dtype
        if key not in loaded:
            raw = read_storage(dtype, key, int(numel) * dtype.itemsize)
            _swap_bytes(raw, dtype, byteorder)
            loaded[key] = Storage(restore(raw, dtype, _text(location)), dtype)
        return loaded[key]

    with zf.open(prefix + "data.pkl") as data:
        return CheckpointUnpickler(data, weights_only, persistent_load).load()


def _load_legacy(f, restore, weights_only):
    """The pre-1.6 format: magic, protocol and system info pickles, the object pickle, the list
    of storage keys, then each storage's element count (int64) and bytes."""
    def small_pickle():
        return CheckpointUnpickler(f, True).load()

    try:
        magic = small_pickle()
    except (pickle.UnpicklingError, EOFError, ValueError, KeyError, IndexError) as e:
        raise RuntimeError(f"ember.load: not a PyTorch checkpoint ({e})") from None
    if magic != _LEGACY_MAGIC:
        raise RuntimeError("ember.load: invalid magic number; not a PyTorch checkpoint "
                           "(or a corrupt one)")
    protocol = small_pickle()
    if protocol != _LEGACY_PROTOCOL:
        raise RuntimeError(f"ember.load: unsupported legacy protocol version {protocol}")
    sys_info = small_pickle()
    byteorder = "little" if sys_info.get("little_endian", True) else "big"
    storages, views = {}, {}

    def persistent_load(pid):
        typename = _text(pid[0])
        if typename != "storage":
            raise pickle.UnpicklingError(f"ember.load: the checkpoint pickles a whole {typename} "
                                         "(source code included); ember reads state_dicts only")
        storage_type, key, location, numel, view = pid[1:]
        key, dtype = _text(key), storage_type.dtype
        if key not in storages:
            # Placed on its device now, filled from the file once the object pickle is read.
            raw = np.empty(int(numel) * dtype.itemsize, np.uint8)
            storages[key] = Storage(restore(raw, dtype, _text(location)), dtype)
        if view is None:
            return storages[key]
        view_key, offset, view_size = view
        if view_key not in views:
            start = int(offset) * dtype.itemsize
            views[view_key] = Storage(
                storages[key].raw[start:start + int(view_size) * dtype.itemsize], dtype)
        return views[view_key]

    result = CheckpointUnpickler(f, weights_only, persistent_load).load()
    order = ">q" if byteorder == "big" else "<q"
    for key in small_pickle():
        storage = storages[_text(key)]
        count = struct.unpack(order, f.read(8))[0]
        if count * storage.dtype.itemsize != storage.raw.size:
            raise pickle.UnpicklingError(f"ember.load: storage {key} has {count} elements in "
                                         "the file but its tensors expect another size")
        buf = storage.raw if isinstance(storage.raw, np.ndarray) else \
            np.empty(storage.raw.size, np.uint8)
        _readinto(f, buf)
        _swap_bytes(buf, storage.dtype, byteorder)
        if buf is not storage.raw:
            storage.raw[...] = _device.array_module_of(storage.raw).asarray(buf)
    return result


def _is_safetensors(head):
    return len(head) >= 9 and head[8:9] == b"{"


def load(f, map_location=None, weights_only=True, mmap=None):
    """Load an object saved by `ember.save` or `torch.save` (zip or legacy format), or a
    safetensors file (as a dict of tensors), from a path or a binary file.

    `map_location`: 'cpu', 'cuda', a device, a {saved location: location} dict or a function
    `(storage_tensor, location) -> tensor or None`. `weights_only=True` (the default) allows only
    tensors, containers and primitive types; `weights_only=False` unpickles arbitrary objects
    (only for files you trust). `mmap=True` maps storages from the file instead of reading them.
    """
    restore = _restorer(map_location)
    with contextlib.ExitStack() as stack:
        path = None
        if isinstance(f, (str, os.PathLike)):
            path = os.fspath(f)
            f = stack.enter_context(open(path, "rb"))
        start = f.tell()
        head = f.read(9)
        f.seek(start)
        if head[:4] == b"PK\x03\x04":
            if mmap and path is None:
                raise ValueError("ember.load: mmap=True needs a file path, not a file object")
            try:
                zf = stack.enter_context(zipfile.ZipFile(f))
            except zipfile.BadZipFile as e:
                raise RuntimeError(f"ember.load: the checkpoint is a damaged zip file ({e}); "
                                   "was it truncated?") from None
            return _load_zip(zf, path, restore, weights_only, bool(mmap))
        if mmap:
            raise ValueError("ember.load: mmap=True needs a zip checkpoint (torch.save's default "
                             "format); this file is in the legacy format")
        if _is_safetensors(head):
            from .. import safetensors
            out = safetensors.load(f.read())
            return {k: Tensor._make(restore(v._data.reshape(-1).view("uint8"), v.dtype, "cpu")
                                    .view(v._data.dtype).reshape(v.shape))
                    for k, v in out.items()}
        return _load_legacy(f, restore, weights_only)
