"""Pointwise functions of two or three tensors: clamp, lerp, addcmul/addcdiv, float_power,
atan2, hypot, xlogy (exported with the unary family, see `unary.py`)."""
import numpy as np

from .. import _dtypes
from .._device import array_module_of
from .._tensor import Tensor
from ..autograd.graph import Node
from ._common import attach, binary, check_same_device, grad_for, is_tensor, requires_grad
from .arithmetic import add, pow
from .reduction import return_type


def _tensor_arg(input, op):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    return input._data


def _real_only(arr, op):
    if arr.dtype.kind == "c":
        raise RuntimeError(f"{op}: not implemented for complex tensors")


class ClampBackward1(Node):
    """Clamp to Python numbers: the gradient passes where lo <= x <= hi."""
    __slots__ = ("lo", "hi")

    def backward(self, g):
        (x,) = self.unpack()
        mask = None
        if self.lo is not None:
            mask = x >= self.lo
        if self.hi is not None:
            mask = x <= self.hi if mask is None else mask & (x <= self.hi)
        return (g * mask,)


class ClampBackward0(Node):
    """Clamp to tensors: each element's gradient goes to whichever of x, min, max it came from,
    with PyTorch's rules when min > max (max wins)."""
    __slots__ = ("lo", "hi")

    def backward(self, g):
        from .comparison import where
        x, lo, hi = self.lo_hi()
        grads = [None, None, None]
        if self.inputs[0] is not None:
            mask = None
            if lo is not None:
                mask = x >= lo
            if hi is not None:
                mask = x <= hi if mask is None else mask & (x <= hi)
            grads[0] = grad_for(where(mask, g, 0.0), x)
        if self.inputs[1] is not None:
            mask = x < lo if hi is None else (x < lo) & (lo < hi)
            grads[1] = grad_for(where(mask, g, 0.0), lo)
        if self.inputs[2] is not None:
            mask = x > hi if lo is None else (x > hi) | (hi < lo)
            grads[2] = grad_for(where(mask, g, 0.0), hi)
        return tuple(grads)

    def lo_hi(self):
        saved = iter(self.unpack())
        x = next(saved)
        lo = next(saved) if self.lo else None
        hi = next(saved) if self.hi else None
        return x, lo, hi


def clamp(input, min=None, max=None):
    """Limit values to [min, max]; bounds are numbers or broadcastable tensors. NaN stays NaN;
    where min > max the result is max, as in PyTorch."""
    arr = _tensor_arg(input, "clamp")
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    bounds = [b for b in (min, max) if b is not None]
    _real_only(arr, "clamp")
    dt = _dtypes.result_type(input, *bounds).np
    arr = arr if arr.dtype == dt else arr.astype(dt)
    lo, hi = (_bound(b, dt, input) for b in (min, max))
    xp = array_module_of(arr)
    out = arr
    if lo is not None:
        out = xp.maximum(out, lo)
    if hi is not None:
        out = xp.minimum(out, hi)
    if out is arr:
        out = arr.copy()
    if not requires_grad(input, min, max):
        return attach(out, None, ())
    if is_tensor(min) or is_tensor(max):
        node = ClampBackward0(None)
        node.lo, node.hi = min is not None, max is not None
        node.save(*[t for t in (input, min, max) if t is not None])
        return attach(out, node, (input, min, max))
    node = ClampBackward1(None)
    node.lo, node.hi = min, max
    node.save(input)
    return attach(out, node, (input,))


def _bound(b, dt, input):
    if b is None or not is_tensor(b):
        return b
    check_same_device(input, b, "clamp")
    return b._data if b._data.dtype == dt else b._data.astype(dt)


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)




class LerpBackward(Node):
    __slots__ = ("w",)

    def backward(self, g):
        saved = self.unpack()
        start, end = saved[0], saved[1]
        w = saved[2] if len(saved) == 3 else self.w
        gs = [None, None, None]
        if self.inputs[0] is not None:
            gs[0] = grad_for(g * (1 - w), start)
        if self.inputs[1] is not None:
            gs[1] = grad_for(g * w, end)
        if len(self.inputs) == 3 and self.inputs[2] is not None:
            gs[2] = grad_for(g * (end - start), w)
        return tuple(gs[:len(self.inputs)])


