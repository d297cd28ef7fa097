"""Rounded division and remainders: div(..., rounding_mode=), floor_divide, remainder, fmod.

Integer operands stay integers (division by zero is PyTorch's "ZeroDivisionError" RuntimeError);
float operands follow IEEE (x / 0 is +-inf or NaN), with PyTorch's signs of zero.
"""
import numpy as np

from .. import _dtypes
from ..autograd.graph import Node
from ._common import attach, binary, grad_for, grad_for_meta, is_tensor, meta, requires_grad
from .inplace import make_inplace

_MODES = ("trunc", "floor")


def _operands(input, other, op):
    """Both operands in the result dtype, the array module, and whether the math is integral."""
    a, b = binary(input, other, op)
    dt = _dtypes.result_type(input, other)
    if dt is _dtypes.bool_:
        raise RuntimeError(f"{op}: not implemented for 'Bool' tensors")
    if dt.is_complex:
        raise RuntimeError(f"{op}: not implemented for complex tensors")
    xp = _array_module(a, b)
    integral = dt.category == 1
    if integral and _has_zero(xp, b):
        raise RuntimeError(f"{op}: ZeroDivisionError (integer division by zero)")
    return a, b, xp, integral


def _array_module(a, b):
    from .._device import array_module_of
    return array_module_of(a if hasattr(a, "shape") else b)


def _has_zero(xp, b):
    return bool((b == 0).any()) if hasattr(b, "shape") else b == 0


def _floor_div(xp, a, b, integral):
    # NumPy's float floor_divide is PyTorch's algorithm (fmod-based, exact signs of zero).
    if integral:
        return a // b
    with np.errstate(all="ignore"):
        return xp.floor_divide(a, b)


def _trunc_div(xp, a, b, integral):
    if integral:
        # a - fmod(a, b) is an exact multiple of b, so floor division of it truncates.
        return (a - xp.fmod(a, b)) // b
    with np.errstate(all="ignore"):
        return xp.trunc(a / b)


class DivBackward2(Node):
    """Rounded division is piecewise constant: zero gradients for both operands."""
    __slots__ = ("x_meta", "y_meta")

    def backward(self, g):
        gx = grad_for_meta(g * 0, *self.x_meta) if self.inputs[0] is not None else None
        gy = grad_for_meta(g * 0, *self.y_meta) if self.inputs[1] is not None else None
        return gx, gy


class FloorDivideBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        raise RuntimeError("the derivative for 'floor_divide' is not implemented (as in "
                           "PyTorch); use div(..., rounding_mode='floor'), whose gradient is 0")


def divide_rounded(input, other, rounding_mode):
    """`input / other` rounded toward zero ('trunc') or toward -inf ('floor')."""
    if rounding_mode not in _MODES:
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                         f"found {rounding_mode!r}")
    a, b, xp, integral = _operands(input, other, "div")
    rounded = _floor_div if rounding_mode == "floor" else _trunc_div
    out = rounded(xp, a, b, integral)
    node = None
    if requires_grad(input, other):
        node = DivBackward2(None)
        node.x_meta, node.y_meta = meta(input), meta(other)
    return attach(out, node, (input, other))


def floor_divide(input, other):
    """`input // other`: division rounded toward -inf."""
    a, b, xp, integral = _operands(input, other, "floor_divide")
    out = _floor_div(xp, a, b, integral)
    node = FloorDivideBackward0(None) if requires_grad(input, other) else None
    return attach(out, node, (input, other))


class _RemainderBackward(Node):
    """d/dx = 1 and d/dy = -(x / y rounded as the remainder rounds its quotient)."""
    __slots__ = ("x", "y")
    rounding_mode = None

    def backward(self, g):
        from .arithmetic import div
        if self.saved:
            self.unpack()
        x, y = self.x, self.y
        gx = grad_for(g, x) if self.inputs[0] is not None else None
        gy = None
        if self.inputs[1] is not None:
            gy = grad_for(-g * div(x, y, rounding_mode=self.rounding_mode), y)
        return gx, gy


class RemainderBackward0(_RemainderBackward):
    __slots__ = ()
    rounding_mode = "floor"


class FmodBackward0(_RemainderBackward):
    __slots__ = ()
    rounding_mode = "trunc"


def _record(out, node_cls, input, other):
    node = None
    if requires_grad(input, other):
        node = node_cls(None)
        node.x, node.y = input, other
        node.save(*(v for v in (input, other) if is_tensor(v)))
    return attach(out, node, (input, other))


def remainder(input, other):
    """Python's `%`: the result has the sign of `other` (a zero result keeps `input`'s sign)."""
    a, b, xp, integral = _operands(input, other, "remainder")
    if integral:
        out = a % b
    else:
        with np.errstate(all="ignore"):
            out = xp.fmod(a, b)
            # PyTorch's rule, which differs from NumPy's only in the sign of zero results.
            out = xp.where((out != 0) & ((b < 0) != (out < 0)), out + b, out)
    return _record(out, RemainderBackward0, input, other)


def fmod(input, other):
    """C's fmod: the remainder of truncated division, with the sign of `input`."""
    a, b, xp, integral = _operands(input, other, "fmod")
    with np.errstate(all="ignore"):
        out = xp.fmod(a, b)
    return _record(out, FmodBackward0, input, other)


def _reflected(fn):
    def method(self, other):
        return fn(other, self)
    method.__name__ = f"__r{fn.__name__}__"
    return method


__all__ = ["floor_divide", "remainder", "fmod"]
METHODS = {
    "floor_divide": floor_divide, "remainder": remainder, "fmod": fmod,
    "__floordiv__": floor_divide, "__rfloordiv__": _reflected(floor_divide),
    "__mod__": remainder, "__rmod__": _reflected(remainder),
}
for _name, _fn in (("floor_divide_", floor_divide), ("remainder_", remainder), ("fmod_", fmod),
                   ("__ifloordiv__", floor_divide), ("__imod__", remainder)):
    METHODS[_name] = make_inplace(_fn, _name)
