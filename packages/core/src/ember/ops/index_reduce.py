"""Writes by index that `indexing.py` leaves out: index_reduce (a reduction of slices of
`source` into the slices of `input` that `index` names) and put (writes at flat positions).
Both are expressed through scatter_reduce / index_put, whose gradients they reuse."""
from .._tensor import _dim
from .indexing import _index_put, _int_index
from .scatter_reduce import scatter_reduce
from .inplace import make_inplace

_REDUCTIONS = ("prod", "mean", "amax", "amin")


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """Reduce (prod/mean/amax/amin) `source.select(dim, i)` into `input.select(dim, index[i])`
    for each i, starting from input's values unless include_self=False."""
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    d = _dim(dim, input.ndim, "index_reduce")
    idx = _int_index(index, "index_reduce")
    if idx.ndim > 1:
        raise IndexError(f"index_reduce(): Index is supposed to be a vector (got shape "
                         f"{list(index.shape)})")
    if source.ndim != input.ndim or source.shape[d] != idx.size:
        raise RuntimeError(f"index_reduce(): source {list(source.shape)} must have input's "
                           f"number of dims ({input.ndim}) and index's length ({idx.size}) at "
                           f"dim {d}")
    # Each source element goes to the slice named by its position along dim.
    view = [1] * source.ndim
    view[d] = -1
    full = index.reshape(view).expand(source.shape)
    return scatter_reduce(input, d, full, source, reduce, include_self=include_self)


def put(input, index, source, accumulate=False):
    """A copy of `input` with `source` written (or added) at the flat positions `index`."""
    idx = _int_index(index, "put")
    n = input.numel()
    if idx.size != source.numel():
        raise RuntimeError(f"put_(): Expected source and index to have the same number of "
                           f"elements, but got source.numel() = {source.numel()}, "
                           f"index.numel() = {idx.size}")
    if idx.size and (int(idx.min()) < -n or int(idx.max()) >= n):
        bad = int(idx.max()) if int(idx.max()) >= n else int(idx.min())
        raise IndexError(f"put_(): index {bad} is out of bounds for a tensor of {n} elements "
                         f"(shape {list(input.shape)})")
    flat = input.reshape(-1)
    key = ((idx % n if n else idx).reshape(-1).astype("int64"),)
    out = _index_put(flat, key, source.reshape(-1), accumulate, "put")
    return out.reshape(input.shape)


__all__ = ["index_reduce", "put"]
METHODS = {"index_reduce": index_reduce, "put": put,
           "index_reduce_": make_inplace(index_reduce, "index_reduce_"),
           "put_": make_inplace(put, "put_")}
