"""Shared plumbing for op files: operand conversion, dtype promotion, graph recording."""
import numbers

import numpy as np

from .. import _dtypes
from .._device import array_module_of, device_of
from .._tensor import Tensor
from ..autograd.grad_mode import state as _grad_state


_make = Tensor._make


def is_tensor(x):
    return isinstance(x, Tensor)


def requires_grad(*xs):
    """True when grad mode is on and any tensor among `xs` requires grad."""
    if not _grad_state.enabled:
        return False
    for x in xs:
        if isinstance(x, Tensor) and x.requires_grad:
            return True
    return False


def attach(out_array, node, inputs):
    """Wrap `out_array`; when `node` is given, record it with one edge per input."""
    if node is None:
        return _make(out_array)
    if len(inputs) == 2:
        # Most ops have one or two inputs: spelt out (graph.edge inlined), the edges cost no
        # generator or helper call per op.
        x, y = inputs
        if isinstance(x, Tensor):
            ex = x.grad_fn
            if ex is None and x.requires_grad:
                ex = x
        else:
            ex = None
        if isinstance(y, Tensor):
            ey = y.grad_fn
            if ey is None and y.requires_grad:
                ey = y
        else:
            ey = None
        node.inputs = (ex, ey)
    elif len(inputs) == 1:
        node.inputs = (_edge(inputs[0]),)
    else:
        node.inputs = tuple([_edge(x) for x in inputs])
    return _make(out_array, True, node)


def _edge(x):
    """`graph.edge` for an operand that may be a number (which gets no edge)."""
    if isinstance(x, Tensor):
        fn = x.grad_fn
        if fn is not None:
            return fn
        if x.requires_grad:
            return x
    return None


def as_tensor_like(x, like, op):
    """Turn a number or array operand into a tensor on `like`'s device."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, numbers.Number):
        xp = array_module_of(like._data)
        return Tensor._make(xp.asarray(x, dtype=_dtypes.result_type(like, x).np))
    if isinstance(x, (np.ndarray, list, tuple)):
        from .creation import tensor
        return tensor(x, device=like.device)
    raise TypeError(f"{op}: expected a Tensor or a number, got {type(x).__name__}")


def check_same_device(a, b, op):
    """Tensors in one op share a device; 0-dim CPU tensors may join CUDA ones, as in PyTorch."""
    da, db = a._data, b._data
    if type(da) is not type(db):
        if isinstance(da, np.ndarray) and da.ndim == 0:
            return
        if isinstance(db, np.ndarray) and db.ndim == 0:
            return
        raise RuntimeError(f"{op}: Expected all tensors to be on the same device, but found at "
                           f"least two devices, {device_of(da)} and {device_of(db)}!")


def binary(x, y, op):
    """The two operands as arrays (or weak Python scalars) of PyTorch's result dtype."""
    if isinstance(x, Tensor):
        if isinstance(y, Tensor):
            xa, ya = x._data, y._data
            # The common case, checked here without another call: same dtype, same backend.
            # (`is` first: arrays of one builtin dtype usually share the dtype object.)
            dx, dy = xa.dtype, ya.dtype
            if (dx is dy or dx == dy) and type(xa) is type(ya):
                return xa, ya
            return _tensor_pair(x, y, op)
        return _with_scalar(x, y, op)
    if isinstance(y, Tensor):
        ya, xs = _with_scalar(y, x, op)
        return xs, ya
    raise TypeError(f"{op}: expected at least one Tensor, got {type(x).__name__} and "
                    f"{type(y).__name__}")


def _tensor_pair(x, y, op):
    """Two tensors of different dtypes or backends (`binary` returned the common case)."""
    xa, ya = x._data, y._data
    check_same_device(x, y, op)
    dt = _dtypes.result_type(x, y).np
    xa = xa if xa.dtype == dt else xa.astype(dt)
    ya = ya if ya.dtype == dt else ya.astype(dt)
    if type(xa) is not type(ya):  # a 0-dim CPU tensor joining a CUDA tensor
        xp = array_module_of(xa if xa.ndim else ya)
        xa, ya = xp.asarray(xa), xp.asarray(ya)
    return xa, ya


_SCALAR_CATEGORY = {bool: 0, int: 1, float: 2, complex: 3}


def _with_scalar(t, s, op):
    """A Python number next to tensor `t` stays a weak scalar; when it lifts the category
    (an int tensor times 0.5) the tensor is cast to PyTorch's result dtype first."""
    cat = _SCALAR_CATEGORY.get(type(s))
    if cat is None:
        if isinstance(s, np.generic):
            return _with_scalar(t, s.item(), op)
        if isinstance(s, numbers.Number):
            return _with_scalar(t, complex(s) if isinstance(s, numbers.Complex) and
                                not isinstance(s, numbers.Real) else float(s), op)
        raise TypeError(f"{op}: unsupported operand type {type(s).__name__} (expected a Tensor "
                        "or a number)")
    arr = t._data
    if cat <= _dtypes.from_numpy_dtype(arr.dtype).category:
        if cat == 1 and arr.dtype.kind in "iu" and not _fits(s, arr.dtype):
            s = _wrap(s, arr.dtype)  # PyTorch wraps the scalar (uint8 + -1 is uint8 + 255)
        elif arr.dtype == _BFLOAT16:
            s = array_module_of(arr).asarray(s, dtype=arr.dtype)  # NumPy would widen to float32
        return arr, s
    return arr.astype(_dtypes.result_type(t, s).np), s


_BFLOAT16 = _dtypes.bfloat16.np
_INT_RANGES = {}


def _fits(s, np_dtype):
    bounds = _INT_RANGES.get(np_dtype)
    if bounds is None:
        info = np.iinfo(np_dtype)
        bounds = _INT_RANGES[np_dtype] = (int(info.min), int(info.max))
    return bounds[0] <= s <= bounds[1]


def _wrap(s, np_dtype):
    return int(np.array(s & 0xFFFFFFFFFFFFFFFF, dtype=np.uint64).astype(np_dtype))


def meta(x):
    """What a gradient formula needs of an input it does not read: shape and dtype."""
    if isinstance(x, Tensor):
        return x._data.shape, x._data.dtype
    return None, None


def grad_for(grad, t):
    """Reduce a broadcast gradient to `t`'s shape and cast it to `t`'s dtype."""
    return grad_for_meta(grad, t._data.shape, t._data.dtype)


def grad_for_meta(grad, shape, dtype):
    if grad._data.shape != shape:
        grad = sum_to_shape(grad, shape)
    if grad._data.dtype != dtype:
        grad = grad.to(_dtypes.from_numpy_dtype(dtype))
    return grad


def sum_to_shape(grad, shape):
    """Sum `grad` over the dimensions that broadcasting expanded to reach its shape."""
    lead = grad.ndim - len(shape)
    dims = list(range(lead))
    for i, s in enumerate(shape):
        if s == 1 and grad.shape[lead + i] != 1:
            dims.append(lead + i)
    if dims:
        grad = grad.sum(dim=dims, keepdim=True)
    if lead:
        grad = grad.reshape(shape)
    return grad
