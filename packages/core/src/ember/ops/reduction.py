"""Reductions: sum, mean, prod, nan-aware sums, min/max and friends, logsumexp, norm, all/any.

Statistics (var/std, median, mode, quantile) are in `reduction_stats.py`; running reductions
(cumsum, cummax, ...) in `cumulative.py`.
"""
import collections
import math

import numpy as np

from .. import _dtypes
from .._device import array_module_of
from .._tensor import Tensor, _dim
from ..amp.autocast_mode import cast_inputs, state as _amp
from ..autograd.graph import Node
from ._common import attach, requires_grad


def normalize_dims(dim, ndim, op):
    """`dim` as a sorted tuple of non-negative axes; None (or an empty list) means every axis."""
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return tuple(range(ndim))
    if isinstance(dim, int):
        dim = (dim,)
    dims = tuple(sorted(_dim(d, ndim, op) for d in dim))
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"{op}: dim {list(dim)} appears multiple times in the list of dims")
    return dims


def axes_of(dims, ndim):
    """NumPy axes for normalized `dims`: a 0-dim tensor accepts dim 0/-1 but has no axis."""
    return dims if ndim else ()


def expand_reduced(g, shape, dims, keepdim):
    """Broadcast a reduced gradient back to the input's shape."""
    if not keepdim and dims and len(shape):
        g = g.reshape([1 if i in dims else s for i, s in enumerate(shape)])
    return g.expand(shape)


def reduced_count(shape, dims):
    n = 1
    for d in dims:
        if len(shape):
            n *= shape[d]
    return n


def return_type(name, fields=("values", "indices")):
    """A named tuple class like `torch.return_types.<name>`."""
    cls = collections.namedtuple(name, fields)
    cls.__module__ = "ember.return_types"
    return cls


def check_nonempty_dim(arr, dim, op):
    if arr.ndim and arr.shape[dim] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {dim} to have non-zero size.")


def one_hot_along(index_keep, shape, dim, dtype):
    """A constant 0/1 tensor of `shape`, 1 where the position along `dim` equals `index_keep`
    (indices with the reduced dim kept): routes a selected element's gradient to it."""
    xp = array_module_of(index_keep)
    if not len(shape):
        return Tensor._make(xp.ones((), dtype=dtype))
    pos = xp.arange(shape[dim]).reshape([-1 if i == dim else 1 for i in range(len(shape))])
    return Tensor._make((pos == index_keep).astype(dtype))


def _dtype_or(input, dtype, int_to_int64):
    if dtype is not None:
        return _dtypes.as_dtype(dtype)
    d = input.dtype
    # PyTorch sums and multiplies integers and bools in int64.
    return _dtypes.int64 if int_to_int64 and d.category <= 1 else d


def _dim_arg(dim, axis):
    return axis if axis is not None else dim


# ------------------------------------------------------------------------------- sum / mean
class SumBackward0(Node):
    __slots__ = ("shape", "dims", "keepdim")

    def backward(self, g):
        return (expand_reduced(g, self.shape, self.dims, self.keepdim),)


def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None):
    """Sum over `dim` (int or tuple; all dims when None); integers and bools sum in int64."""
    if _amp.on and dtype is None:
        input, = cast_inputs("sum", input)
    arr = input._data
    dims = normalize_dims(_dim_arg(dim, axis), arr.ndim, "sum")
    dt = _dtype_or(input, dtype, True)
    out = arr.sum(axis=axes_of(dims, arr.ndim), keepdims=keepdim, dtype=dt.np)
    node = None
    if requires_grad(input):
        node = SumBackward0(None)
        node.shape, node.dims, node.keepdim = arr.shape, dims, keepdim
    return attach(out, node, (input,))


class MeanBackward0(Node):
    __slots__ = ("shape", "dims", "keepdim", "count")

    def backward(self, g):
        return (expand_reduced(g / self.count, self.shape, self.dims, self.keepdim),)