LerpBackward0 = type("LerpBackward0", (LerpBackward,), {"__slots__": ()})
LerpBackward1 = type("LerpBackward1", (LerpBackward,), {"__slots__": ()})


def lerp(input, end, weight):
    """input + weight * (end - input); `weight` is a number or a broadcastable tensor."""
    a, b = _tensor_arg(input, "lerp"), _tensor_arg(end, "lerp")
    if a.dtype != b.dtype:
        raise RuntimeError(f"lerp: expected dtype {input.dtype.name} for `end` but got dtype "
                           f"{end.dtype.name}")
    w = weight._data if is_tensor(weight) else weight
    if is_tensor(weight) and w.dtype != a.dtype:
        raise RuntimeError(f"lerp: expected dtype {input.dtype.name} for `weight` but got dtype "
                           f"{weight.dtype.name}")
    xp = array_module_of(a)
    with np.errstate(all="ignore"):
        diff = b - a
        # PyTorch's two-sided form: exact at weight 0 and at weight 1.
        out = xp.where(xp.abs(w) < 0.5, a + w * diff, b - diff * (1 - w)).astype(a.dtype)
    if not requires_grad(input, end, weight):
        return attach(out, None, ())
    if is_tensor(weight):
        node = LerpBackward1(None)
        node.save(input, end, weight)
        return attach(out, node, (input, end, weight))
    node = LerpBackward0(None)
    node.w = weight
    node.save(input, end)
    return attach(out, node, (input, end))


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2."""
    return add(input, tensor1 * tensor2, alpha=value)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2 (integer tensor1 and tensor2 are an error)."""
    if _is_integral(tensor1) and _is_integral(tensor2):
        raise RuntimeError("addcdiv: Integer division with addcdiv is no longer supported; "
                           "use (input + value * trunc(tensor1 / tensor2)) instead.")
    return add(input, tensor1 / tensor2, alpha=value)


def _is_integral(x):
    return is_tensor(x) and x._data.dtype.kind in "biu"


def float_power(input, exponent):
    """input ** exponent computed in float64 (complex128 when either is complex)."""
    complex_ = any(is_tensor(v) and v.is_complex() or isinstance(v, complex)
                   for v in (input, exponent))
    dt = _dtypes.complex128 if complex_ else _dtypes.float64
    if is_tensor(input):
        input = input.to(dt)
    if is_tensor(exponent):
        exponent = exponent.to(dt)
    if not is_tensor(input):
        from .creation import full_like
        input = full_like(exponent, input, dtype=dt)
    return pow(input, exponent)


class _TwoOperand(Node):
    """Backward of `f(x, y)` with x, y tensors or numbers: `derivatives(g, x, y)` gives both."""
    __slots__ = ("x", "y")
    derivatives = None

    def backward(self, g):
        if self.saved:
            self.unpack()
        x, y = self.x, self.y
        gx, gy = self.derivatives(g, x, y, self.inputs[0] is not None, self.inputs[1] is not None)
        return (grad_for(gx, x) if gx is not None else None,
                grad_for(gy, y) if gy is not None else None)


def _two_operand(name, compute, derivatives, node_name, scalars=True, doc=""):
    node_cls = type(node_name, (_TwoOperand,),
                    {"__slots__": (), "derivatives": staticmethod(derivatives)})

    def op(input, other):
        if not scalars:
            _tensor_arg(input, name)
            _tensor_arg(other, name)
        a, b = binary(input, other, name)
        dt = _dtypes.result_type(input, other)
        dt = dt if dt.category >= 2 else _dtypes.get_default_dtype()
        xp = array_module_of(a if _is_array(a) else b)
        # Numbers become 0-dim arrays of the result dtype: NumPy would widen float32 next to
        # the float64 scalar that xp.log(3.0) returns.
        a = a.astype(dt.np, copy=False) if _is_array(a) else xp.asarray(a, dtype=dt.np)
        b = b.astype(dt.np, copy=False) if _is_array(b) else xp.asarray(b, dtype=dt.np)
        with np.errstate(all="ignore"):
            out = compute(xp, a, b)
        node = None
        if requires_grad(input, other):
            node = node_cls(None)
            node.x, node.y = input, other
            node.save(*(v for v in (input, other) if is_tensor(v)))
        return attach(out, node, (input, other))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


