"""Tensor creation: tensor, as_tensor, from_numpy, zeros/ones/full/empty(+_like), ranges, eye."""
import math
import numbers

import numpy as np

from .. import _device, _dtypes
from .._tensor import Tensor


def _to_array(data, dtype=None, device=None, copy=True):
    """An array on `device` of `dtype` (inferred as PyTorch would when None) from `data`."""
    dev = _device.as_device(device) if device is not None else None
    if isinstance(data, Tensor):
        arr = data._data
        if dev is not None:
            arr = _device.move_array(arr, dev)
        if dtype is not None and arr.dtype != _dtypes.as_dtype(dtype).np:
            return arr.astype(_dtypes.as_dtype(dtype).np)
        return arr.copy() if copy and arr is data._data else arr
    if dtype is None:
        dtype = _infer_dtype(data)
    dt = _dtypes.as_dtype(dtype)
    if isinstance(data, (list, tuple)):
        data = _unwrap_nested(data)
    if not isinstance(data, np.ndarray) and hasattr(data, "__cuda_array_interface__"):
        arr = data.astype(dt.np, copy=copy)
        return arr if dev is None else _device.move_array(arr, dev)
    try:
        arr = np.array(data, dtype=dt.np, copy=copy) if copy else np.asarray(data, dtype=dt.np)
    except (ValueError, TypeError) as e:
        raise TypeError(f"ember.tensor: could not build a {dt.name} tensor from "
                        f"{type(data).__name__}: {e}") from None
    if dev is not None and dev.type != "cpu":
        arr = _device.move_array(arr, dev)
    return arr


def _unwrap_nested(data):
    """Lists may hold 0-dim tensors or tensors (as PyTorch allows): turn them into numbers."""
    out = []
    for x in data:
        if isinstance(x, Tensor):
            out.append(x._cpu_array().tolist() if x.ndim else x.item())
        elif isinstance(x, (list, tuple)):
            out.append(_unwrap_nested(x))
        else:
            out.append(x)
    return out


def _infer_dtype(data):
    """PyTorch's inference: bool < int64 < default float < complex over all elements;
    NumPy arrays keep their own dtype."""
    if isinstance(data, np.ndarray):
        return _dtypes.from_numpy_dtype(data.dtype)
    if isinstance(data, np.generic):
        return _dtypes.from_numpy_dtype(data.dtype)
    if hasattr(data, "__cuda_array_interface__"):
        return _dtypes.from_numpy_dtype(data.dtype)
    cat = _scan_category(data)
    if cat is None:
        return _dtypes.get_default_dtype()
    return (_dtypes.bool_, _dtypes.int64, _dtypes.get_default_dtype(),
            _dtypes.get_default_dtype().to_complex())[cat]


def _scan_category(data):
    if isinstance(data, bool):
        return 0
    if isinstance(data, numbers.Integral):
        return 1
    if isinstance(data, numbers.Real):
        return 2
    if isinstance(data, numbers.Complex):
        return 3
    if isinstance(data, Tensor):
        return data.dtype.category
    if isinstance(data, (np.ndarray, np.generic)):
        return _dtypes.from_numpy_dtype(data.dtype).category
    if isinstance(data, (list, tuple)):
        cats = [c for c in map(_scan_category, data) if c is not None]
        return max(cats) if cats else None
    raise TypeError(f"ember.tensor: can't build a tensor from an element of type "
                    f"{type(data).__name__}")


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of `data` (numbers, nested lists, arrays, tensors)."""
    t = Tensor._make(_to_array(data, dtype, device))
    if requires_grad:
        t.requires_grad_()
    return t


def as_tensor(data, dtype=None, device=None):
    """Like `tensor`, but shares memory with a tensor or NumPy array when it can."""
    if isinstance(data, Tensor):
        if (dtype is None or _dtypes.as_dtype(dtype) is data.dtype) and (
                device is None or _device.as_device(device) == data.device):
            return data
        return data.to(device=device, dtype=dtype)
    return Tensor._make(_to_array(data, dtype, device, copy=False))


def from_numpy(array):
    """A CPU tensor sharing memory with a NumPy array."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"ember.from_numpy: expected np.ndarray (got {type(array).__name__})")
    _dtypes.from_numpy_dtype(array.dtype)
    return Tensor._make(array)


def from_dlpack(ext):
    """A tensor sharing memory with any object that speaks DLPack (NumPy, CuPy, PyTorch...)."""
    if isinstance(ext, Tensor):
        return ext
    dev_type = ext.__dlpack_device__()[0] if hasattr(ext, "__dlpack_device__") else 1
    if dev_type == 1:  # kDLCPU
        return Tensor._make(np.from_dlpack(ext))
    return Tensor._make(_device.cupy_module().from_dlpack(ext))