def _floating_result(input, dtype, op):
    dt = _dtypes.as_dtype(dtype) if dtype is not None else input.dtype
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(f"{op}(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {input.dtype.name}")
    return dt


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None):
    """Mean over `dim`; floating and complex inputs only, as in PyTorch (empty gives nan)."""
    dt = _floating_result(input, dtype, "mean")
    arr = input._data
    dims = normalize_dims(_dim_arg(dim, axis), arr.ndim, "mean")
    count = reduced_count(arr.shape, dims)
    axes = axes_of(dims, arr.ndim)
    # Half precision accumulates in float32, as PyTorch and NumPy's mean do.
    acc = np.float32 if dt.itemsize < 4 and dt.is_floating_point else None
    with np.errstate(invalid="ignore", divide="ignore"):
        # sum / count rather than arr.mean: NumPy warns on empty slices where PyTorch gives nan.
        out = arr.astype(dt.np, copy=False).sum(axis=axes, keepdims=keepdim, dtype=acc) / count
    out = out.astype(dt.np, copy=False)
    node = None
    if requires_grad(input):
        node = MeanBackward0(None)
        node.shape, node.dims, node.keepdim, node.count = arr.shape, dims, keepdim, count
    return attach(out, node, (input,))


# ------------------------------------------------------------------------------- nansum / nanmean
class NansumBackward0(Node):
    __slots__ = ("shape", "dims", "keepdim", "keep", "count")

    def backward(self, g):
        g = g if self.count is None else g / self.count
        return (expand_reduced(g, self.shape, self.dims, self.keepdim) * self.keep,)


def _nan_reduce(input, dim, keepdim, dtype, op, average):
    arr = input._data
    dims = normalize_dims(dim, arr.ndim, op)
    axes = axes_of(dims, arr.ndim)
    xp = array_module_of(arr)
    keep = ~xp.isnan(arr) if arr.dtype.kind in "fc" else xp.ones(arr.shape, dtype=bool)
    zeroed = xp.where(keep, arr, 0) if arr.dtype.kind in "fc" else arr
    count = None
    if average:
        dt = _floating_result(input, dtype, op)
        count = keep.sum(axis=axes, keepdims=keepdim)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = (zeroed.astype(dt.np).sum(axis=axes, keepdims=keepdim) / count).astype(dt.np)
    else:
        dt = _dtype_or(input, dtype, True)
        out = zeroed.sum(axis=axes, keepdims=keepdim, dtype=dt.np)
    node = None
    if requires_grad(input):
        node = NansumBackward0(None)
        node.shape, node.dims, node.keepdim = arr.shape, dims, keepdim
        node.keep = Tensor._make(keep)
        node.count = None if count is None else Tensor._make(count.astype(out.dtype))
    return attach(out, node, (input,))


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum treating NaN as zero."""
    return _nan_reduce(input, dim, keepdim, dtype, "nansum", False)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean over the non-NaN elements."""
    return _nan_reduce(input, dim, keepdim, dtype, "nanmean", True)


