"""erf, erfc and erfinv on raw arrays, accurate to float64 rounding on any array module.

NumPy has none of them and CuPy's live in an optional package, so they are built here from
array arithmetic only. Each computes in float64 and returns the input's floating dtype.
- erf for |x| < 1.5: the series 2/sqrt(pi) e^(-x^2) sum 2^n x^(2n+1) / (2n+1)!!, whose terms
  are all positive (no cancellation); 40 terms reach 1e-17 at x = 1.5.
- erfc for |x| >= 1.5: Laplace's continued fraction e^(-x^2) / sqrt(pi) / (x + (1/2) / (x + 1 /
  (x + (3/2) / ...))), evaluated bottom-up; 100 levels reach 2e-16 at x = 1.5.
- erfinv: Winitzki's closed-form estimate (relative error ~2e-3) refined by three Halley steps,
  taking the residual from erfc near +-1 so that 1 - y keeps its digits.
"""
import math

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI = math.sqrt(math.pi)
_SPLIT = 1.5
_SERIES_TERMS = 40
_FRACTION_LEVELS = 100
# erf(x) rounds to 1 and erfc(x) underflows well before this; clamping keeps inf out of the math.
_LARGE = 30.0
_WINITZKI_A = 0.147


def _exp_neg_square(xp, x):
    # e^(-x^2) with x^2 split into an exact part and a small one: the rounding error of x*x
    # would otherwise be amplified by up to x^2 in relative terms.
    hi = xp.floor(x * 16.0) / 16.0
    return xp.exp(-hi * hi) * xp.exp(-(x - hi) * (x + hi))


def _erf_series(xp, x):
    x2 = x * x
    term = x
    total = x
    for n in range(1, _SERIES_TERMS):
        term = term * (2.0 * x2 / (2 * n + 1))
        total = total + term
    return _TWO_OVER_SQRT_PI * _exp_neg_square(xp, x) * total


def _erfc_fraction(xp, x):
    t = x
    for k in range(_FRACTION_LEVELS, 0, -1):
        t = x + (k * 0.5) / t
    return _exp_neg_square(xp, x) / (_SQRT_PI * t)


def _erf_erfc_of_magnitude(xp, a):
    """(erf(a), erfc(a)) for float64 a >= 0 (NaN passes through)."""
    a = xp.minimum(a, _LARGE)
    small = a < _SPLIT
    series = _erf_series(xp, xp.where(small, a, 0.0))
    fraction = _erfc_fraction(xp, xp.where(small, _SPLIT, a))
    return xp.where(small, series, 1.0 - fraction), xp.where(small, 1.0 - series, fraction)


def _as_float64(arr):
    return arr if arr.dtype == "float64" else arr.astype("float64")


def erf_array(xp, arr):
    x = _as_float64(arr)
    e, _ = _erf_erfc_of_magnitude(xp, xp.abs(x))
    return xp.copysign(e, x).astype(arr.dtype, copy=False)


def erfc_array(xp, arr):
    x = _as_float64(arr)
    _, c = _erf_erfc_of_magnitude(xp, xp.abs(x))
    return xp.where(x < 0, 2.0 - c, c).astype(arr.dtype, copy=False)


def erfinv_array(xp, arr):
    y = _as_float64(arr)
    a = xp.abs(y)
    ln = xp.log((1.0 - a) * (1.0 + a))
    b = 2.0 / (math.pi * _WINITZKI_A) + 0.5 * ln
    x = xp.sqrt(xp.sqrt(b * b - ln / _WINITZKI_A) - b)
    x = xp.where(a < 1.0, x, 0.0)  # keeps inf out of the refinement; restored below
    tail = a > 0.5
    for _ in range(3):
        e, c = _erf_erfc_of_magnitude(xp, x)
        residual = xp.where(tail, (1.0 - a) - c, e - a)
        step = residual / (_TWO_OVER_SQRT_PI * _exp_neg_square(xp, x))
        x = x - step / (1.0 + x * step)
    x = xp.where(a == 1.0, xp.inf, xp.where(a < 1.0, x, xp.nan))  # NaN beyond +-1
    return xp.copysign(x, y).astype(arr.dtype, copy=False)


