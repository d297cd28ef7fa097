"""Sorting and searching: sort, argsort, msort, topk, kthvalue, unique, unique_consecutive,
searchsorted, bucketize, bincount, histc, histogram."""
import numpy as np

from .._device import array_module_of
from .._tensor import Tensor, _dim
from ..autograd.graph import Node
from ._common import attach, requires_grad
from .reduction import (MaxBackward0, check_nonempty_dim, return_type, return_type_for,
                        select_along)


def stable_argsort(arr, axis, descending=False):
    """Indices that sort `arr` along `axis`, equal elements keeping their order; NaN counts as
    the largest value (last ascending, first descending), as in PyTorch."""
    xp = array_module_of(arr)
    if not descending:
        return xp.argsort(arr, axis=axis, kind="stable")
    # An ascending stable sort of the reversed array, reversed back, keeps equal elements in
    # their original order.
    n = arr.shape[axis]
    flipped = xp.argsort(xp.flip(arr, axis), axis=axis, kind="stable")
    return xp.flip(n - 1 - flipped, axis)


class SortBackward0(Node):
    """Each output element is one input element: the gradient is added back at its index."""
    __slots__ = ("shape", "dim", "indices")

    def backward(self, g):
        from .creation import zeros
        from .indexing import scatter_add
        if not g.ndim:
            return (g,)
        base = zeros(self.shape, dtype=g.dtype, device=g.device)
        return (scatter_add(base, self.dim, self.indices, g),)


class TopkBackward0(SortBackward0):
    __slots__ = ()


def _taken(input, order, d, node_cls, name):
    """(values, indices) of `input` at `order` along `d`, with the gradient route."""
    arr = input._data
    xp = array_module_of(arr)
    values = xp.take_along_axis(arr, order, axis=d) if arr.ndim else arr.copy()
    indices = Tensor._make(order.astype(np.int64))
    node = None
    if requires_grad(input):
        node = node_cls(None)
        node.shape, node.dim, node.indices = arr.shape, d, indices
    return return_type_for(name)(attach(values, node, (input,)), indices)


def _order(arr, d, descending):
    if arr.ndim == 0:
        return array_module_of(arr).zeros((), np.int64)
    return stable_argsort(arr, d, descending)


def sort(input, dim=-1, descending=False, stable=False):
    """(values, indices) sorted along `dim`; always stable (PyTorch allows any order for equal
    elements unless `stable=True`)."""
    d = _dim(dim, input.ndim, "sort")
    return _taken(input, _order(input._data, d, descending), d, SortBackward0, "sort")


def argsort(input, dim=-1, descending=False, stable=False):
    """Indices that sort `input` along `dim`."""
    d = _dim(dim, input.ndim, "argsort")
    return Tensor._make(_order(input._data, d, descending).astype(np.int64))


def msort(input):
    """Sorted along the first dim (values only)."""
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True):
    """(values, indices) of the `k` largest (or smallest) elements along `dim`, in order."""
    arr = input._data
    d = _dim(dim, arr.ndim, "topk")
    n = arr.shape[d] if arr.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk: selected index k out of range (k={k}, dimension {d} has size "
                           f"{n})")
    order = _order(arr, d, largest)
    if arr.ndim:
        order = order[(slice(None),) * d + (slice(0, k),)]
    return _taken(input, order, d, TopkBackward0, "topk")


class KthvalueBackward0(MaxBackward0):
    __slots__ = ()


def kthvalue(input, k, dim=-1, keepdim=False):
    """(values, indices) of the k-th smallest element (1-based) along `dim`."""
    arr = input._data
    d = _dim(dim, arr.ndim, "kthvalue")
    n = arr.shape[d] if arr.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d} "
                           f"(k={k}, size {n})")
    if arr.ndim == 0:
        return select_along(input, np.zeros((), np.int64), 0, keepdim, KthvalueBackward0,
                            "kthvalue")
    check_nonempty_dim(arr, d, "kthvalue")
    order = stable_argsort(arr, d)
    index = order[(slice(None),) * d + (slice(k - 1, k),)]
    return select_along(input, index, d, keepdim, KthvalueBackward0, "kthvalue")


