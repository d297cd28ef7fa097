"""Elementwise math of one tensor (exp, log, trig, activations, rounding, clamp...) and the small
pointwise functions of two or three tensors built the same way (atan2, hypot, xlogy, lerp...)."""
import math

import numpy as np

from .. import _dtypes
from .._device import array_module_of
from .._tensor import Tensor
from ..autograd.graph import Node
from ._common import attach, binary, grad_for, is_tensor, requires_grad
from ._special import erf_array, erfc_array, erfinv_array
from .arithmetic import add, pow
from .inplace import make_inplace


def _tensor_arg(input, op):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    return input._data


def _floating(arr):
    """Integer and bool inputs of float functions compute in the default float dtype."""
    return arr.astype(_dtypes.get_default_dtype().np) if arr.dtype.kind in "biu" else arr


def _no_bool(arr, op):
    if arr.dtype == bool:
        raise RuntimeError(f"{op}: not implemented for 'Bool' tensors")


def _real_only(arr, op):
    if arr.dtype.kind == "c":
        raise RuntimeError(f"{op}: not implemented for complex tensors")


class _Pointwise(Node):
    """Backward of `y = f(x)`: `derivative(grad, x)`, written in ember ops so it differentiates
    again under create_graph. For complex x the chain rule wants conj(f'(x)), which is f'(conj x)
    for these real-analytic f."""
    __slots__ = ()
    derivative = None

    def backward(self, g):
        (x,) = self.unpack()
        if x._data.dtype.kind == "c":
            x = x.conj()
        return (self.derivative(g, x),)


def _bool_as_int64(a):
    return a.astype("int64") if a.dtype == bool else a


def _pointwise(name, compute, derivative, *, floating=True, quiet=True, check=None,
               node_name=None, doc=""):
    """A public one-tensor op: `compute(xp, array)` forward, `derivative(grad, x)` backward.
    `quiet` silences NumPy's floating-point warnings (PyTorch never warns on log(0) or
    overflow); ops that cannot warn skip the errstate, which costs about a microsecond."""
    node_cls = type(node_name or f"{name.capitalize()}Backward0", (_Pointwise,),
                    {"__slots__": (), "derivative": staticmethod(derivative)})

    def op(input):
        arr = _tensor_arg(input, name)
        if check is not None:
            check(arr, name)
        if floating:
            arr = _floating(arr)
        xp = array_module_of(arr)
        if quiet:
            with np.errstate(all="ignore"):
                out = compute(xp, arr)
        else:
            out = compute(xp, arr)
        node = None
        if requires_grad(input):
            node = node_cls(None)
            node.save(input)
        return attach(out, node, (input,))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


def _zero_grad(g, x):
    return g * 0


_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

exp = _pointwise("exp", lambda xp, a: xp.exp(a), lambda g, x: g * exp(x), doc="e ** x.")
exp2 = _pointwise("exp2", lambda xp, a: xp.exp2(a), lambda g, x: g * (exp2(x) * _LN2),
                  doc="2 ** x.")
expm1 = _pointwise("expm1", lambda xp, a: xp.expm1(a), lambda g, x: g * exp(x),
                   doc="e ** x - 1, accurate near 0.")
log = _pointwise("log", lambda xp, a: xp.log(a), lambda g, x: g / x, doc="Natural logarithm.")
log2 = _pointwise("log2", lambda xp, a: xp.log2(a), lambda g, x: g / (x * _LN2),
                  doc="Base-2 logarithm.")
log10 = _pointwise("log10", lambda xp, a: xp.log10(a), lambda g, x: g / (x * _LN10),
                   doc="Base-10 logarithm.")
log1p = _pointwise("log1p", lambda xp, a: xp.log1p(a), lambda g, x: g / (x + 1),
                   node_name="Log1PBackward0", doc="log(1 + x), accurate near 0.")
sqrt = _pointwise("sqrt", lambda xp, a: xp.sqrt(a), lambda g, x: g / (2 * sqrt(x)),
                  doc="Square root (NaN for negative reals).")
rsqrt = _pointwise("rsqrt", lambda xp, a: 1 / xp.sqrt(a), lambda g, x: g * (-0.5 * rsqrt(x) / x),
                   doc="1 / sqrt(x).")
square = _pointwise("square", lambda xp, a: _bool_as_int64(a) ** 2, lambda g, x: g * (2 * x),
                    floating=False,
                    node_name="PowBackward0", doc="x * x (bool gives int64, as in PyTorch).")
