"""Reductions: sum, mean (the rest of the family is added beside them)."""
from .. import _dtypes
from .._tensor import _dim
from ..autograd.graph import Node
from ._common import attach, requires_grad


def normalize_dims(dim, ndim, op):
    """`dim` as a sorted tuple of non-negative axes; None means every axis."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, int):
        dim = (dim,)
    dims = tuple(sorted(_dim(d, ndim, op) for d in dim))
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"{op}: dim {list(dim)} appears multiple times in the list of dims")
    return dims


def expand_reduced(g, shape, dims, keepdim):
    """Broadcast a reduced gradient back to the input's shape."""
    if not keepdim and dims:
        g = g.reshape([1 if i in dims else s for i, s in enumerate(shape)])
    return g.expand(shape)


class SumBackward0(Node):
    __slots__ = ("shape", "dims", "keepdim")

    def backward(self, g):
        return (expand_reduced(g, self.shape, self.dims, self.keepdim),)


def _sum_dtype(input, dtype):
    if dtype is not None:
        return _dtypes.as_dtype(dtype)
    d = input.dtype
    # PyTorch sums integers and bools in int64.
    return _dtypes.int64 if d.category <= 1 else d


def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None):
    """Sum over `dim` (all dims when None)."""
    if axis is not None:
        dim = axis
    arr = input._data
    dims = normalize_dims(dim, arr.ndim, "sum")
    dt = _sum_dtype(input, dtype)
    if arr.ndim == 0:
        out = arr.astype(dt.np, copy=True)
    else:
        out = arr.sum(axis=dims, keepdims=keepdim, dtype=dt.np)
    node = None
    if requires_grad(input):
        node = SumBackward0(None)
        node.shape, node.dims, node.keepdim = arr.shape, dims, keepdim
    return attach(out, node, (input,))


class MeanBackward0(Node):
    __slots__ = ("shape", "dims", "keepdim", "count")

    def backward(self, g):
        return (expand_reduced(g / self.count, self.shape, self.dims, self.keepdim),)


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None):
    """Mean over `dim`; floating and complex inputs only, as in PyTorch."""
    if axis is not None:
        dim = axis
    dt = _dtypes.as_dtype(dtype) if dtype is not None else input.dtype
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {input.dtype.name}")
    arr = input._data
    dims = normalize_dims(dim, arr.ndim, "mean")
    count = 1
    for d in dims:
        count *= arr.shape[d]
    out = arr.mean(axis=dims, keepdims=keepdim, dtype=dt.np) if arr.ndim else arr.astype(dt.np)
    node = None
    if requires_grad(input):
        node = MeanBackward0(None)
        node.shape, node.dims, node.keepdim, node.count = arr.shape, dims, keepdim, count
    return attach(out, node, (input,))


__all__ = ["sum", "mean"]
METHODS = {"sum": sum, "mean": mean}