# ------------------------------------------------------------------------------- unique
def _unique_result(values, inverse, counts, return_inverse, return_counts):
    out = [Tensor._make(values)]
    if return_inverse:
        out.append(Tensor._make(inverse.astype(np.int64)))
    if return_counts:
        out.append(Tensor._make(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """Distinct elements (sorted), or distinct slices along `dim`; optionally the index of each
    input element in the result and how often each value occurs."""
    arr = input._data
    xp = array_module_of(arr)
    if dim is None:
        values, inverse, counts = xp.unique(arr.reshape(-1), return_inverse=True,
                                            return_counts=True)
        inverse = inverse.reshape(arr.shape)
    else:
        d = _dim(dim, arr.ndim, "unique")
        values, inverse, counts = xp.unique(arr, return_inverse=True, return_counts=True,
                                            axis=d)
        inverse = inverse.reshape(-1)
    return _unique_result(values, inverse, counts, return_inverse, return_counts)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapse runs of equal consecutive elements (or slices along `dim`) to one."""
    arr = input._data
    xp = array_module_of(arr)
    if dim is None:
        rows, shape_back = arr.reshape(-1, 1), None
    else:
        d = _dim(dim, arr.ndim, "unique_consecutive")
        moved = xp.moveaxis(arr, d, 0)
        rows, shape_back = moved.reshape(moved.shape[0], -1), (d, moved.shape[1:])
    n = rows.shape[0]
    change = xp.ones(n, dtype=bool)
    if n > 1:
        change[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    kept = rows[change]
    if shape_back is None:
        values, inverse = kept.reshape(-1), (xp.cumsum(change) - 1).reshape(arr.shape)
    else:
        d, rest = shape_back
        values = xp.moveaxis(kept.reshape((kept.shape[0],) + rest), 0, d)
        inverse = xp.cumsum(change) - 1
    starts = xp.nonzero(change)[0]
    counts = xp.diff(xp.concatenate([starts, xp.asarray([n])]))
    return _unique_result(values, inverse, counts, return_inverse, return_counts)


# ------------------------------------------------------------------------------- searching
def _search_side(right, side, op):
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"{op}: side can only be 'left' or 'right' but got {side!r}")
        if right and side == "left":
            raise RuntimeError(f"{op}: side and right can't be set to opposites, got side of "
                               "left while right was True")
        return side
    return "right" if right else "left"


def _values_array(values, like):
    if isinstance(values, Tensor):
        return values._data
    xp = array_module_of(like)
    return xp.asarray(values)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """Insertion indices of `input` into the innermost dim of `sorted_sequence`; a 1-D sequence
    serves every value, an N-D one pairs its rows with `input`'s leading dims."""
    side = _search_side(right, side, "searchsorted")
    seq = sorted_sequence._data
    vals = _values_array(input, seq)
    xp = array_module_of(seq)
    if sorter is not None:
        seq = xp.take_along_axis(seq, sorter._data, axis=-1)
    if seq.ndim <= 1:
        out = xp.searchsorted(seq.reshape(-1), vals, side=side)
    else:
        if vals.ndim != seq.ndim or vals.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError("searchsorted: boundaries tensor should be 1 dimension or the "
                               "first N-1 dimensions of boundaries tensor and input value tensor "
                               f"must match, but we got boundaries tensor {list(seq.shape)} and "
                               f"input value tensor {list(vals.shape)}")
        seq2, vals2 = seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1])
        out = xp.stack([xp.searchsorted(s, v, side=side) for s, v in zip(seq2, vals2)])
        out = out.reshape(vals.shape)
    return Tensor._make(xp.asarray(out).astype(np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """Index of the bucket of each element: boundaries[i-1] < x <= boundaries[i] (or
    boundaries[i-1] <= x < boundaries[i] with `right=True`)."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"bucketize: boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def bincount(input, weights=None, minlength=0):
    """Occurrences of each non-negative integer (summed `weights` when given)."""
    arr = input._data
    if arr.ndim != 1 or arr.dtype.kind not in "iub" or (arr.size and int(arr.min()) < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs (got "
                           f"{input.dtype.name} of shape {list(arr.shape)})")
    if minlength < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength}")
    xp = array_module_of(arr)
    if weights is None:
        return Tensor._make(xp.bincount(arr, minlength=minlength).astype(np.int64))
    w = weights._data
    if w.shape != arr.shape:
        raise RuntimeError(f"bincount: weights should be 1-d and have the same length as input "
                           f"(got {list(w.shape)} for input {list(arr.shape)})")
    out_dt = w.dtype if w.dtype.kind == "f" else np.dtype(np.float64)
    return Tensor._make(xp.bincount(arr, weights=w.astype(np.float64), minlength=minlength)
                        .astype(out_dt))


def histc(input, bins=100, min=0, max=0):
    """Histogram of `bins` equal bins over [min, max] (the data's range when both are 0);
    elements outside are ignored."""
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"histc: expected a floating point input, got {input.dtype.name}")
    if bins <= 0:
        raise RuntimeError(f"histc: bins must be > 0, but got {bins}")
    arr = input._data
    xp = array_module_of(arr)
    lo, hi = float(min), float(max)
    if lo == hi and arr.size:
        lo, hi = float(arr.min()), float(arr.max())
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"histc: range of [{lo}, {hi}] is not finite")
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError(f"histc: max must be larger than min (got min={lo}, max={hi})")
    inside = arr[(arr >= lo) & (arr <= hi)]
    pos = ((inside - lo) * bins / (hi - lo)).astype(np.int64)
    pos = xp.minimum(pos, bins - 1)  # the right edge belongs to the last bin
    return Tensor._make(xp.bincount(pos, minlength=bins).astype(arr.dtype))


_HISTOGRAM = return_type("histogram", ("hist", "bin_edges"))


def histogram(input, bins=100, *, range=None, weight=None, density=False):
    """(hist, bin_edges): counts (or summed weights, or a density) of `input` in `bins` equal
    bins over `range` (default: the data's min and max), or in the bins a 1-D tensor of
    edges gives."""
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"histogram: input tensor and bins tensors should have the same "
                           f"floating-point dtype (got {input.dtype.name})")
    arr = input._data.reshape(-1)
    xp = array_module_of(arr)
    edges = bins._data if isinstance(bins, Tensor) else int(bins)
    if isinstance(edges, int) and edges <= 0:
        raise RuntimeError(f"histogram(): bins must be > 0, but got {edges}")
    w = None if weight is None else weight._data.reshape(-1)
    if w is not None and w.shape != arr.shape:
        raise RuntimeError(f"histogram(): weight should have the same shape as input (got "
                           f"{list(weight.shape)} for {list(input.shape)})")
    hist, out_edges = xp.histogram(arr, bins=edges, range=range, weights=w, density=density)
    return _HISTOGRAM(Tensor._make(hist.astype(arr.dtype)),
                      Tensor._make(out_edges.astype(arr.dtype)))


__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "unique", "unique_consecutive",
           "searchsorted", "bucketize", "bincount", "histc", "histogram"]
METHODS = {name: globals()[name] for name in
           ("sort", "argsort", "msort", "topk", "kthvalue", "unique", "unique_consecutive",
            "bincount", "histc", "histogram")}
