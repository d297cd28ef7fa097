"""Special functions of one tensor: lgamma, digamma, polygamma, mvlgamma, i0.

The values come from `_special.py` (float64 series on raw arrays, any array module); integer
inputs compute in the default float dtype, as in PyTorch."""
import math
import numbers

import numpy as np

from .._device import array_module_of
from ..autograd.graph import Node
from ._common import attach, requires_grad
from ._special import digamma_array, i0_array, i1_array, lgamma_array, polygamma_array
from .inplace import make_inplace
from .pointwise import _real_only
from .unary import _floating, _pointwise

lgamma = _pointwise("lgamma", lgamma_array, lambda g, x: g * digamma(x), check=_real_only,
                    doc="log|Gamma(x)|; +inf at the poles (0, -1, -2, ...).")
digamma = _pointwise("digamma", digamma_array, lambda g, x: g * polygamma(1, x),
                     check=_real_only, doc="psi(x) = d/dx lgamma(x); -inf at +0, +inf at -0, "
                     "NaN at the negative integers.")
i0 = _pointwise("i0", i0_array, lambda g, x: g * _i1(x), check=_real_only,
                doc="Modified Bessel function of the first kind, order 0.")
# I1 is what i0's gradient needs; its own derivative is I0(x) - I1(x) / x.
_i1 = _pointwise("i1", i1_array, lambda g, x: g * (i0(x) - _i1(x) / x), check=_real_only,
                 node_name="SpecialI1Backward0")


class PolygammaBackward0(Node):
    __slots__ = ("n",)

    def backward(self, g):
        (x,) = self.unpack()
        return (g * polygamma(self.n + 1, x),)


def polygamma(n, input):
    """The n-th derivative of digamma (n >= 0); computed in float64, returned in input's dtype."""
    if not isinstance(n, numbers.Integral) or n < 0:
        raise RuntimeError(f"polygamma(n, x) does not support negative n (got n={n})")
    n = int(n)
    if n == 0:
        return digamma(input)
    _real_only(input._data, "polygamma")
    arr = _floating(input._data)
    with np.errstate(all="ignore"):
        out = polygamma_array(array_module_of(arr), n, arr)
    node = None
    if requires_grad(input):
        node = PolygammaBackward0(None)
        node.n = n
        node.save(input)
    return attach(out, node, (input,))


def mvlgamma(input, p):
    """Multivariate log-gamma of dimension p: sum_j lgamma(x - j/2) + p(p-1)/4 log(pi)."""
    if p < 1:
        raise RuntimeError(f"mvlgamma: p has to be greater than or equal to 1 (got p={p})")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"mvlgamma: expected a floating-point tensor, got {input.dtype}")
    if not bool((input > (p - 1) / 2).all()):
        raise RuntimeError(f"mvlgamma: All elements must be greater than (p-1)/2 = {(p - 1) / 2}")
    out = lgamma(input) + p * (p - 1) / 4 * math.log(math.pi)
    for j in range(1, p):
        out = out + lgamma(input - j / 2)
    return out


def _polygamma_method(self, n):
    return polygamma(n, self)


_FUNCTIONS = {"lgamma": lgamma, "digamma": digamma, "i0": i0, "mvlgamma": mvlgamma}
__all__ = sorted(list(_FUNCTIONS) + ["polygamma"])
METHODS = dict(_FUNCTIONS, polygamma=_polygamma_method)
METHODS.update({f"{name}_": make_inplace(fn, f"{name}_") for name, fn in METHODS.items()})
