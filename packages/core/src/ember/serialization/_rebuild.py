"""What the torch globals inside a checkpoint become in ember, and the unpickler that maps them.

`weights_only=True` allows only the names in `_ALLOWED` (tensor rebuilders, dtypes, devices,
sizes, containers, primitives): no other callable in the file can run.
"""
import _compat_pickle
import codecs
import collections
import pickle

import numpy as np

from .. import _device, _dtypes
from .._tensor import Size, Tensor
from ._torch_names import DTYPE_OF_STORAGE, DTYPE_OF_TORCH_NAME


class Storage:
    """A loaded storage: flat bytes (`raw`, uint8, on some device) holding `dtype` elements."""

    __slots__ = ("raw", "dtype")

    def __init__(self, raw, dtype):
        self.raw, self.dtype = raw, dtype


class StorageType:
    """What `torch.FloatStorage` and friends unpickle to: they only name a dtype."""

    __slots__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = dtype


_STORAGE_TYPES = {name: StorageType(dt) for name, dt in DTYPE_OF_STORAGE.items()}
_STORAGE_TYPES["UntypedStorage"] = StorageType(_dtypes.uint8)


def _parameter_class():
    try:
        from ..nn import Parameter
    except ImportError:  # ember.nn may not define Parameter yet
        return None
    return Parameter


def _contiguous_strides(size):
    strides, acc = [], 1
    for n in reversed(size):
        strides.append(acc)
        acc *= n
    return tuple(reversed(strides))


def _tensor_from(storage, dtype, offset, size, stride, requires_grad):
    if not isinstance(storage, Storage):
        raise pickle.UnpicklingError(f"ember.load: a tensor refers to {type(storage).__name__}, "
                                     "not a storage (corrupt checkpoint?)")
    size, stride, offset = tuple(int(n) for n in size), tuple(int(s) for s in stride), int(offset)
    if storage.raw.size % dtype.itemsize:
        raise pickle.UnpicklingError(f"ember.load: a storage of {storage.raw.size} bytes cannot "
                                     f"hold {dtype} elements (corrupt checkpoint?)")
    typed = storage.raw.view(dtype.np)
    needed = 0 if 0 in size else offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))
    if len(size) != len(stride) or offset < 0 or any(s < 0 for s in stride) or \
            needed > typed.size:
        # Checked here because as_strided would read outside the buffer without complaint.
        raise pickle.UnpicklingError(
            f"ember.load: tensor of size {list(size)}, stride {list(stride)} and offset {offset} "
            f"does not fit its storage of {typed.size} elements (corrupt checkpoint?)")
    count = int(np.prod(size)) if size else 1
    if stride == _contiguous_strides(size) or count == 0:
        arr = typed[offset:offset + count].reshape(size)
    else:
        xp = _device.array_module_of(typed)
        arr = xp.lib.stride_tricks.as_strided(
            typed[offset:], shape=size, strides=tuple(s * dtype.itemsize for s in stride))
    t = Tensor._make(arr)
    t.requires_grad = bool(requires_grad)
    return t


def rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                      backward_hooks=None, metadata=None):
    dtype = storage.dtype if isinstance(storage, Storage) else None
    return _tensor_from(storage, dtype, storage_offset, size, stride, requires_grad)


def rebuild_tensor(storage, storage_offset, size, stride):
    return rebuild_tensor_v2(storage, storage_offset, size, stride)


def rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                      dtype, metadata=None):
    return _tensor_from(storage, dtype, storage_offset, size, stride, requires_grad)


def as_parameter(data=None, requires_grad=True):
    """`torch.nn.Parameter` in a checkpoint: ember's Parameter, or a tensor that requires grad
    while ember.nn has none."""
    parameter = _parameter_class()
    if parameter is not None:
        return parameter(data, requires_grad)
    data.requires_grad = bool(requires_grad)
    return data


def _set_state(obj, state):
    # PyTorch's state is a __dict__ or a (__dict__, slots) pair of attributes set on the tensor.
    dicts = state if isinstance(state, tuple) else (state,)
    for d in dicts:
        for name, value in (d or {}).items():
            if hasattr(Tensor, name):  # never let a file replace the tensor's own machinery
                raise pickle.UnpicklingError(f"ember.load: refusing to set tensor attribute "
                                             f"{name!r} from the checkpoint")
            setattr(obj, name, value)
    return obj


def rebuild_parameter(data, requires_grad, backward_hooks=None):
    return as_parameter(data, requires_grad)


def rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _set_state(as_parameter(data, requires_grad), state)


def rebuild_from_type_v2(func, new_type, args, state):
    ret = func(*args)
    if new_type is as_parameter and not isinstance(ret, _parameter_class() or ()):
        ret = as_parameter(ret, ret.requires_grad)
    return _set_state(ret, state)


_ALLOWED = {
    "torch._utils._rebuild_tensor": rebuild_tensor,
    "torch._utils._rebuild_tensor_v2": rebuild_tensor_v2,
    "torch._utils._rebuild_tensor_v3": rebuild_tensor_v3,
    "torch._utils._rebuild_parameter": rebuild_parameter,
    "torch._utils._rebuild_parameter_with_state": rebuild_parameter_with_state,
    "torch._tensor._rebuild_from_type_v2": rebuild_from_type_v2,
    "torch.Tensor": Tensor,
    "torch._tensor.Tensor": Tensor,
    "torch.nn.parameter.Parameter": as_parameter,
    "torch.Size": Size,
    "torch.device": _device.device,
    "collections.OrderedDict": collections.OrderedDict,
    "collections.Counter": collections.Counter,
    "builtins.set": set,
    "builtins.frozenset": frozenset,
    "builtins.bytearray": bytearray,
    "builtins.complex": complex,
    "_codecs.encode": codecs.encode,  # protocol 2 pickles bytes as encode(str, "latin1")
}


class CheckpointUnpickler(pickle.Unpickler):
    """Maps torch globals to ember; with `weights_only` refuses every other global."""

    def __init__(self, file, weights_only, persistent_load=None):
        super().__init__(file, encoding="utf-8")
        self.weights_only = weights_only
        self._persistent_load = persistent_load

    def persistent_load(self, pid):
        if self._persistent_load is None:
            raise pickle.UnpicklingError("ember.load: unexpected persistent id in the checkpoint")
        return self._persistent_load(pid)

    def find_class(self, module, name):
        module = "torch._tensor" if module == "torch.tensor" else module  # pre-1.8 module path
        # Protocol 2 writes Python 2 names (`__builtin__.set`); translate as pickle itself does.
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        full = f"{module}.{name}"
        if full in _ALLOWED:
            return _ALLOWED[full]
        if module == "torch" and name in _STORAGE_TYPES:
            return _STORAGE_TYPES[name]
        if module == "torch" and name in DTYPE_OF_TORCH_NAME:
            return DTYPE_OF_TORCH_NAME[name]
        if module == "torch" or module.startswith("torch."):
            kind = "dtype/storage" if name.endswith("Storage") or module == "torch" else "object"
            raise pickle.UnpicklingError(
                f"ember.load: the checkpoint uses the PyTorch {kind} `{full}`, which ember "
                "cannot rebuild (ember reads tensors of its dtypes, Parameters, dtypes, devices, "
                "sizes and containers; save a state_dict instead of a whole model)")
        if self.weights_only:
            raise pickle.UnpicklingError(
                f"ember.load: weights_only=True refuses to unpickle the global `{full}` (only "
                "tensors, containers and primitive types are allowed). If you trust the source "
                "of this file, call ember.load(..., weights_only=False), which can run "
                "arbitrary code while loading.")
        return super().find_class(module, name)