def _shape(size, op):
    if len(size) == 1 and isinstance(size[0], (list, tuple)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, numbers.Integral):
            raise TypeError(f"{op}: size must be a tuple of ints, got {size!r}")
        if s < 0:
            raise RuntimeError(f"{op}: Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
    return tuple(int(s) for s in size)


def _finish(arr, requires_grad):
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_()
    return t


def _xp_dtype(dtype, device, default=None):
    dev = _device.as_device(device)
    dt = _dtypes.as_dtype(dtype) if dtype is not None else (default or _dtypes.get_default_dtype())
    return _device.array_module(dev), dt, dev


def _filled(fill, size, dtype, device, requires_grad, op):
    shape = _shape(size, op)
    xp, dt, dev = _xp_dtype(dtype, device)
    if dev.type == "cuda":
        with xp.cuda.Device(dev.index or 0):
            return _finish(fill(xp, shape, dt.np), requires_grad)
    return _finish(fill(xp, shape, dt.np), requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None):
    return _filled(lambda xp, s, d: xp.zeros(s, d), size, dtype, device, requires_grad, "zeros")


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _filled(lambda xp, s, d: xp.ones(s, d), size, dtype, device, requires_grad, "ones")


def empty(*size, dtype=None, device=None, requires_grad=False, memory_format=None,
          pin_memory=False):
    return _filled(lambda xp, s, d: xp.empty(s, d), size, dtype, device, requires_grad, "empty")


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor of `size` filled with `fill_value`; the dtype follows the value like PyTorch."""
    if dtype is None:
        dtype = _dtypes.scalar_dtype(fill_value.item() if isinstance(fill_value, Tensor)
                                     else fill_value)
    value = fill_value.item() if isinstance(fill_value, Tensor) else fill_value
    return _filled(lambda xp, s, d: xp.full(s, value, d), (tuple(size),) if not isinstance(
        size, numbers.Integral) else (size,), dtype, device, requires_grad, "full")


def _like(t, dtype, device):
    return (t.dtype if dtype is None else dtype), (t.device if device is None else device)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(input, dtype, device)
    return zeros(input.shape, dtype=d, device=dev, requires_grad=requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(input, dtype, device)
    return ones(input.shape, dtype=d, device=dev, requires_grad=requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(input, dtype, device)
    return empty(input.shape, dtype=d, device=dev, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False,
              memory_format=None):
    d, dev = _like(input, dtype, device)
    return full(input.shape, fill_value, dtype=d, device=dev, requires_grad=requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Values from `start` up to (not including) `end`; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange: upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = _dtypes.get_default_dtype() if is_float else _dtypes.int64
    xp, dt, _ = _xp_dtype(dtype, device)
    n = max(0, math.ceil((end - start) / step))
    # Computed in float64 then cast, as PyTorch does, so float steps do not drift.
    arr = (xp.arange(n, dtype=np.float64) * step + start).astype(dt.np) if dt.category >= 2 \
        else xp.arange(start, end, step, dtype=dt.np)
    return _finish(arr, requires_grad)


def _range_args(start, end, steps, op):
    if steps < 0:
        raise RuntimeError(f"{op}(): number of steps must be non-negative, got {steps}")
    return (v.item() if isinstance(v, Tensor) else v for v in (start, end, steps))


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """`steps` evenly spaced values from `start` to `end` inclusive."""
    start, end, steps = _range_args(start, end, steps, "linspace")
    xp, dt, _ = _xp_dtype(dtype, device)
    return _finish(xp.linspace(start, end, int(steps), dtype=np.float64).astype(dt.np),
                   requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """`base ** linspace(start, end, steps)`."""
    start, end, steps = _range_args(start, end, steps, "logspace")
    xp, dt, _ = _xp_dtype(dtype, device)
    return _finish(xp.logspace(start, end, int(steps), base=base, dtype=np.float64)
                   .astype(dt.np), requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    xp, dt, _ = _xp_dtype(dtype, device)
    return _finish(xp.eye(n, n if m is None else m, dtype=dt.np), requires_grad)


def scalar_tensor(value, *, dtype=None, device=None, requires_grad=False):
    return tensor(value, dtype=dtype or _dtypes.get_default_dtype(), device=device,
                  requires_grad=requires_grad)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of a 1-D tensor: columns x**(N-1), ..., x**0 (reversed when
    increasing); N defaults to len(x). Differentiable through the powers."""
    if x.ndim != 1:
        raise RuntimeError(f"x must be a one-dimensional tensor (got shape {list(x.shape)})")
    n = x.shape[0] if N is None else int(N)
    if n < 0:
        raise RuntimeError(f"N must be non-negative (got {N})")
    dt = _dtypes.int64 if x.dtype.category <= 1 else x.dtype
    powers = arange(n, device=x.device)
    if not increasing:
        powers = powers.flip(0)
    return x.to(dt).unsqueeze(1) ** powers.to(dt)


def _new(factory):
    """`Tensor.new_<factory>`: a new tensor with this tensor's dtype and device by default."""
    def method(self, *args, dtype=None, device=None, requires_grad=False, **kwargs):
        return factory(*args, dtype=self.dtype if dtype is None else dtype,
                       device=self.device if device is None else device,
                       requires_grad=requires_grad, **kwargs)
    method.__name__ = f"new_{factory.__name__}"
    return method


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    """A copy of `data` with this tensor's dtype and device unless given."""
    return tensor(data, dtype=self.dtype if dtype is None else dtype,
                  device=self.device if device is None else device, requires_grad=requires_grad)


METHODS = {"new_zeros": _new(zeros), "new_ones": _new(ones), "new_empty": _new(empty),
           "new_full": _new(full), "new_tensor": new_tensor}