# ------------------------------------------------------------------------------- prod
class ProdBackward0(Node):
    __slots__ = ("dims", "keepdim")

    def backward(self, g):
        (x,) = self.unpack()
        arr = x._data
        axes = axes_of(self.dims, arr.ndim)
        zero = arr == 0
        zeros_in_slice = zero.sum(axis=axes, keepdims=True)
        # Zeros replaced by ones give the product of the others without dividing by zero; a slice
        # with one zero sends that product to the zero's position, one with more sends nothing.
        nonzero = x * Tensor._make(~zero) + Tensor._make(zero.astype(arr.dtype))
        others = prod(nonzero, self.dims[0] if self.dims else None, keepdim=True) \
            if len(self.dims) == 1 else prod(nonzero)
        no_zero = Tensor._make(zeros_in_slice == 0)
        lone_zero = Tensor._make(zero & (zeros_in_slice == 1))
        local = others / nonzero * no_zero + others * lone_zero
        return (expand_reduced(g, arr.shape, self.dims, self.keepdim) * local,)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product over one `dim` (all elements when None); integers multiply in int64."""
    if _amp.on and dtype is None:
        input, = cast_inputs("prod", input)
    arr = input._data
    if dim is not None and not isinstance(dim, int):
        raise TypeError(f"prod: dim must be an int, got {type(dim).__name__}")
    dims = normalize_dims(dim, arr.ndim, "prod")
    dt = _dtype_or(input, dtype, True)
    out = arr.prod(axis=axes_of(dims, arr.ndim), keepdims=keepdim and dim is not None,
                   dtype=dt.np)
    node = None
    if requires_grad(input):
        node = ProdBackward0(None)
        node.dims, node.keepdim = dims, keepdim and dim is not None
        node.save(input)
    return attach(out, node, (input,))


# ------------------------------------------------------------------------------- max / min family
class AmaxBackward0(Node):
    """Gradient of a max/min over dims: split evenly among the elements equal to the result."""
    __slots__ = ("shape", "dims", "keepdim", "share")

    def backward(self, g):
        return (expand_reduced(g, self.shape, self.dims, self.keepdim) * self.share,)


def _extreme(input, dim, keepdim, op, largest):
    arr = input._data
    dims = normalize_dims(dim, arr.ndim, op)
    if arr.size == 0:
        if dim is None or (isinstance(dim, (tuple, list)) and not dim):
            raise RuntimeError(f"{op}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' "
                               "argument.")
        for d in dims:
            check_nonempty_dim(arr, d, op)
    axes = axes_of(dims, arr.ndim)
    out = arr.max(axis=axes, keepdims=keepdim) if largest else arr.min(axis=axes, keepdims=keepdim)
    node = None
    if requires_grad(input):
        node = AmaxBackward0(None)
        kept = out if keepdim else out.reshape([1 if i in dims else s
                                                for i, s in enumerate(arr.shape)])
        xp = array_module_of(arr)
        hit = (arr == kept) | (xp.isnan(arr) & xp.isnan(kept))
        share = hit / hit.sum(axis=axes, keepdims=True)
        node.shape, node.dims, node.keepdim = arr.shape, dims, keepdim
        node.share = Tensor._make(share.astype(arr.dtype))
    return attach(out, node, (input,))


def amax(input, dim=(), keepdim=False):
    """Largest value over `dim` (all dims by default); ties share the gradient evenly."""
    return _extreme(input, dim, keepdim, "amax", True)


def amin(input, dim=(), keepdim=False):
    """Smallest value over `dim` (all dims by default); ties share the gradient evenly."""
    return _extreme(input, dim, keepdim, "amin", False)


class MaxBackward0(Node):
    """Gradient of max/min/median/mode/kthvalue with `dim`: to the selected index only."""
    __slots__ = ("shape", "dim", "keepdim", "hot")

    def backward(self, g):
        return (expand_reduced(g, self.shape, (self.dim,), self.keepdim) * self.hot,)


def select_along(input, index_keep, dim, keepdim, node_cls, name):
    """(values, indices) of the elements picked by `index_keep` (an int64 array with `dim`
    kept at size 1), recording the gradient route to them."""
    arr = input._data
    xp = array_module_of(arr)
    index_keep = xp.asarray(index_keep)  # 0-dim callers pass a host zero: put it with `arr`
    if arr.ndim:
        values = xp.take_along_axis(arr, index_keep, axis=dim)
    else:
        values = arr.copy()
    index = index_keep
    if not keepdim and arr.ndim:
        values, index = values.squeeze(dim), index.squeeze(dim)
    node = None
    if requires_grad(input):
        node = node_cls(None)
        node.shape, node.dim, node.keepdim = arr.shape, dim, keepdim
        node.hot = one_hot_along(index_keep, arr.shape, dim, arr.dtype)
    result = return_type_for(name)
    return result(attach(values, node, (input,)), Tensor._make(index.astype(np.int64)))


_RETURN_TYPES = {}


def return_type_for(name, fields=("values", "indices")):
    cls = _RETURN_TYPES.get(name)
    if cls is None:
        cls = _RETURN_TYPES[name] = return_type(name, fields)
    return cls


def _arg_extreme(arr, d, largest, op):
    """Index of the first extreme along `d` with `d` kept; NaN counts as the extreme."""
    return _keep(arr.argmax(axis=d) if largest else arr.argmin(axis=d), d)


def _keep(a, d):
    return a.reshape(a.shape[:d] + (1,) + a.shape[d:])


def _max_min(input, dim, keepdim, other, op, largest):
    if isinstance(dim, Tensor) and other is None:
        dim, other = None, dim
    if other is not None:
        from .comparison import maximum, minimum
        return maximum(input, other) if largest else minimum(input, other)
    if dim is None:
        return _extreme(input, None, False, op, largest)
    arr = input._data
    d = _dim(dim, arr.ndim, op)
    if arr.ndim == 0:
        return select_along(input, np.zeros((), np.int64), 0, keepdim, MaxBackward0, op)
    check_nonempty_dim(arr, d, op)
    return select_along(input, _arg_extreme(arr, d, largest, op), d, keepdim, MaxBackward0, op)


def max(input, dim=None, keepdim=False, *, other=None):
    """`max(x)` the largest value; `max(x, dim)` (values, indices); `max(x, y)` elementwise."""
    return _max_min(input, dim, keepdim, other, "max", True)


def min(input, dim=None, keepdim=False, *, other=None):
    """`min(x)` the smallest value; `min(x, dim)` (values, indices); `min(x, y)` elementwise."""
    return _max_min(input, dim, keepdim, other, "min", False)


def _argext(input, dim, keepdim, op, largest):
    arr = input._data
    if arr.dtype == np.bool_:
        raise RuntimeError(f"{op}(): does not support bool input")
    if dim is None:
        if arr.size == 0:
            raise IndexError(f"{op}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        flat = arr.reshape(-1)
        out = flat.argmax() if largest else flat.argmin()
        out = out.reshape((1,) * arr.ndim if keepdim else ())
        return Tensor._make(out.astype(np.int64))
    d = _dim(dim, arr.ndim, op)
    if arr.ndim == 0:
        return Tensor._make(np.zeros((), np.int64) if isinstance(arr, np.ndarray)
                            else array_module_of(arr).zeros((), np.int64))
    check_nonempty_dim(arr, d, op)
    out = _arg_extreme(arr, d, largest, op)
    return Tensor._make((out if keepdim else out.squeeze(d)).astype(np.int64))


def argmax(input, dim=None, keepdim=False):
    """Index of the first largest value (over the flattened tensor when `dim` is None)."""
    return _argext(input, dim, keepdim, "argmax", True)


def argmin(input, dim=None, keepdim=False):
    """Index of the first smallest value (over the flattened tensor when `dim` is None)."""
    return _argext(input, dim, keepdim, "argmin", False)


def aminmax(input, *, dim=None, keepdim=False):
    """(min, max) over `dim` (all elements when None)."""
    if input._data.size == 0 and (dim is None or input._data.shape[_dim(dim, input.ndim,
                                                                        "aminmax")] == 0):
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    cls = return_type_for("aminmax", ("min", "max"))
    d = () if dim is None else dim
    return cls(_extreme(input, d, keepdim, "aminmax", False),
               _extreme(input, d, keepdim, "aminmax", True))


# ------------------------------------------------------------------------------- logsumexp
class LogsumexpBackward0(Node):
    __slots__ = ("dims", "keepdim")

    def backward(self, g):
        from .unary import exp
        (x,) = self.unpack()
        out = logsumexp(x, self.dims, keepdim=True)
        return (expand_reduced(g, x.shape, self.dims, self.keepdim) * exp(x - out),)


def logsumexp(input, dim=(), keepdim=False):
    """`log(sum(exp(x)))` over `dim`, shifted by the max so large inputs don't overflow."""
    arr = input._data
    if arr.dtype.kind in "biu":
        arr = arr.astype(_dtypes.get_default_dtype().np)
    dims = normalize_dims(dim, arr.ndim, "logsumexp")
    axes = axes_of(dims, arr.ndim)
    xp = array_module_of(arr)
    if arr.size == 0:
        out = xp.log(xp.zeros(_reduced_shape(arr.shape, dims, keepdim), arr.dtype))
    else:
        shift = arr.max(axis=axes, keepdims=True)
        shift = xp.where(xp.isfinite(shift), shift, 0)  # all -inf (or an inf) slices
        with np.errstate(divide="ignore"):
            out = xp.log(xp.exp(arr - shift).sum(axis=axes, keepdims=True)) + shift
        if not keepdim:
            out = out.reshape(_reduced_shape(arr.shape, dims, False))
    node = None
    if requires_grad(input):
        node = LogsumexpBackward0(None)
        node.dims, node.keepdim = dims, keepdim
        node.save(input)
    return attach(out.astype(arr.dtype, copy=False), node, (input,))