sin = _pointwise("sin", lambda xp, a: xp.sin(a), lambda g, x: g * cos(x), doc="Sine.")
cos = _pointwise("cos", lambda xp, a: xp.cos(a), lambda g, x: -g * sin(x), doc="Cosine.")
tan = _pointwise("tan", lambda xp, a: xp.tan(a), lambda g, x: g * (1 + square(tan(x))),
                 doc="Tangent.")
asin = _pointwise("asin", lambda xp, a: xp.arcsin(a), lambda g, x: g * rsqrt(1 - x * x),
                  doc="Inverse sine.")
acos = _pointwise("acos", lambda xp, a: xp.arccos(a), lambda g, x: -g * rsqrt(1 - x * x),
                  doc="Inverse cosine.")
atan = _pointwise("atan", lambda xp, a: xp.arctan(a), lambda g, x: g / (1 + x * x),
                  doc="Inverse tangent.")
sinh = _pointwise("sinh", lambda xp, a: xp.sinh(a), lambda g, x: g * cosh(x),
                  doc="Hyperbolic sine.")
cosh = _pointwise("cosh", lambda xp, a: xp.cosh(a), lambda g, x: g * sinh(x),
                  doc="Hyperbolic cosine.")
tanh = _pointwise("tanh", lambda xp, a: xp.tanh(a), lambda g, x: g * (1 - square(tanh(x))),
                  doc="Hyperbolic tangent.")
asinh = _pointwise("asinh", lambda xp, a: xp.arcsinh(a), lambda g, x: g * rsqrt(x * x + 1),
                   doc="Inverse hyperbolic sine.")
acosh = _pointwise("acosh", lambda xp, a: xp.arccosh(a), lambda g, x: g * rsqrt(x * x - 1),
                   doc="Inverse hyperbolic cosine.")
atanh = _pointwise("atanh", lambda xp, a: xp.arctanh(a), lambda g, x: g / (1 - x * x),
                   doc="Inverse hyperbolic tangent.")


def _sigmoid_derivative(g, x):
    s = sigmoid(x)
    return g * (s * (1 - s))


sigmoid = _pointwise("sigmoid", lambda xp, a: 1 / (1 + xp.exp(-a)), _sigmoid_derivative,
                     doc="1 / (1 + e ** -x); exp overflow for very negative x gives exactly 0.")
erf = _pointwise("erf", lambda xp, a: erf_array(xp, a),
                 lambda g, x: g * (_TWO_OVER_SQRT_PI * exp(-x * x)), check=_real_only,
                 doc="The error function, accurate to float64 rounding.")
erfc = _pointwise("erfc", lambda xp, a: erfc_array(xp, a),
                  lambda g, x: g * (-_TWO_OVER_SQRT_PI * exp(-x * x)), check=_real_only,
                  doc="1 - erf(x), without cancellation for large x.")
erfinv = _pointwise("erfinv", lambda xp, a: erfinv_array(xp, a),
                    lambda g, x: g * (0.5 * math.sqrt(math.pi) * exp(square(erfinv(x)))),
                    check=_real_only, doc="Inverse of erf on (-1, 1); +-inf at +-1.")
reciprocal = _pointwise("reciprocal", lambda xp, a: 1 / a, lambda g, x: -g / (x * x),
                        doc="1 / x (integers give the default float dtype).")
relu = _pointwise("relu", lambda xp, a: xp.maximum(a, 0), lambda g, x: g * (x > 0),
                  floating=False, quiet=False, check=_no_bool, doc="max(x, 0); NaN stays NaN.")
# For complex x `_Pointwise` hands over conj(x); PyTorch's gradient is grad * sgn(x).
abs = _pointwise("abs", lambda xp, a: xp.abs(a), lambda g, x: g * sgn(x.conj()),
                 floating=False, quiet=False, check=_no_bool,
                 doc="|x| (a real tensor for complex x).")


def _sign_check(arr, op):
    if arr.dtype.kind == "c":
        raise RuntimeError("sign: Unlike NumPy, ember.sign is not intended to support complex "
                           "numbers. Please use ember.sgn instead.")


def _sign(xp, a):
    if a.dtype == bool:
        return a.copy()
    if a.dtype.kind in "iu":
        return xp.sign(a)
    # Unlike NumPy, PyTorch's sign of NaN is 0.
    return (a > 0).astype(a.dtype) - (a < 0)


sign = _pointwise("sign", _sign, _zero_grad,
                  floating=False, quiet=False, check=_sign_check, doc="-1, 0 or 1 per element.")


def _sgn(xp, a):
    if a.dtype.kind != "c":
        return _sign(xp, a)
    mag = xp.abs(a)
    return xp.where(mag == 0, 0, a / xp.where(mag == 0, 1, mag)).astype(a.dtype)


