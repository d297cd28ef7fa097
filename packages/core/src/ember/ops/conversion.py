"""Copies and casts that keep autograd history: to, clone, contiguous, cpu/cuda, float()..."""
import numpy as np

from .. import _device, _dtypes
from .._tensor import Tensor
from ..autograd.graph import Node
from ._common import attach, requires_grad


class ToCopyBackward0(Node):
    __slots__ = ("src_dtype", "src_device")

    def backward(self, g):
        return (g.to(device=self.src_device, dtype=self.src_dtype),)


def _parse_to_args(args, kwargs):
    """`to(dtype)`, `to(device)`, `to(device, dtype)`, `to(tensor)` or keyword forms."""
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    kwargs.pop("copy", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"Tensor.to: unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        elif isinstance(a, (_device.device, int)) and not isinstance(a, bool):
            device = a
        elif isinstance(a, str):
            try:
                device = _device.device(a)
            except (RuntimeError, ValueError):
                dtype = _dtypes.as_dtype(a)
        elif a is not None:
            dtype = a
    return device, dtype


def to(self, *args, **kwargs):
    """A tensor on another device and/or of another dtype (`self` when nothing changes)."""
    copy = kwargs.get("copy", False)
    device, dtype = _parse_to_args(args, dict(kwargs))
    arr = self._data
    dev = _device.as_device(device) if device is not None else None
    dt = _dtypes.as_dtype(dtype) if dtype is not None else None
    same_dev = dev is None or _device.device_of(arr) == dev or (
        dev.type == "cuda" and dev.index is None and not isinstance(arr, np.ndarray))
    same_dt = dt is None or arr.dtype == dt.np
    if same_dev and same_dt and not copy:
        return self
    out = arr
    if not same_dev:
        if dev.type == "cuda" and dev.index is None:
            dev = _device.device("cuda", 0)
        out = _device.move_array(out, dev)
    if not same_dt:
        out = out.astype(dt.np)
    elif out is arr:
        out = arr.copy()
    node = None
    if requires_grad(self) and (dt is None or dt.is_floating_point or dt.is_complex):
        node = ToCopyBackward0(None)
        node.src_dtype, node.src_device = self.dtype, self.device
    return attach(out, node, (self,))


def cpu(self):
    return to(self, "cpu")


def cuda(self, device=None, non_blocking=False):
    return to(self, _device.device("cuda", 0 if device is None else _device.as_device(
        device).index if not isinstance(device, int) else device))


def type_as(self, other):
    return to(self, other.dtype)


def _caster(dt):
    def cast(self, memory_format=None):
        return to(self, dt)
    cast.__name__ = dt.name
    return cast


class CloneBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (g,)


def clone(input, *, memory_format=None):
    """A copy of `input` that is still connected to its graph."""
    node = CloneBackward0(None) if requires_grad(input) else None
    xp = np if isinstance(input._data, np.ndarray) else _device.cupy_module()
    return attach(xp.array(input._data, copy=True, order="C"), node, (input,))


def contiguous(input, memory_format=None):
    if input._data.flags.c_contiguous:
        return input
    return clone(input)


def type(self, dtype=None, non_blocking=False):
    """`type()` names the tensor type; `type(dtype)` casts like `to(dtype)`."""
    if dtype is None:
        names = {_dtypes.float32: "FloatTensor", _dtypes.float64: "DoubleTensor",
                 _dtypes.float16: "HalfTensor", _dtypes.bfloat16: "BFloat16Tensor",
                 _dtypes.int64: "LongTensor", _dtypes.int32: "IntTensor",
                 _dtypes.int16: "ShortTensor", _dtypes.int8: "CharTensor",
                 _dtypes.uint8: "ByteTensor", _dtypes.bool_: "BoolTensor",
                 _dtypes.complex64: "ComplexFloatTensor", _dtypes.complex128: "ComplexDoubleTensor"}
        prefix = "ember." if self.is_cpu else "ember.cuda."
        return prefix + names[self.dtype]
    return to(self, dtype)


def _python_map(self, fn, arrays, op):
    """Write `fn(*elements)` into each element of `self` (CPU only, as in PyTorch)."""
    from .inplace import check_inplace_allowed, check_writable
    if not self.is_cpu:
        raise TypeError(f"{op}: is only implemented on CPU tensors (got a tensor on "
                        f"{self.device})")
    check_inplace_allowed(self, op)
    check_writable(self, op)
    out = self._data
    values = [fn(*args) for args in zip(*(a.ravel().tolist() for a in arrays))]
    out[...] = np.asarray(values, dtype=out.dtype).reshape(out.shape)
    self._vc[0] += 1
    return self


def apply_(self, callable):
    """Replace each element x by `callable(x)` (a Python function; CPU only, slow)."""
    return _python_map(self, callable, [self._data], "apply_")


def map_(self, tensor, callable):
    """Replace each element x by `callable(x, y)`, y the matching element of `tensor`
    (broadcast to self's shape; CPU only, slow)."""
    other = np.broadcast_to(tensor._cpu_array(), self._data.shape)
    return _python_map(self, callable, [self._data, other], "map_")


METHODS = {
    "apply_": apply_, "map_": map_, "to": to, "cpu": cpu, "cuda": cuda, "type_as": type_as,
    "clone": clone, "contiguous": contiguous, "type": type,
    "float": _caster(_dtypes.float32), "double": _caster(_dtypes.float64),
    "half": _caster(_dtypes.float16), "bfloat16": _caster(_dtypes.bfloat16),
    "long": _caster(_dtypes.int64), "int": _caster(_dtypes.int32),
    "short": _caster(_dtypes.int16), "char": _caster(_dtypes.int8),
    "byte": _caster(_dtypes.uint8), "bool": _caster(_dtypes.bool_),
    "cfloat": _caster(_dtypes.complex64), "cdouble": _caster(_dtypes.complex128),
}