def _is_array(a):
    return hasattr(a, "dtype") and hasattr(a, "shape")


def _atan2_derivatives(g, y, x, need_y, need_x):
    denom = x * x + y * y
    return (g * x / denom if need_y else None), (-g * y / denom if need_x else None)


def _hypot_derivatives(g, x, y, need_x, need_y):
    h = hypot(x, y)
    return (g * x / h if need_x else None), (g * y / h if need_y else None)


def _xlogy_derivatives(g, x, y, need_x, need_y):
    from .comparison import where
    gx = gy = None
    if need_x:
        gx = xlogy(g, y)
        if is_tensor(y) or y <= 0:
            gx = where((x == 0) & (y <= 0), 0.0, gx) if is_tensor(x) else gx
    if need_y:
        gy = g * x / y
    return gx, gy


def _xlogy(xp, a, b):
    # 0 * log(y) is 0 even where log(y) is -inf, but NaN in y still propagates.
    out = a * xp.log(b)
    return xp.where((a == 0) & ~xp.isnan(b), 0, out).astype(out.dtype, copy=False)


atan2 = _two_operand("atan2", lambda xp, a, b: xp.arctan2(a, b), _atan2_derivatives,
                     "Atan2Backward0", scalars=False,
                     doc="Angle of the point (other, input): atan(input / other) by quadrant.")
hypot = _two_operand("hypot", lambda xp, a, b: xp.hypot(a, b), _hypot_derivatives,
                     "HypotBackward0", scalars=False, doc="sqrt(input**2 + other**2) without "
                     "overflow.")
xlogy = _two_operand("xlogy", _xlogy, _xlogy_derivatives, "XlogyBackward0",
                     doc="input * log(other), 0 where input is 0 (unless other is NaN).")



def _float_operands(name, fn):
    """`fn` for floating tensors only: PyTorch has no integer kernel for these."""
    def op(input, other):
        for v in (input, other):
            if is_tensor(v) and v._data.dtype.kind in "biu":
                raise RuntimeError(f"{name}: not implemented for '{v.dtype.name}' tensors "
                                   "(floating-point tensors only)")
        return fn(input, other)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = fn.__doc__
    return op


def _logaddexp_derivatives(base_pow):
    def derivatives(g, x, y, need_x, need_y):
        # d/dx log(b^x + b^y) = 1 / (1 + b^(y - x)); the same with x, y swapped.
        return (g / (1 + base_pow(y - x)) if need_x else None,
                g / (1 + base_pow(x - y)) if need_y else None)
    return derivatives


def _logaddexp(xp, a, b):
    m = xp.maximum(a, b)
    # Equal infinities (inf, inf) would give inf - inf = NaN in the correction term.
    d = xp.where(a == b, 0, -xp.abs(a - b))
    return m + xp.log1p(xp.exp(d))


_LOG2_E = 1.4426950408889634  # a Python float: NumPy keeps float32 arrays float32 next to it


def _logaddexp2(xp, a, b):
    m = xp.maximum(a, b)
    d = xp.where(a == b, 0, -xp.abs(a - b))
    return m + xp.log1p(xp.exp2(d)) * _LOG2_E


def _exp(t):
    from .unary import exp
    return exp(t)


def _exp2(t):
    from .unary import exp2
    return exp2(t)


logaddexp = _float_operands("logaddexp", _two_operand(
    "logaddexp", _logaddexp, _logaddexp_derivatives(_exp), "LogaddexpBackward0", scalars=False,
    doc="log(exp(input) + exp(other)) without overflow."))