def _reduced_shape(shape, dims, keepdim):
    if keepdim:
        return tuple(1 if i in dims else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in dims)


# ------------------------------------------------------------------------------- norm
class NormBackward1(Node):
    __slots__ = ("p", "dims", "keepdim")

    def backward(self, g):
        (x,) = self.unpack()
        p, dims, arr = self.p, self.dims, x._data
        g = expand_reduced(g, arr.shape, dims, self.keepdim)
        # The sign is piecewise constant, so it is kept out of the graph; |x| = x * sign(x).
        sign = Tensor._make(array_module_of(arr).sign(arr))
        if p == 0:
            return (g * 0,)
        if math.isinf(p):
            return (g * sign * _share_of_extreme(arr, dims, p > 0),)
        if p == 1:
            return (g * sign,)
        norm_k = norm(x, p, dims, keepdim=True)
        # Where the norm is 0 every element is 0 and so is the gradient, as in PyTorch.
        safe = norm_k + Tensor._make((norm_k._data == 0).astype(arr.dtype))
        if p == 2:
            return (x * (g / safe),)
        return (sign * (x * sign) ** (p - 1) * (g / safe ** (p - 1)),)


def _share_of_extreme(arr, dims, largest):
    mag = abs(arr)
    axes = axes_of(dims, arr.ndim)
    ext = mag.max(axis=axes, keepdims=True) if largest else mag.min(axis=axes, keepdims=True)
    hit = mag == ext
    return Tensor._make((hit / hit.sum(axis=axes, keepdims=True)).astype(arr.dtype))


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """Vector p-norm over `dim` (all elements when None): p a number (inf, -inf and 0
    included) or 'fro' (the 2-norm); the nuclear norm is not supported."""
    if isinstance(p, str):
        if p != "fro":
            raise RuntimeError(f"norm: p={p!r} is not supported (use 'fro' or a number)")
        p = 2
    if dtype is not None:
        input = input.to(_dtypes.as_dtype(dtype))
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {input.dtype.name}")
    arr = input._data
    dims = normalize_dims(dim, arr.ndim, "norm")
    axes = axes_of(dims, arr.ndim)
    p = float(p)
    mag = abs(arr)
    if arr.size == 0 and p < 0:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {p} norm on an empty tensor "
                           "because the operation does not have an identity")
    if p == math.inf:
        out = mag.max(axis=axes, keepdims=keepdim) if arr.size else \
            mag.sum(axis=axes, keepdims=keepdim)
    elif p == -math.inf:
        out = mag.min(axis=axes, keepdims=keepdim)
    elif p == 0:
        out = (mag != 0).sum(axis=axes, keepdims=keepdim).astype(mag.dtype)
    elif p == 2:
        out = (mag * mag).sum(axis=axes, keepdims=keepdim) ** 0.5
    else:
        with np.errstate(divide="ignore"):
            out = (mag ** p).sum(axis=axes, keepdims=keepdim) ** (1.0 / p)
    node = None
    if requires_grad(input):
        node = NormBackward1(None)
        node.p, node.dims, node.keepdim = p, dims, keepdim
        node.save(input)
    return attach(out.astype(mag.dtype, copy=False), node, (input,))


