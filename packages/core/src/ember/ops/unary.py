"""Elementwise math of one tensor: exp, log, trig, activations, rounding, complex parts.

The family's functions of two or three tensors (clamp, lerp, atan2, xlogy...) live in
`pointwise.py`; they are exported and attached to Tensor from here with the rest."""
import math

import numpy as np

from .. import _dtypes
from .._device import array_module_of
from ..amp.autocast_mode import cast_inputs, state as _amp
from .._tensor import Tensor
from ..autograd.grad_mode import state as _grad_state
from ..autograd.graph import Node
from ._common import attach, requires_grad
from ._special import erf_array, erfc_array, erfinv_array
from .inplace import make_inplace
from .pointwise import (_real_only, _tensor_arg, addcdiv, addcmul, atan2, clamp,
                        clamp_max, clamp_min, copysign, float_power, frexp, gcd, heaviside,
                        hypot, lcm, ldexp, lerp, logaddexp, logaddexp2, nextafter, xlogy)


def _floating(arr):
    """Integer and bool inputs of float functions compute in the default float dtype."""
    return arr.astype(_dtypes.get_default_dtype().np) if arr.dtype.kind in "biu" else arr


def _no_bool(arr, op):
    if arr.dtype == bool:
        raise RuntimeError(f"{op}: not implemented for 'Bool' tensors")


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
        if _amp.on:
            input, = cast_inputs(name, input)
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
    op.node_class = node_cls  # for ops that record this op's node themselves (relu_)
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
def _relu_derivative(g, x):
    if not _grad_state.enabled:
        # First-order backward, no graph wanted: one multiply that reads the bool mask as it
        # goes, instead of ember ops converting the mask to g's dtype first (ResNet-18: 3 -> 2
        # passes over every activation).
        return Tensor._make(g._data * (x._data > 0))
    return g * (x > 0)


relu = _pointwise("relu", lambda xp, a: xp.maximum(a, 0), _relu_derivative,
                  floating=False, quiet=False, check=_no_bool, doc="max(x, 0); NaN stays NaN.")
# For complex x `_Pointwise` hands over conj(x); PyTorch's gradient is grad * sgn(x).
abs = _pointwise("abs", lambda xp, a: xp.abs(a), lambda g, x: g * sgn(x.conj()),
                 floating=False, quiet=False, check=_no_bool,
                 doc="|x| (a real tensor for complex x).")


_DEG_TO_RAD = math.pi / 180
deg2rad = _pointwise("deg2rad", lambda xp, a: a * _DEG_TO_RAD, lambda g, x: g * _DEG_TO_RAD,
                     check=_real_only, doc="Degrees to radians.")
rad2deg = _pointwise("rad2deg", lambda xp, a: a / _DEG_TO_RAD, lambda g, x: g / _DEG_TO_RAD,
                     check=_real_only, doc="Radians to degrees.")


def _sinc(xp, a):
    px = math.pi * xp.where(a == 0, 1, a)
    return xp.where(a == 0, 1, xp.sin(px) / px).astype(a.dtype, copy=False)


def _sinc_derivative(g, x):
    from .comparison import where
    # (cos(pi x) - sinc(x)) / x, which tends to 0 at x = 0; x is replaced there so that the
    # unused branch stays finite (a NaN would leak through where's gradient).
    safe = where(x == 0, 1.0, x)
    return where(x == 0, 0.0, g * ((cos(math.pi * safe) - sinc(safe)) / safe))


sinc = _pointwise("sinc", _sinc, _sinc_derivative, doc="sin(pi x) / (pi x), 1 at 0.")


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
arctan2, clip = atan2, clamp
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
    "atan2": atan2, "arctan2": atan2, "hypot": hypot, "xlogy": xlogy, "deg2rad": deg2rad,
    "rad2deg": rad2deg, "sinc": sinc, "copysign": copysign, "heaviside": heaviside,
    "nextafter": nextafter, "ldexp": ldexp, "gcd": gcd, "lcm": lcm,
}
__all__ = sorted(set(_INPLACE) | {"conj", "real", "imag", "angle", "positive", "frexp",
                                  "logaddexp", "logaddexp2"})
# `x.real` and `x.imag` are attributes in PyTorch, not methods.
METHODS = dict(_INPLACE, conj=conj, real=property(real), imag=property(imag), angle=angle,
               positive=positive, __abs__=abs, __pos__=positive, frexp=frexp,
               logaddexp=logaddexp, logaddexp2=logaddexp2)
METHODS.update({f"{name}_": make_inplace(fn, f"{name}_") for name, fn in _INPLACE.items()})
