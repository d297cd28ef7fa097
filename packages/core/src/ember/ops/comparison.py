"""Comparisons, `where`, elementwise max/min, logical and bitwise ops, and float predicates.

Comparisons and predicates return bool tensors and record no graph; `where`, maximum, minimum,
fmax and fmin are differentiable in their value operands.
"""
import numbers
import operator

import numpy as np

from .. import _dtypes
from .._device import array_module_of
from .._tensor import Tensor
from ..autograd.graph import Node
from ._common import attach, binary, grad_for, is_tensor, requires_grad
from .inplace import make_inplace


def _module(a, b):
    return array_module_of(a if hasattr(a, "dtype") and hasattr(a, "shape") else b)


def _comparison(name, compare, ordered):
    def op(input, other):
        a, b = binary(input, other, name)
        if ordered and _dtype_kind(a, b) == "c":
            raise RuntimeError(f"{name}: not implemented for complex tensors")
        return attach(compare(a, b), None, ())

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise `input {name} other` as a bool tensor, broadcasting."
    return op


def _dtype_kind(a, b):
    return (a.dtype if hasattr(a, "dtype") else b.dtype).kind


eq = _comparison("eq", operator.eq, False)
ne = _comparison("ne", operator.ne, False)
lt = _comparison("lt", operator.lt, True)
le = _comparison("le", operator.le, True)
gt = _comparison("gt", operator.gt, True)
ge = _comparison("ge", operator.ge, True)
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _operator(fn):
    """`tensor == other` for operands PyTorch compares; anything else falls back to Python
    (so `t == None` is False and `t in [a, b]` works by identity first)."""
    def method(self, other):
        if not isinstance(other, (Tensor, numbers.Number, np.generic)):
            return NotImplemented
        return fn(self, other)
    method.__name__ = fn.__name__
    return method


class WhereBackward0(Node):
    __slots__ = ("x", "y")

    def backward(self, g):
        (cond,) = self.unpack()
        gx = gy = None
        if self.inputs[0] is not None:
            gx = grad_for(where(cond, g, 0.0), self.x)
        if self.inputs[1] is not None:
            gy = grad_for(where(cond, 0.0, g), self.y)
        return gx, gy


def where(condition, input=None, other=None):
    """`input` where `condition` holds, else `other` (tensors or numbers, broadcasting, with
    PyTorch's type promotion). `where(condition)` is `nonzero(condition, as_tuple=True)`."""
    if not isinstance(condition, Tensor):
        raise TypeError(f"where(): argument 'condition' must be Tensor, not "
                        f"{type(condition).__name__}")
    cond = condition._data
    if input is None and other is None:
        return tuple(Tensor._make(i.astype("int64", copy=False)) for i in cond.nonzero())
    if input is None or other is None:
        raise TypeError("where(): expected both 'input' and 'other', or neither")
    if cond.dtype != bool:
        raise RuntimeError(f"where: expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {condition.dtype.name}")
    xp = array_module_of(cond)
    dt = _dtypes.result_type(input, other).np
    if is_tensor(input) or is_tensor(other):
        a, b = binary(input, other, "where")
    else:
        a, b = input, other
    # Scalars become 0-dim arrays of the result dtype so NumPy keeps PyTorch's dtype.
    a = a if hasattr(a, "shape") else xp.asarray(a, dtype=dt)
    b = b if hasattr(b, "shape") else xp.asarray(b, dtype=dt)
    out = xp.where(cond, a, b)
    node = None
    if requires_grad(input, other):
        node = WhereBackward0(None)
        node.x, node.y = input, other
        node.save(condition)
    return attach(out, node, (input, other))


class _ExtremumBackward(Node):
    """maximum/minimum: the gradient goes to the chosen operand and is split in half on ties
    (NaN sends it to both, as in PyTorch)."""
    __slots__ = ("x", "y")
    rule = None  # (x, y) -> where x lost

    def backward(self, g):
        if self.saved:
            self.unpack()
        x, y = self.x, self.y
        shared = where(x == y, g / 2, g)
        gx = grad_for(where(self.rule(x, y), 0.0, shared), x) \
            if self.inputs[0] is not None else None
        gy = grad_for(where(self.rule(y, x), 0.0, shared), y) \
            if self.inputs[1] is not None else None
        return gx, gy


class _NanIgnoringBackward(Node):
    """fmax/fmin: the whole gradient goes to x where x was chosen (ties included) or y is NaN."""
    __slots__ = ("x", "y")
    rule = None  # (x, y) -> where x was chosen

    def backward(self, g):
        if self.saved:
            self.unpack()
        x, y = self.x, self.y
        chosen = self.rule(x, y) | isnan(y) if is_tensor(y) else self.rule(x, y)
        gx = grad_for(where(chosen, g, 0.0), x) if self.inputs[0] is not None else None
        gy = grad_for(where(chosen, 0.0, g), y) if self.inputs[1] is not None else None
        return gx, gy