# ------------------------------------------------------------------------------- all / any
def _logical(input, dim, keepdim, op):
    arr = input._data
    dims = normalize_dims(dim, arr.ndim, op)
    axes = axes_of(dims, arr.ndim)
    out = arr.all(axis=axes, keepdims=keepdim) if op == "all" else \
        arr.any(axis=axes, keepdims=keepdim)
    # PyTorch keeps uint8 for uint8 inputs; everything else gives bool.
    return Tensor._make(out.astype(np.uint8) if arr.dtype == np.uint8 else out)


def all(input, dim=None, keepdim=False):
    """True where every element over `dim` is nonzero."""
    return _logical(input, dim, keepdim, "all")


def any(input, dim=None, keepdim=False):
    """True where some element over `dim` is nonzero."""
    return _logical(input, dim, keepdim, "any")


def count_nonzero(input, dim=None):
    """Number of nonzero elements over `dim` (int or tuple), as int64."""
    arr = input._data
    dims = normalize_dims(dim, arr.ndim, "count_nonzero")
    return Tensor._make((arr != 0).sum(axis=axes_of(dims, arr.ndim), dtype=np.int64))


def sum_to_size(input, *size):
    """Sum `input` down to `size`, which must broadcast to input's shape (the inverse of
    expand)."""
    from .._tensor import Size
    from ._common import sum_to_shape
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (list, tuple)) else size
    shape = tuple(int(s) for s in shape)
    own = input._data.shape
    lead = len(own) - len(shape)
    # (`any` and `max` here are the reductions above, hence the loop.)
    bad = lead < 0
    for s, o in zip(shape, own[lead:] if lead >= 0 else ()):
        bad = bad or (s != 1 and s != o)
    if bad:
        raise RuntimeError(f"sum_to_size: size {list(shape)} is not expandable to size "
                           f"{list(own)}")
    return sum_to_shape(input, Size(shape))


__all__ = ["sum", "mean", "nansum", "nanmean", "prod", "amax", "amin", "max", "min", "argmax",
           "argmin", "aminmax", "logsumexp", "norm", "all", "any", "count_nonzero"]
METHODS = {name: globals()[name] for name in __all__}
METHODS["sum_to_size"] = sum_to_size