def _sgn_derivative(g, x):
    if not x.dtype.is_complex:
        return g * 0
    raise RuntimeError("sgn: the gradient for complex inputs is not implemented")


sgn = _pointwise("sgn", _sgn, _sgn_derivative, floating=False, quiet=False,
                 doc="x / |x| (0 at 0): sign for real tensors, the unit phasor for complex ones.")


def _integral_is_identity(rounder):
    # Rounding an integer tensor is a copy in PyTorch; bool is an error.
    return lambda xp, a: a.copy() if a.dtype.kind in "iu" else rounder(xp, a)


floor = _pointwise("floor", _integral_is_identity(lambda xp, a: xp.floor(a)), _zero_grad,
                   floating=False, quiet=False, check=_no_bool, doc="Round toward -inf.")
ceil = _pointwise("ceil", _integral_is_identity(lambda xp, a: xp.ceil(a)), _zero_grad,
                  floating=False, quiet=False, check=_no_bool, doc="Round toward +inf.")
trunc = _pointwise("trunc", _integral_is_identity(lambda xp, a: xp.trunc(a)), _zero_grad,
                   floating=False, quiet=False, check=_no_bool, doc="Round toward 0.")


def _frac_check(arr, op):
    if arr.dtype.kind not in "fc":
        raise RuntimeError(f"frac: not implemented for '{_dtypes.from_numpy_dtype(arr.dtype)}'")


frac = _pointwise("frac", lambda xp, a: a - xp.trunc(a), lambda g, x: g, floating=False,
                  check=_frac_check, doc="x - trunc(x).")
fix = trunc
_round_half_even = _pointwise("round", _integral_is_identity(lambda xp, a: xp.rint(a)),
                              _zero_grad, floating=False, quiet=False, check=_no_bool)


class RoundBackward1(Node):
    __slots__ = ()

    def backward(self, g):
        return (g * 0,)


def round(input, *, decimals=0):
    """Round half to even; `decimals` rounds to that many decimal places (negative: tens...)."""
    if decimals == 0:
        return _round_half_even(input)
    arr = _tensor_arg(input, "round")
    if arr.dtype.kind not in "fc":
        raise RuntimeError(f"round: decimals is not supported for {input.dtype} tensors")
    xp = array_module_of(arr)
    with np.errstate(all="ignore"):
        if decimals > 0:
            scale = 10.0 ** decimals
            out = xp.rint(arr * scale) / scale
        else:
            scale = 10.0 ** -decimals
            out = xp.rint(arr / scale) * scale
    node = RoundBackward1(None) if requires_grad(input) else None
    return attach(out.astype(arr.dtype, copy=False), node, (input,))


class LogitBackward0(Node):
    __slots__ = ("eps",)

    def backward(self, g):
        from .comparison import where
        (x,) = self.unpack()
        grad = g / (x * (1 - x))
        if self.eps is not None:
            grad = where((x < self.eps) | (x > 1 - self.eps), 0.0, grad)
        return (grad,)


def logit(input, eps=None):
    """log(p / (1 - p)); with `eps`, p is first clamped to [eps, 1 - eps]."""
    arr = _floating(_tensor_arg(input, "logit"))
    xp = array_module_of(arr)
    with np.errstate(all="ignore"):
        if eps is not None:
            arr = xp.clip(arr, eps, 1 - eps)
        out = xp.log(arr / (1 - arr))
    node = None
    if requires_grad(input):
        node = LogitBackward0(None)
        node.eps = eps
        node.save(input)
    return attach(out, node, (input,))


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
    from ._common import check_same_device
    check_same_device(input, b, "clamp")
    return b._data if b._data.dtype == dt else b._data.astype(dt)


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


clip = clamp


class NanToNumBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        from .comparison import isfinite
        (x,) = self.unpack()
        return (g * isfinite(x),)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN to `nan`, +-inf to `posinf`/`neginf` (default: the dtype's largest finite values)."""
    arr = _tensor_arg(input, "nan_to_num")
    if arr.dtype.kind not in "fc":
        return attach(arr.copy(), None, ())
    xp = array_module_of(arr)
    info = _finfo(arr.real.dtype)
    posinf = float(info.max) if posinf is None else posinf
    neginf = float(info.min) if neginf is None else neginf
    if arr.dtype.kind == "c":
        out = xp.nan_to_num(arr, nan=nan, posinf=posinf, neginf=neginf)
    else:
        out = xp.where(xp.isnan(arr), nan, arr)
        out = xp.where(out == xp.inf, posinf, out)
        out = xp.where(out == -xp.inf, neginf, out).astype(arr.dtype, copy=False)
    node = None
    if requires_grad(input):
        node = NanToNumBackward0(None)
        node.save(input)
    return attach(out, node, (input,))


def _finfo(np_dtype):
    import ml_dtypes
    return ml_dtypes.finfo(np_dtype)


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
arctan2 = atan2


def conj(input):
    """Complex conjugate; a real tensor is returned as is (PyTorch's behaviour)."""
    arr = _tensor_arg(input, "conj")
    if arr.dtype.kind != "c":
        return input
    node = ConjBackward0(None) if requires_grad(input) else None
    return attach(arr.conj(), node, (input,))


class ConjBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (g.conj(),)


class RealBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (g.to(_dtypes.from_numpy_dtype(g._data.dtype).to_complex()),)


class ImagBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        return (g * 1j,)


def real(input):
    """The real part, a view for complex tensors; a real tensor is returned as is."""
    arr = _tensor_arg(input, "real")
    if arr.dtype.kind != "c":
        return input
    if not requires_grad(input):
        return input._view_of(arr.real)
    return _view_node(input, arr.real, RealBackward0)


def imag(input):
    """The imaginary part of a complex tensor, as a view."""
    arr = _tensor_arg(input, "imag")
    if arr.dtype.kind != "c":
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    if not requires_grad(input):
        return input._view_of(arr.imag)
    return _view_node(input, arr.imag, ImagBackward0)


def _view_node(input, view, node_cls):
    from ..autograd.graph import edge
    node = node_cls((edge(input),))
    return input._view_of(view, node)


class AngleBackward0(Node):
    __slots__ = ()

    def backward(self, g):
        from .comparison import where
        (x,) = self.unpack()
        if not x.dtype.is_complex:
            return (g * 0,)
        return (where(x == 0, 0.0, g * x / square(abs(x)) * 1j),)


def angle(input):
    """The complex argument; for real tensors pi where negative, else 0 (NaN stays NaN)."""
    arr = _floating(_tensor_arg(input, "angle"))
    xp = array_module_of(arr)
    if arr.dtype.kind == "c":
        out = xp.angle(arr)
    else:
        out = xp.where(arr < 0, math.pi, 0.0).astype(arr.dtype)
        out = xp.where(xp.isnan(arr), arr, out)
    node = None
    if requires_grad(input):
        node = AngleBackward0(None)
        node.save(input)
    return attach(out, node, (input,))


def positive(input):
    """`+input`: the tensor itself (bool is an error, as in PyTorch)."""
    if _tensor_arg(input, "positive").dtype == bool:
        raise RuntimeError("positive: The `+` operator, on a bool tensor is not supported.")
    return input


arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh
absolute = abs

_INPLACE = {
    "exp": exp, "exp2": exp2, "expm1": expm1, "log": log, "log2": log2, "log10": log10,
    "log1p": log1p, "sqrt": sqrt, "rsqrt": rsqrt, "square": square, "sin": sin, "cos": cos,
    "tan": tan, "asin": asin, "arcsin": asin, "acos": acos, "arccos": acos, "atan": atan,
    "arctan": atan, "sinh": sinh, "cosh": cosh, "tanh": tanh, "asinh": asinh, "arcsinh": asinh,
    "acosh": acosh, "arccosh": acosh, "atanh": atanh, "arctanh": atanh, "sigmoid": sigmoid,
    "logit": logit, "relu": relu, "abs": abs, "absolute": abs, "sign": sign, "sgn": sgn,
    "reciprocal": reciprocal, "erf": erf, "erfc": erfc, "erfinv": erfinv, "floor": floor,
    "ceil": ceil, "round": round, "trunc": trunc, "fix": trunc, "frac": frac, "clamp": clamp,
    "clip": clamp, "clamp_min": clamp_min, "clamp_max": clamp_max, "nan_to_num": nan_to_num,
    "lerp": lerp, "addcmul": addcmul, "addcdiv": addcdiv, "float_power": float_power,
    "atan2": atan2, "arctan2": atan2, "hypot": hypot, "xlogy": xlogy,
}
__all__ = sorted(set(_INPLACE) | {"conj", "real", "imag", "angle", "positive"})
# `x.real` and `x.imag` are attributes in PyTorch, not methods.
METHODS = dict(_INPLACE, conj=conj, real=property(real), imag=property(imag), angle=angle,
               positive=positive, __abs__=abs, __pos__=positive)
METHODS.update({f"{name}_": make_inplace(fn, f"{name}_") for name, fn in _INPLACE.items()})
