"""In-place ops (`add_`, `x[i] = v`, ...): compute out of place, write back, re-base the graph."""
import numpy as np

from .. import _dtypes
from ..autograd.grad_mode import state as _grad_state


def check_inplace_allowed(self, op):
    if _grad_state.enabled and self.requires_grad and self.grad_fn is None:
        raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an "
                           "in-place operation.")


def apply_inplace(self, result, op):
    """Write `result` (an out-of-place result tensor) into `self` and take over its graph."""
    check_inplace_allowed(self, op)
    data = result._data
    if data.dtype != self._data.dtype:
        src = _dtypes.from_numpy_dtype(data.dtype)
        dst = _dtypes.from_numpy_dtype(self._data.dtype)
        if src.category > dst.category:
            raise RuntimeError(f"{op}: result type {src.name} can't be cast to the desired "
                               f"output type {dst.name}")
        data = data.astype(dst.np)
    if data.shape != self._data.shape:
        raise RuntimeError(f"{op}: output with shape {list(self._data.shape)} doesn't match the "
                           f"broadcast shape {list(data.shape)}")
    if not self._data.flags.writeable:
        raise RuntimeError(f"{op}: the tensor's memory is read-only (it was made from a "
                           "read-only array)")
    if isinstance(self._data, np.ndarray):
        np.copyto(self._data, data)
    else:
        self._data[...] = data
    self._vc[0] += 1
    if result.grad_fn is not None:
        self.grad_fn = result.grad_fn
        self.requires_grad = True
    return self


def make_inplace(fn, name):
    """`x.op_(...)` from the out-of-place `fn`."""
    def method(self, *args, **kwargs):
        return apply_inplace(self, fn(self, *args, **kwargs), name)
    method.__name__ = name
    method.__doc__ = f"In-place form of `{fn.__name__}`."
    return method