# ----------------------------------------------------------------------------- gamma family
# lgamma, digamma and polygamma for x > 0 shift the argument up past _ASYMPTOTIC (recurrences
# Gamma(x + 1) = x Gamma(x), psi(x + 1) = psi(x) + 1/x) and then sum Stirling's asymptotic
# series, whose terms at z >= 15 fall below 1e-17 before they start to grow. x <= 0 goes through
# the reflection formulas, with sin(pi x) taken from x reduced to [-1, 1] (exact in floating
# point) so that large negative x keeps its digits.
_ASYMPTOTIC = 15.0
# B_2k / (2k (2k - 1)) for Stirling's lgamma series and B_2k / 2k for digamma's.
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)
_HALF_LOG_TWO_PI = 0.5 * math.log(2 * math.pi)


def _sin_pi(xp, x):
    r = x - 2.0 * xp.round(x * 0.5)  # in [-1, 1], exactly
    return xp.sin(math.pi * r)


def _shifted(xp, x, threshold):
    """(z, [x, x + 1, ..., z - 1] as one array per step or None) with z = x + n >= threshold."""
    finite = x[xp.isfinite(x)]
    steps = int(max(0.0, math.ceil(threshold - float(finite.min())))) if finite.size else 0
    z = x
    terms = []
    for _ in range(steps):
        low = z < threshold
        terms.append(xp.where(low, z, xp.nan))
        z = xp.where(low, z + 1.0, z)
    return z, terms


def _lgamma_positive(xp, x):
    z, terms = _shifted(xp, x, _ASYMPTOTIC)
    inv, inv2 = 1.0 / z, 1.0 / (z * z)
    series = xp.zeros_like(z)
    for k in range(len(_BERNOULLI), 0, -1):
        series = series * inv2 + _BERNOULLI[k - 1] / (2 * k * (2 * k - 1))
    out = (z - 0.5) * xp.log(z) - z + _HALF_LOG_TWO_PI + series * inv
    for t in terms:  # log Gamma(x) = log Gamma(z) - log(x (x + 1) ... (z - 1))
        out = out - xp.where(xp.isnan(t), 0.0, xp.log(xp.where(xp.isnan(t), 1.0, t)))
    return xp.where(x == xp.inf, xp.inf, out)


def lgamma_array(xp, arr):
    x = _as_float64(arr)
    neg = x <= 0
    pos = _lgamma_positive(xp, xp.where(neg, 1.0 - x, x))
    # Reflection: log|Gamma(x)| = log(pi / |sin(pi x)|) - log Gamma(1 - x).
    reflected = math.log(math.pi) - xp.log(xp.abs(_sin_pi(xp, x))) - pos
    out = xp.where(neg, reflected, pos)
    out = xp.where(neg & (x == xp.floor(x)), xp.inf, out)  # poles, and -inf -> inf
    return out.astype(arr.dtype, copy=False)


