"""Statistical reductions: var/std (and their `_mean` forms), median, nanmedian, mode, quantile;
cov, corrcoef, dist, renorm."""
import numpy as np

from .. import _dtypes
from .._device import array_module_of
from .._tensor import Tensor, _dim
from ..autograd.graph import Node
from ._common import attach, requires_grad
from .inplace import make_inplace
from .reduction import (MaxBackward0, axes_of, check_nonempty_dim, expand_reduced, mean,
                        normalize_dims, reduced_count, select_along)


# ------------------------------------------------------------------------------- var / std
def _correction(dim, unbiased, correction, op):
    """PyTorch's two spellings: `var(x, dim, unbiased, keepdim)` and `var(x, dim,
    correction=)`; `var(x, False)` passes `unbiased` in the place of `dim`."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if correction is not None and unbiased is not None:
        raise RuntimeError(f"{op}: cannot specify both unbiased and correction")
    if correction is None:
        correction = 0 if unbiased is False else 1
    return dim, correction


def _check_floating(input, op):
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError(f"{op}: std and var only support floating point and complex dtypes "
                           f"(got {input.dtype.name})")


class VarBackward0(Node):
    __slots__ = ("dims", "keepdim", "correction", "std")

    def backward(self, g):
        (x,) = self.unpack()
        shape, dims = x._data.shape, self.dims
        denom = max(reduced_count(shape, dims) - self.correction, 0)
        centered = x - mean(x, dims, keepdim=True)
        g = expand_reduced(g, shape, dims, self.keepdim)
        if self.std:
            return (centered * (g / (std(x, dims, correction=self.correction, keepdim=True)
                                     * denom)),)
        return (centered * (g * (2.0 / denom if denom else float("inf"))),)


class StdBackward0(VarBackward0):
    __slots__ = ()


def _var(input, dim, unbiased, keepdim, correction, op, take_root):
    _check_floating(input, op)
    dim, correction = _correction(dim, unbiased, correction, op)
    arr = input._data
    dims = normalize_dims(dim, arr.ndim, op)
    axes = axes_of(dims, arr.ndim)
    denom = max(reduced_count(arr.shape, dims) - correction, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        centered = arr - arr.mean(axis=axes, keepdims=True) if arr.size else arr
        sq = (centered * centered.conj()).real if arr.dtype.kind == "c" else centered * centered
        out = sq.sum(axis=axes, keepdims=keepdim) / denom
        if take_root:
            out = out ** 0.5
    out = out.astype(sq.dtype, copy=False)
    node = None
    if requires_grad(input):
        node = (StdBackward0 if take_root else VarBackward0)(None)
        node.dims, node.keepdim, node.correction, node.std = dims, keepdim, correction, take_root
        node.save(input)
    return attach(out, node, (input,))


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over `dim` with Bessel's `correction` (1 unless `unbiased=False`)."""
    return _var(input, dim, unbiased, keepdim, correction, "var", False)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation over `dim`; see `var` for `correction`/`unbiased`."""
    return _var(input, dim, unbiased, keepdim, correction, "std", True)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) over `dim`."""
    d, _ = _correction(dim, unbiased, correction, "var_mean")
    return (var(input, dim, unbiased, keepdim, correction=correction), mean(input, d, keepdim))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) over `dim`."""
    d, _ = _correction(dim, unbiased, correction, "std_mean")
    return (std(input, dim, unbiased, keepdim, correction=correction), mean(input, d, keepdim))


# ------------------------------------------------------------------------------- median / mode
class MedianBackward0(MaxBackward0):
    __slots__ = ()


def _median_index(arr, d, ignore_nan):
    """Index (with `d` kept) of the lower median along `d`. NaN sorts last: `median` picks the
    first NaN of a slice holding one (the result is NaN), `nanmedian` skips NaNs."""
    from .sorting import stable_argsort
    xp = array_module_of(arr)
    order = stable_argsort(arr, d)
    n = arr.shape[d]
    if arr.dtype.kind in "fc":
        valid = (~xp.isnan(arr)).sum(axis=d, keepdims=True)
        if ignore_nan:
            pos = xp.maximum(valid - 1, 0) // 2
        else:
            pos = xp.where(valid < n, valid, (n - 1) // 2)
    else:
        pos = xp.full([1 if i == d else s for i, s in enumerate(arr.shape)], (n - 1) // 2)
    return xp.take_along_axis(order, pos.astype(np.int64), axis=d)


def _median(input, dim, keepdim, op, ignore_nan):
    arr = input._data
    if dim is None:
        flat = input.reshape(-1)
        if arr.size == 0:
            from .creation import full
            return full((), float("nan"), dtype=input.dtype, device=input.device)
        return select_along(flat, _median_index(flat._data, 0, ignore_nan), 0, False,
                            MedianBackward0, op).values
    d = _dim(dim, arr.ndim, op)
    if arr.ndim == 0:
        return select_along(input, np.zeros((), np.int64), 0, keepdim, MedianBackward0, op)
    check_nonempty_dim(arr, d, op)
    return select_along(input, _median_index(arr, d, ignore_nan), d, keepdim, MedianBackward0,
                        op)


def median(input, dim=None, keepdim=False):
    """Lower median: of all elements (a value) or along `dim` ((values, indices)); NaN wins."""
    return _median(input, dim, keepdim, "median", False)


def nanmedian(input, dim=None, keepdim=False):
    """Like `median`, ignoring NaNs (NaN only where a slice is all NaN)."""
    return _median(input, dim, keepdim, "nanmedian", True)


class ModeBackward0(MaxBackward0):
    __slots__ = ()


def mode(input, dim=-1, keepdim=False):
    """Most frequent value along `dim` (the smallest among ties) and its last index."""
    from .cumulative import inclusive_scan
    arr = input._data
    d = _dim(dim, arr.ndim, "mode")
    xp = array_module_of(arr)
    if arr.ndim == 0:
        return select_along(input, xp.zeros((), np.int64), 0, keepdim, ModeBackward0, "mode")
    check_nonempty_dim(arr, d, "mode")
    a = xp.moveaxis(arr, d, -1)
    s = xp.sort(a, axis=-1)
    n = a.shape[-1]
    j = xp.arange(n)
    starts = xp.concatenate([xp.ones(s.shape[:-1] + (1,), bool), s[..., 1:] != s[..., :-1]], -1)
    # Length of the run of equal values ending at each sorted position; the first longest run
    # ends at the smallest most-frequent value.
    run_start = inclusive_scan((xp.where(starts, j, 0),), -1,
                               lambda a, b: (xp.maximum(a[0], b[0]),))[0]
    run = j - run_start + 1
    value = xp.take_along_axis(s, run.argmax(axis=-1)[..., None], axis=-1)
    last = xp.where(a == value, j, -1).max(axis=-1)
    index = xp.expand_dims(last, d)
    return select_along(input, index.astype(np.int64), d, keepdim, ModeBackward0, "mode")


# ------------------------------------------------------------------------------- quantile
class QuantileBackward0(Node):
    """Each output is a fixed blend of two input elements: the gradient goes back through the
    constant weights (q, *input_shape)."""
    __slots__ = ("weights", "g_shape", "shape")

    def backward(self, g):
        return ((g.reshape(self.g_shape) * self.weights).sum(0).reshape(self.shape),)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim, interpolation, op, ignore_nan):
    from .sorting import stable_argsort
    if input.dtype.name not in ("float32", "float64"):
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype "
                           f"(got {input.dtype.name})")
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"{op}() interpolation must be one of {', '.join(_INTERPOLATIONS)}. "
                         f"Got {interpolation!r}")
    arr = input._data
    xp = array_module_of(arr)
    scalar_q = not isinstance(q, Tensor)
    qa = xp.asarray([q], dtype=arr.dtype) if scalar_q else q._data.astype(arr.dtype).reshape(-1)
    if not scalar_q and q.ndim > 1:
        raise RuntimeError(f"{op}() q must be a scalar or 1D tensor (got {q.ndim} dims)")
    if qa.size and bool(((qa < 0) | (qa > 1)).any()):
        raise RuntimeError(f"{op}() q values must be in the range [0, 1] but got {q}")
    if arr.size == 0 and dim is None:
        raise RuntimeError(f"{op}() input tensor must be non-empty")
    work = arr.reshape(-1) if dim is None else arr
    d = 0 if dim is None else _dim(dim, arr.ndim, op)
    if work.ndim == 0:
        work = work.reshape(1)
    order = stable_argsort(work, d)
    ordered = xp.take_along_axis(work, order, axis=d)
    n = work.shape[d]
    nan = xp.isnan(work)
    valid = (~nan).sum(axis=d, keepdims=True)
    count = valid if ignore_nan else xp.full(valid.shape, n)
    qshape = (-1,) + (1,) * work.ndim
    pos = qa.reshape(qshape) * (count - 1).astype(arr.dtype)  # (q, *kept)
    lo, hi = xp.floor(pos), xp.ceil(pos)
    if interpolation == "lower":
        hi = lo
    elif interpolation == "higher":
        lo = hi
    elif interpolation == "nearest":
        lo = hi = xp.round(pos)
    frac = pos - lo if interpolation == "linear" else \
        xp.full(pos.shape, 0.5 if interpolation == "midpoint" else 0.0, arr.dtype)
    lo = xp.clip(lo, 0, n - 1).astype(np.int64)
    hi = xp.clip(hi, 0, n - 1).astype(np.int64)
    full_shape = (qa.size,) + work.shape
    ordered_q = xp.broadcast_to(ordered[None], full_shape)
    low_v = xp.take_along_axis(ordered_q, lo, axis=d + 1)
    high_v = xp.take_along_axis(ordered_q, hi, axis=d + 1)
    out = low_v + (high_v - low_v) * frac
    undefined = (count == 0) if ignore_nan else (valid < n)
    out = xp.where(undefined[None], xp.nan, out)
    node = None
    if requires_grad(input):
        order_q = xp.broadcast_to(order[None], full_shape)
        spot = xp.arange(n).reshape([-1 if i == d + 1 else 1 for i in range(len(full_shape))])
        w = (spot == xp.take_along_axis(order_q, lo, axis=d + 1)) * (1 - frac) + \
            (spot == xp.take_along_axis(order_q, hi, axis=d + 1)) * frac
        w = xp.where(undefined[None], 0, w)
        node = QuantileBackward0(None)
        node.weights = Tensor._make(w.astype(arr.dtype))
        # The incoming gradient is read in the (q, *kept) layout the weights were built in.
        node.g_shape, node.shape = pos.shape, arr.shape
    if keepdim:
        if dim is None:
            out = out.reshape((qa.size,) + (1,) * arr.ndim)
    else:
        out = out.squeeze(d + 1)
    if scalar_q:
        out = out[0]
    return attach(out, node, (input,))


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """q-th quantiles along `dim` (of all elements when None); a 1-D `q` adds a leading dim."""
    return _quantile(input, q, dim, keepdim, interpolation, "quantile", False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """Like `quantile`, ignoring NaNs."""
    return _quantile(input, q, dim, keepdim, interpolation, "nanquantile", True)


# ------------------------------------------------------------------------------- cov, renorm
def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the variables in the rows of `input` (observations in columns; a 1-D input
    is one variable), with optional integer frequency and float observation weights."""
    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.ndim} dimensions")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    if not (x.dtype.is_floating_point or x.dtype.is_complex):
        x = x.to(_dtypes.get_default_dtype())
    n_obs = x.shape[1]
    w = None
    if fweights is not None:
        if fweights.dtype.is_floating_point or fweights.dtype.is_complex:
            raise RuntimeError("cov(): expected fweights to have integral dtype")
        if bool((fweights < 0).any()):
            raise RuntimeError("cov(): fweights cannot be negative")
        w = fweights
    if aweights is not None:
        if not aweights.dtype.is_floating_point:
            raise RuntimeError("cov(): expected aweights to have floating point dtype")
        if bool((aweights < 0).any()):
            raise RuntimeError("cov(): aweights cannot be negative")
        w = aweights if w is None else w * aweights
    for name, weights in (("fweights", fweights), ("aweights", aweights)):
        if weights is not None and (weights.ndim > 1 or weights.numel() != n_obs):
            raise RuntimeError(f"cov(): expected {name} to have one dimension of {n_obs} "
                               f"elements (the number of observations), got shape "
                               f"{list(weights.shape)}")
    if w is None:
        w_sum = n_obs
        avg = x.mean(dim=1, keepdim=True)
        norm = w_sum - correction
    else:
        w = w.to(x.dtype)
        w_sum = w.sum()
        avg = (x * w).sum(dim=1, keepdim=True) / w_sum
        norm = w_sum - (correction if aweights is None else
                        correction * (w * aweights.to(x.dtype)).sum() / w_sum)
    centred = x - avg
    weighted = centred if w is None else centred * w
    c = weighted @ centred.mT.conj()
    # Too few observations: PyTorch divides by max(norm, 0), giving inf or NaN.
    c = c / (norm if not isinstance(norm, Tensor) else norm.clamp_min(0))
    return c.reshape(()) if input.ndim < 2 else c


