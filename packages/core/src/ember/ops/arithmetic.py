"""Broadcasting arithmetic: add, sub, mul, div, neg, pow and their gradients."""
import numpy as np

from .. import _dtypes
from .._tensor import Tensor
from ..amp.autocast_mode import cast_inputs, state as _amp
from ..autograd.grad_mode import state as _grad_state
from ..autograd.graph import Node
from .inplace import make_inplace
from ._common import (_make, attach, binary, grad_for, grad_for_meta, is_tensor, meta,
                      requires_grad, sum_to_shape)


class AddBackward0(Node):
    # Only shapes and dtypes are kept: addition needs no input values for its gradient.
    __slots__ = ("x_meta", "y_meta", "alpha")

    def backward(self, g):
        # grad_for_meta's no-op case is checked inline: the usual add needs no reduction.
        gx = gy = None
        if self.inputs[0] is not None:
            shape, dtype = self.x_meta
            ga = g._data
            gx = g if ga.shape == shape and ga.dtype == dtype else grad_for_meta(g, shape, dtype)
        if self.inputs[1] is not None:
            alpha = self.alpha
            gy = g if alpha == 1 else -g if alpha == -1 else g * alpha
            shape, dtype = self.y_meta
            ga = gy._data
            if ga.shape != shape or ga.dtype != dtype:
                gy = grad_for_meta(gy, shape, dtype)
        return gx, gy


class SubBackward0(AddBackward0):
    __slots__ = ()


def add(input, other, *, alpha=1):
    """`input + alpha * other`, broadcasting; `alpha` scales `other` as in PyTorch."""
    a, b = binary(input, other, "add")
    out = a + b if alpha == 1 else a + b * alpha
    if requires_grad(input, other):
        node = AddBackward0(None)
        node.x_meta, node.y_meta, node.alpha = meta(input), meta(other), alpha
        return attach(out, node, (input, other))
    return _make(out)


def sub(input, other, *, alpha=1):
    """`input - alpha * other`."""
    if _is_bool(input) or _is_bool(other):
        raise RuntimeError("sub: Subtraction, the `-` operator, with a bool tensor is not "
                           "supported. If you are trying to invert a mask, use the `~` or "
                           "`logical_not()` operator instead.")
    a, b = binary(input, other, "sub")
    out = a - b if alpha == 1 else a - b * alpha
    if requires_grad(input, other):
        node = SubBackward0(None)
        node.x_meta, node.y_meta, node.alpha = meta(input), meta(other), -alpha
        return attach(out, node, (input, other))
    return _make(out)


def rsub(input, other, *, alpha=1):
    return sub(other, input, alpha=alpha)


def _is_bool(x):
    return isinstance(x, bool) or is_tensor(x) and x._data.dtype == bool


class MulBackward0(Node):
    __slots__ = ("x", "y")

    def backward(self, g):
        x, y = self.x, self.y
        if self.saved:
            self.unpack()
        if not _grad_state.enabled and _same_real_dtype(g, x, y):
            # create_graph=False: the formula below on the raw arrays, without an op dispatch
            # per product (the hottest backward of small-tensor graphs).
            ga = g._data
            gx = _reduced(ga * y._data, x) if self.inputs[0] is not None else None
            gy = _reduced(ga * x._data, y) if self.inputs[1] is not None else None
            return gx, gy
        gx = grad_for(g * _conj(y), x) if self.inputs[0] is not None else None
        gy = grad_for(g * _conj(x), y) if self.inputs[1] is not None else None
        return gx, gy


def _same_real_dtype(g, x, y):
    """Both factors tensors on one backend, all three of one real dtype: the raw-array product
    needs no promotion, conjugation, cast or device move."""
    if not (isinstance(x, Tensor) and isinstance(y, Tensor)):
        return False
    ga, xa, ya = g._data, x._data, y._data
    dt = ga.dtype
    return (xa.dtype == dt and ya.dtype == dt and dt.kind != "c"
            and type(xa) is type(ga) and type(ya) is type(ga))


def _reduced(arr, t):
    """A raw gradient product as the gradient of `t` (summed over broadcast dimensions)."""
    grad = _make(arr)
    return grad if arr.shape == t._data.shape else sum_to_shape(grad, t._data.shape)


def _conj(v):
    if isinstance(v, Tensor):
        return v.conj() if v._data.dtype.kind == "c" else v
    return v.conjugate() if isinstance(v, complex) else v


def _needed_by_product(x, y):
    """The tensors a product's gradient reads: each factor is needed only for the other's
    gradient, so `y.mul_(3)` on a non-leaf saves nothing that the in-place write invalidates."""
    if isinstance(x, Tensor) and isinstance(y, Tensor):
        if x.requires_grad:
            return (y, x) if y.requires_grad else (y,)
        return (x,) if y.requires_grad else ()
    return ()


def mul(input, other):
    """Elementwise product, broadcasting."""
    a, b = binary(input, other, "mul")
    if requires_grad(input, other):
        node = MulBackward0(None)
        node.x, node.y = input, other
        node.save(*_needed_by_product(input, other))
        return attach(a * b, node, (input, other))
    return _make(a * b)