logaddexp2 = _float_operands("logaddexp2", _two_operand(
    "logaddexp2", _logaddexp2, _logaddexp_derivatives(_exp2), "Logaddexp2Backward0",
    scalars=False, doc="log2(2**input + 2**other) without overflow."))


def _copysign_derivatives(g, x, y, need_x, need_y):
    from .comparison import where
    gx = None
    if need_x:
        # d/dx copysign(x, y) = sign(x) sign(y), i.e. result / x; 0 where x is 0.
        gx = where(x == 0, 0.0, g * (copysign(x, y) / where(x == 0, 1.0, x)))
    return gx, (g * 0 if need_y else None)


copysign = _two_operand("copysign", lambda xp, a, b: xp.copysign(a, b), _copysign_derivatives,
                        "CopysignBackward0", doc="|input| with the sign of other (floating).")


def _no_derivative(name):
    def derivatives(g, x, y, need_x, need_y):
        raise RuntimeError(f"the derivative for '{name}' is not implemented (as in PyTorch)")
    return derivatives


def heaviside(input, values):
    """0 where input < 0, 1 where input > 0, `values` where input == 0."""
    _tensor_arg(input, "heaviside")
    _tensor_arg(values, "heaviside")
    if input.dtype != values.dtype:
        raise RuntimeError(f"heaviside is not yet implemented for tensors with different dtypes "
                           f"({input.dtype.name} and {values.dtype.name})")
    a, b = input._data, values._data
    if a.dtype.kind == "c":
        raise RuntimeError("heaviside is not yet implemented for complex tensors.")
    xp = array_module_of(a)
    out = xp.where(a == 0, b, (a > 0).astype(a.dtype))
    out = xp.where(a != a, a, out)  # NaN stays NaN
    node = None
    if requires_grad(input, values):
        node = _HeavisideBackward0(None)
    return attach(out.astype(a.dtype, copy=False), node, (input, values))


class _HeavisideBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        _no_derivative("heaviside")(g, None, None, True, True)


nextafter = _two_operand("nextafter", lambda xp, a, b: xp.nextafter(a, b),
                         _no_derivative("nextafter"), "NextafterBackward0", scalars=False,
                         doc="The next representable value after input toward other.")


def ldexp(input, other):
    """input * 2 ** other, in a floating dtype."""
    from .unary import exp2
    if is_tensor(other) and other._data.dtype.kind in "biu":
        other = other.to(_dtypes.get_default_dtype())
    if is_tensor(input) and input._data.dtype.kind in "biu":
        input = input.to(_dtypes.get_default_dtype())
    return input * exp2(other) if is_tensor(other) else input * 2.0 ** other


_FREXP = return_type("frexp", ("mantissa", "exponent"))


def frexp(input):
    """(mantissa, exponent) with input = mantissa * 2 ** exponent, |mantissa| in [0.5, 1);
    exponent is int32."""
    arr = _tensor_arg(input, "frexp")
    if arr.dtype.kind not in "f":
        raise RuntimeError(f"torch.frexp() only supports floating-point dtypes (got "
                           f"{input.dtype.name})")
    mantissa, exponent = array_module_of(arr).frexp(arr)
    return _FREXP(Tensor._make(mantissa), Tensor._make(exponent.astype("int32")))


def _integral_operands(name, compute):
    def op(input, other):
        a, b = binary(input, other, name)
        for v in (a, b):
            if hasattr(v, "dtype") and v.dtype.kind not in "iu":
                raise RuntimeError(f"{name}: not implemented for "
                                   f"'{_dtypes.from_numpy_dtype(v.dtype).name}' tensors "
                                   "(integer tensors only)")
            if isinstance(v, (float, bool)):
                raise RuntimeError(f"{name}: expected integer operands, got {v!r}")
        xp = array_module_of(a if _is_array(a) else b)
        return attach(compute(xp, a, b), None, ())

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise `{name}` of integer tensors (non-negative result), broadcasting."
    return op


gcd = _integral_operands("gcd", lambda xp, a, b: xp.gcd(a, b))
lcm = _integral_operands("lcm", lambda xp, a, b: xp.lcm(a, b))