def corrcoef(input):
    """Pearson correlation coefficients of the rows of `input` (clipped to [-1, 1])."""
    from .unary import sqrt
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = sqrt(c.diagonal().real if c.dtype.is_complex else c.diagonal())
    c = c / d.unsqueeze(1) / d.unsqueeze(0)
    return c.clamp(-1, 1) if not c.dtype.is_complex else c


def dist(input, other, p=2):
    """The p-norm of input - other (broadcasting)."""
    from ..linalg import vector_norm
    return vector_norm(input - other, p)


def renorm(input, p, dim, maxnorm):
    """Each slice along `dim` whose p-norm exceeds `maxnorm`, scaled down to norm `maxnorm`."""
    from ..linalg import vector_norm
    from .comparison import where
    if input.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} "
                           "dimensions")
    if p <= 0:
        raise RuntimeError(f"renorm: non-positive-norm not supported (got p={p})")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    d = _dim(dim, input.ndim, "renorm")
    others = tuple(i for i in range(input.ndim) if i != d)
    norms = vector_norm(input, p, others, keepdim=True)
    # PyTorch's 1e-7 keeps the scale finite for an all-zero slice.
    return input * where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)


__all__ = ["var", "std", "var_mean", "std_mean", "median", "nanmedian", "mode", "quantile",
           "nanquantile", "cov", "corrcoef", "dist", "renorm"]
METHODS = {name: globals()[name] for name in __all__ if not name.endswith("_mean")}
METHODS["renorm_"] = make_inplace(renorm, "renorm_")