class DivBackward0(Node):
    __slots__ = ("x", "y")

    def backward(self, g):
        x, y = self.x, self.y
        if self.saved:
            self.unpack()
        gx = grad_for(g / _conj(y), x) if self.inputs[0] is not None else None
        gy = None
        if self.inputs[1] is not None:
            gy = grad_for(-g * _conj(x) / _conj(y * y), y)
        return gx, gy


def div(input, other, *, rounding_mode=None):
    """True division (integers give floats); `rounding_mode` 'trunc' or 'floor' rounds."""
    if rounding_mode is not None:
        from .rounding import divide_rounded
        return divide_rounded(input, other, rounding_mode)
    a, b = binary(input, other, "div")
    dt = _dtypes.result_type(input, other)
    if not (dt.is_floating_point or dt.is_complex):
        # Integer division is true division in PyTorch: compute in the default float dtype.
        f = _dtypes.get_default_dtype().np
        a = a.astype(f) if not isinstance(a, (int, float, bool)) else a
        b = b.astype(f) if not isinstance(b, (int, float, bool)) else b
    with np.errstate(divide="ignore", invalid="ignore"):  # x / 0 is silent in PyTorch
        out = a / b
    node = None
    if requires_grad(input, other):
        node = DivBackward0(None)
        node.x, node.y = input, other
        # Both gradients read the divisor; only the divisor's gradient reads the dividend.
        needed = [other] if is_tensor(other) else []
        if is_tensor(input) and is_tensor(other) and other.requires_grad:
            needed.append(input)
        node.save(*needed)
    return attach(out, node, (input, other))


true_divide = div


def rdiv(input, other):
    return div(other, input)


class NegBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (-g,)


def neg(input):
    if input._data.dtype == bool:
        raise RuntimeError("neg: Negation, the `-` operator, on a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    if requires_grad(input):
        return attach(-input._data, NegBackward0(None), (input,))
    return _make(-input._data)


negative = neg


class PowBackward0(Node):
    __slots__ = ("x", "y", "out")

    def backward(self, g):
        # 0 * inf in the formulas below is masked out afterwards; NumPy must not warn about it.
        with np.errstate(invalid="ignore", divide="ignore"):
            return self._gradients(g)

    def _gradients(self, g):
        from .unary import log
        from .comparison import where
        x, y = self.x, self.y
        if self.saved:
            self.unpack()
        gx = gy = None
        if self.inputs[0] is not None:
            if is_tensor(y):
                gx = g * y * x ** (y - 1)
                # d/dx x**0 is 0 even at x == 0, where the formula gives 0 * inf.
                gx = where(y == 0, 0.0, gx)
            elif y == 0:
                gx = g * 0.0
            else:
                gx = g * y * x ** (y - 1)
            gx = grad_for(gx, x)
        if self.inputs[1] is not None:
            out = x ** y
            # PyTorch's convention: the gradient is 0 where the base is 0 and exponent >= 0.
            gy = g * out * log(x) if is_tensor(x) else g * out * _log_scalar(x)
            if is_tensor(x):
                gy = where((x == 0) & (y >= 0), 0.0, gy)
            gy = grad_for(gy, y)
        return gx, gy


def _log_scalar(x):
    import math
    return math.log(x) if x > 0 else float("nan")


def pow(input, exponent):
    """`input ** exponent`, broadcasting; integer tensors to negative powers are an error."""
    if _amp.on:
        input, exponent = cast_inputs("pow", input, exponent)
    a, b = binary(input, exponent, "pow")
    dt = _dtypes.result_type(input, exponent)
    if dt.category == 1 and _has_negative(exponent):
        raise RuntimeError("pow: Integers to negative integer powers are not allowed.")
    with np.errstate(all="ignore"):  # 0 ** -1 and overflow are silent in PyTorch
        out = a ** b
    node = None
    if requires_grad(input, exponent):
        node = PowBackward0(None)
        node.x, node.y = input, exponent
        node.save(*(v for v in (input, exponent) if is_tensor(v)))
    return attach(out, node, (input, exponent))


def _has_negative(e):
    if is_tensor(e):
        return bool((e._data < 0).any())
    return e < 0


def rpow(input, other):
    from .creation import full_like
    base = full_like(input, other, dtype=_dtypes.result_type(input, other)) if not is_tensor(
        other) else other
    return pow(base, input)


def _radd(self, other):
    return add(other, self)


def _rmul(self, other):
    return mul(other, self)


subtract, multiply, divide = sub, mul, div

METHODS = {
    "__add__": add, "__radd__": _radd, "__sub__": sub, "__rsub__": rsub, "__mul__": mul,
    "__rmul__": _rmul, "__truediv__": div, "__rtruediv__": rdiv, "__neg__": neg, "__pow__": pow,
    "__rpow__": rpow, "add": add, "sub": sub, "subtract": sub, "mul": mul, "multiply": mul,
    "div": div, "divide": div, "true_divide": div, "neg": neg, "negative": neg, "pow": pow,
}
for _names, _fn in [(("add",), add), (("sub", "subtract"), sub), (("mul", "multiply"), mul),
                    (("div", "divide", "true_divide", "truediv"), div), (("pow",), pow),
                    (("neg", "negative"), neg)]:
    for _name in _names:
        METHODS[f"{_name}_"] = make_inplace(_fn, f"{_name}_")
        METHODS[f"__i{_name}__"] = make_inplace(_fn, f"__i{_name}__")