def _extremum(name, compute, base, rule, node_name, doc):
    node_cls = type(node_name, (base,), {"__slots__": (), "rule": staticmethod(rule)})

    def op(input, other):
        a, b = binary(input, other, name)
        if _dtype_kind(a, b) == "c":
            raise RuntimeError(f"{name}: not implemented for complex tensors")
        out = compute(_module(a, b), a, b)
        node = None
        if requires_grad(input, other):
            node = node_cls(None)
            node.x, node.y = input, other
            node.save(*(v for v in (input, other) if is_tensor(v)))
        return attach(out, node, (input, other))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


maximum = _extremum("maximum", lambda xp, a, b: xp.maximum(a, b), _ExtremumBackward,
                    lambda x, y: x < y, "MaximumBackward0",
                    "Elementwise maximum, broadcasting; NaN wins.")
minimum = _extremum("minimum", lambda xp, a, b: xp.minimum(a, b), _ExtremumBackward,
                    lambda x, y: x > y, "MinimumBackward0",
                    "Elementwise minimum, broadcasting; NaN wins.")
fmax = _extremum("fmax", lambda xp, a, b: xp.fmax(a, b), _NanIgnoringBackward,
                 lambda x, y: x >= y, "FmaxBackward0",
                 "Elementwise maximum that ignores NaN (NaN only where both are NaN).")
fmin = _extremum("fmin", lambda xp, a, b: xp.fmin(a, b), _NanIgnoringBackward,
                 lambda x, y: x <= y, "FminBackward0",
                 "Elementwise minimum that ignores NaN (NaN only where both are NaN).")


def _logical(name, combine):
    def op(input, other):
        a, b = binary(input, other, name)
        return attach(combine(_module(a, b), a, b), None, ())

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise `{name}` of the operands' truth values, as a bool tensor."
    return op


logical_and = _logical("logical_and", lambda xp, a, b: xp.logical_and(a, b))
logical_or = _logical("logical_or", lambda xp, a, b: xp.logical_or(a, b))
logical_xor = _logical("logical_xor", lambda xp, a, b: xp.logical_xor(a, b))


def logical_not(input):
    """Elementwise `not`, as a bool tensor."""
    return attach(array_module_of(input._data).logical_not(input._data), None, ())


def _check_integral(arr, name):
    if arr.dtype.kind not in "biu":
        raise RuntimeError(f"{name}: not implemented for "
                           f"'{_dtypes.from_numpy_dtype(arr.dtype).name}' tensors (integer and "
                           "bool tensors only)")


def _bitwise(name, combine):
    def op(input, other):
        a, b = binary(input, other, name)
        for v in (a, b):
            if hasattr(v, "dtype"):
                _check_integral(v, name)
            elif isinstance(v, float):
                raise RuntimeError(f"{name}: not implemented for floating-point operands")
        return attach(combine(a, b), None, ())

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise `{name}` of integer or bool tensors, broadcasting."
    return op


bitwise_and = _bitwise("bitwise_and", operator.and_)
bitwise_or = _bitwise("bitwise_or", operator.or_)
bitwise_xor = _bitwise("bitwise_xor", operator.xor)


def _shift(name, left):
    def op(input, other):
        a, b = binary(input, other, name)
        for v in (a, b):
            if hasattr(v, "dtype") and v.dtype.kind not in "iu":
                raise RuntimeError(f"{name}: not implemented for "
                                   f"'{_dtypes.from_numpy_dtype(v.dtype).name}' tensors "
                                   "(integer tensors only)")
            if isinstance(v, (float, bool)):
                raise RuntimeError(f"{name}: expected integer operands, got {v!r}")
        xp = _module(a, b)
        a, b = xp.asarray(a), xp.asarray(b)
        dtype = a.dtype if a.ndim or not b.ndim else b.dtype
        bits = xp.asarray(a.dtype.itemsize * 8)
        # Shifting by the bit width or more is undefined in C; PyTorch gives 0 (or -1 for a
        # right shift of a negative number), and so do we.
        wide = (b >= bits) | (b < 0)
        safe = xp.where(wide, 0, b).astype(a.dtype)
        if left:
            out = xp.where(wide, 0, xp.left_shift(a, safe))
        else:
            out = xp.where(wide, xp.where(a < 0, -1, 0), xp.right_shift(a, safe))
        return attach(out.astype(dtype, copy=False), None, ())

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise {'left' if left else 'right'} shift of integer tensors."
    return op


bitwise_left_shift = _shift("bitwise_left_shift", True)
bitwise_right_shift = _shift("bitwise_right_shift", False)


def bitwise_not(input):
    """`~input`: logical not for bool tensors, two's-complement not for integers."""
    arr = input._data
    _check_integral(arr, "bitwise_not")
    return attach(~arr, None, ())