def _polygamma_positive(xp, n, x):
    """psi^(n)(x) for x > 0 (n = 0 is digamma)."""
    threshold = _ASYMPTOTIC + 2.0 * n
    z, terms = _shifted(xp, x, threshold)
    inv = 1.0 / z
    inv2 = inv * inv
    if n == 0:
        series = xp.zeros_like(z)
        for k in range(len(_BERNOULLI), 0, -1):
            series = series * inv2 + _BERNOULLI[k - 1] / (2 * k)
        out = xp.log(z) - 0.5 * inv - series * inv2
        shift_sign, power = -1.0, 1
    else:
        # (-1)^(n+1) [(n-1)!/z^n + n!/(2 z^(n+1)) + sum_k B_2k (2k+n-1)!/((2k)! z^(2k+n))]
        series = xp.zeros_like(z)
        for k in range(len(_BERNOULLI), 0, -1):
            coeff = _BERNOULLI[k - 1] * math.factorial(2 * k + n - 1) / math.factorial(2 * k)
            series = series * inv2 + coeff
        main = math.factorial(n - 1) + 0.5 * math.factorial(n) * inv + series * inv2
        out = (-1.0) ** (n + 1) * main * inv ** n
        shift_sign, power = (-1.0) ** n * math.factorial(n), n + 1
        # psi^(n)(x) = psi^(n)(z) + (-1)^(n+1) n! sum 1/(x+k)^(n+1)
        shift_sign = -shift_sign
    for t in terms:
        out = out + shift_sign * xp.where(xp.isnan(t), 0.0, 1.0 / xp.where(xp.isnan(t), 1.0, t)
                                          ** power)
    return out


def digamma_array(xp, arr):
    x = _as_float64(arr)
    neg = x <= 0
    pos = _polygamma_positive(xp, 0, xp.where(neg, 1.0 - x, x))
    # Reflection: psi(x) = psi(1 - x) - pi cos(pi x) / sin(pi x).
    r = x - 2.0 * xp.round(x * 0.5)
    reflected = pos - math.pi * xp.cos(math.pi * r) / xp.sin(math.pi * r)
    out = xp.where(neg, reflected, pos)
    out = xp.where(neg & (x == xp.floor(x)), xp.nan, out)
    out = xp.where(x == 0, xp.copysign(xp.inf, -x), out)  # PyTorch: digamma(+-0) = -+inf
    out = xp.where(x == xp.inf, xp.inf, out)
    return out.astype(arr.dtype, copy=False)


def polygamma_array(xp, n, arr):
    if n == 0:
        return digamma_array(xp, arr)
    x = _as_float64(arr)
    # Negative x: the shift recurrence holds there too, at the cost of -x extra steps.
    out = _polygamma_positive(xp, n, x)
    out = xp.where((x <= 0) & (x == xp.floor(x)), xp.inf if n % 2 else -xp.inf, out)
    out = xp.where(x == xp.inf, 0.0, out)
    return out.astype(arr.dtype, copy=False)


# ----------------------------------------------------------------------------- Bessel I0, I1
# Power series below _BESSEL_SPLIT (all terms positive, 90 of them reach 1e-17 at x = 30), and
# Hankel's asymptotic expansion e^x / sqrt(2 pi x) sum a_k above it, which at x >= 30 is
# converged to rounding long before its terms turn around.
_BESSEL_SPLIT = 30.0
_BESSEL_TERMS = 90


def _bessel_i(xp, order, arr):
    x = _as_float64(arr)
    a = xp.abs(x)
    small = a < _BESSEL_SPLIT
    s = xp.where(small, a, 0.0)
    q = 0.25 * s * s
    term = xp.ones_like(s) if order == 0 else 0.5 * s
    total = term
    for k in range(1, _BESSEL_TERMS):
        term = term * q / (k * (k + order))
        total = total + term
    big = xp.where(small, _BESSEL_SPLIT, a)
    mu = 4.0 * order * order
    term = xp.ones_like(big)
    hankel = term
    for k in range(1, 30):
        term = term * -(mu - (2 * k - 1) ** 2) / (k * 8.0 * big)
        hankel = hankel + term
    with_exp = xp.exp(big) / xp.sqrt(2 * math.pi * big) * hankel
    out = xp.where(small, total, xp.where(a == xp.inf, xp.inf, with_exp))
    if order == 1:
        out = xp.copysign(out, x)
    return out.astype(arr.dtype, copy=False)


def i0_array(xp, arr):
    return _bessel_i(xp, 0, arr)


def i1_array(xp, arr):
    return _bessel_i(xp, 1, arr)