def _predicate(name, floating, integral, doc):
    """A float predicate; `integral` is the constant answer for integer and bool tensors."""
    def op(input):
        arr = input._data
        xp = array_module_of(arr)
        if arr.dtype.kind in "biu":
            out = xp.full(arr.shape, integral, dtype=bool)
        else:
            out = floating(xp, arr)
        return attach(out, None, ())

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


def _real_predicate(name, fn):
    def check(xp, arr):
        if arr.dtype.kind == "c":
            raise RuntimeError(f"{name}: does not support complex inputs.")
        return fn(xp, arr)
    return check


isnan = _predicate("isnan", lambda xp, a: xp.isnan(a), False, "True where the value is NaN.")
isinf = _predicate("isinf", lambda xp, a: xp.isinf(a), False, "True where the value is +-inf.")
isfinite = _predicate("isfinite", lambda xp, a: xp.isfinite(a), True,
                      "True where the value is neither NaN nor infinite.")
isposinf = _predicate("isposinf", _real_predicate("isposinf", lambda xp, a: a == xp.inf),
                      False, "True where the value is +inf.")
isneginf = _predicate("isneginf", _real_predicate("isneginf", lambda xp, a: a == -xp.inf),
                      False, "True where the value is -inf.")


def isreal(input):
    """True where the imaginary part is 0 (everywhere, for real tensors)."""
    arr = input._data
    if arr.dtype.kind != "c":
        return attach(array_module_of(arr).ones(arr.shape, dtype=bool), None, ())
    return attach(arr.imag == 0, None, ())


def signbit(input):
    """True where the sign bit is set (so -0.0 counts as negative)."""
    arr = input._data
    if arr.dtype.kind == "c":
        raise RuntimeError("signbit: does not support complex inputs.")
    xp = array_module_of(arr)
    return attach(xp.signbit(arr) if arr.dtype.kind == "f" else arr < 0, None, ())


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| <= atol + rtol * |other| elementwise (infinities equal when equal)."""
    if is_tensor(other) and input.dtype is not other.dtype:
        raise RuntimeError(f"isclose: Expected input and other to have the same dtype, but got "
                           f"{input.dtype.name} and {other.dtype.name}")
    if rtol < 0 or atol < 0:
        raise RuntimeError(f"isclose: rtol and atol must be greater than or equal to zero, but "
                           f"got rtol={rtol} and atol={atol}")
    a, b = binary(input, other, "isclose")
    xp = _module(a, b)
    close = a == b
    kind = _dtype_kind(a, b)
    if equal_nan and kind in "fc":
        close = close | (xp.isnan(a) & xp.isnan(b))
    if rtol == 0 and atol == 0:
        return attach(close, None, ())
    if kind in "biu":
        f = _dtypes.get_default_dtype().np
        a, b = xp.asarray(a, dtype=f), xp.asarray(b, dtype=f)
    with np.errstate(all="ignore"):
        actual = xp.abs(a - b)
        close = close | (xp.isfinite(actual) & (actual <= atol + xp.abs(rtol * b)))
    return attach(close, None, ())


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when every element is close (see `isclose`)."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other):
    """True when both tensors have the same shape and the same values (NaN is never equal)."""
    if tuple(input.shape) != tuple(other.shape):
        return False
    a, b = binary(input, other, "equal")
    return bool((a == b).all())


def _reflected(fn):
    def method(self, other):
        return fn(other, self)
    method.__name__ = f"__r{fn.__name__}__"
    return method


_OPERATORS = {"__and__": bitwise_and, "__or__": bitwise_or, "__xor__": bitwise_xor,
              "__lshift__": bitwise_left_shift, "__rshift__": bitwise_right_shift}

__all__ = [
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
    "not_equal", "where", "maximum", "minimum", "fmax", "fmin", "logical_and", "logical_or",
    "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
    "bitwise_left_shift", "bitwise_right_shift", "isreal",
    "isnan", "isinf", "isfinite", "isposinf", "isneginf", "signbit", "isclose", "allclose",
    "equal",
]
METHODS = {name: globals()[name] for name in __all__}
METHODS.update({
    "__eq__": _operator(eq), "__ne__": _operator(ne), "__lt__": _operator(lt),
    "__le__": _operator(le), "__gt__": _operator(gt), "__ge__": _operator(ge),
    "__invert__": bitwise_not, **_OPERATORS,
    "__rand__": _reflected(bitwise_and), "__ror__": _reflected(bitwise_or),
    "__rxor__": _reflected(bitwise_xor), "__rlshift__": _reflected(bitwise_left_shift),
    "__rrshift__": _reflected(bitwise_right_shift),
})
for _name in ("eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less",
              "less_equal", "not_equal", "logical_and", "logical_or", "logical_xor",
              "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
              "bitwise_left_shift", "bitwise_right_shift"):
    METHODS[f"{_name}_"] = make_inplace(globals()[_name], f"{_name}_")
for _dunder, _fn in _OPERATORS.items():
    _inplace = _dunder.replace("__", "__i", 1)
    METHODS[_inplace] = make_inplace(_fn, _inplace)
