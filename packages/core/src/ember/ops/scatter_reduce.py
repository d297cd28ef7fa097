"""`scatter_reduce`: sum/prod/mean/amax/amin of `src` into a copy of `input` at an index, and
its gradient (split from indexing.py, whose key and write helpers it uses)."""
import numpy as np

from .._device import array_module_of
from .._tensor import Tensor
from ..autograd.graph import Node
from ._common import attach, requires_grad
from .indexing import _coords, _index_put, _src_region, _value_array, index_key
from .inplace import make_inplace

_REDUCE_UFUNC = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum",
                 "amin": "minimum"}


def _reduce_at(out, key, values, ufunc):
    """`ufunc.at(out, key, values)` for multiply/maximum/minimum, in plain elementwise ops: CuPy
    has no `multiply.at`, and its float64 `maximum.at`/`minimum.at` round through float32
    (which breaks the exact ties the amax/amin gradient looks for). The values bound for one
    position are combined pairwise (log2 of the most repeats passes), then applied once."""
    xp = array_module_of(out)
    op = getattr(xp, ufunc)
    flat = out.reshape(-1)  # `out` is a fresh contiguous copy: this is a view of it
    pos = xp.arange(out.size).reshape(out.shape)[key]
    vals = xp.broadcast_to(values, pos.shape).reshape(-1)
    pos = pos.reshape(-1)
    if pos.size == 0:
        return
    order = xp.argsort(pos)  # repeats of one position side by side
    pos, vals = pos[order], vals[order]
    start = xp.searchsorted(pos, pos, side="left")
    rank = xp.arange(pos.size) - start  # k-th repeat of its position
    length = xp.searchsorted(pos, pos, side="right") - start
    partner = xp.arange(pos.size)
    step = 1
    while step < int(length.max()):
        pair = (rank % (2 * step) == 0) & (rank + step < length)
        vals = xp.where(pair, op(vals, vals[xp.minimum(partner + step, pos.size - 1)]), vals)
        step *= 2
    first = rank == 0
    flat[pos[first]] = op(flat[pos[first]], vals[first])


def _identity(reduce, dtype):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    big = np.inf if dtype.kind == "f" else np.iinfo(dtype).max
    return -big if reduce == "amax" else big


class ScatterReduceBackward0(Node):
    __slots__ = ("key", "reduce", "include_self", "out", "count", "untouched")

    def backward(self, g):
        x, s = self.unpack()
        c = Tensor._make
        key = self.key
        if self.reduce in ("sum", "mean"):
            gx = g / c(self.count) if self.reduce == "mean" else g
            gs = index_key(gx, key)
        elif self.reduce == "prod":
            lx, ls = self._prod_locals(x._data, s._data)
            gx = g * c(lx)
            gs = index_key(g, key) * c(ls)
        else:  # ties share the gradient evenly, as in PyTorch
            xa = self.out.dtype.type
            eq_x = c((x._data == self.out).astype(xa))
            eq_s = c((s._data == self.out[key]).astype(xa))
            if not self.include_self:
                eq_x = eq_x * c(self.untouched.astype(xa))
            n = _index_put(eq_x, key, eq_s, True, "scatter_reduce")
            gx = g * eq_x / n
            gs = index_key(g / n, key) * eq_s
        if not self.include_self:
            gx = gx * c(self.untouched.astype(self.out.dtype))
        return (gx if self.inputs[0] is not None else None,
                gs if self.inputs[1] is not None else None)


    def _prod_locals(self, xa, sa):
        """d out / d member for every member of every product: out / member when the group has
        no zero, the product of the others for a group's only zero, 0 beside two or more zeros
        (dividing by a zero member would give inf/nan, as in PyTorch's own handling)."""
        xp = array_module_of(xa)
        key, out = self.key, self.out
        # x takes part in its position's product when include_self, or where nothing landed.
        takes_part = xp.ones(xa.shape, dtype=bool) if self.include_self else self.untouched
        zx, zs = (xa == 0) & takes_part, sa == 0
        zeros = zx.astype(np.int64)
        xp.add.at(zeros, key, zs.astype(np.int64))
        others = xp.where(takes_part & ~zx, xa, 1).astype(out.dtype)
        _reduce_at(others, key, xp.where(zs, 1, sa).astype(out.dtype), "multiply")
        one = out.dtype.type(1)
        lx = xp.where(zeros == 0, out / xp.where(xa == 0, one, xa),
                      xp.where(zx & (zeros == 1), others, 0))
        lx = xp.where(takes_part, lx, 0)  # x left out of a product gets no gradient from it
        zk, ok = zeros[key], out[key]
        ls = xp.where(zk == 0, ok / xp.where(zs, one, sa), xp.where(zs & (zk == 1),
                                                                   others[key], 0))
        return lx.astype(out.dtype), ls.astype(out.dtype)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """Reduce `src` into a copy of `input` at `index` with sum/prod/mean/amax/amin."""
    if reduce not in _REDUCE_UFUNC:
        raise RuntimeError(f"scatter_reduce(): reduce argument must be one of sum, prod, mean, "
                           f"amax, amin (got {reduce!r})")
    key = _coords(input, dim, index, "scatter_reduce", src)
    s = _src_region(src, index)
    xp = array_module_of(input._data)
    out = input._data.copy()
    sv = _value_array(s, input, "scatter_reduce")
    untouched = None
    if not include_self:
        untouched = xp.ones(out.shape, dtype=bool)
        untouched[key] = False
        out[key] = _identity(reduce, out.dtype)
    if reduce in ("sum", "mean"):
        xp.add.at(out, key, sv)
    else:
        _reduce_at(out, key, sv, _REDUCE_UFUNC[reduce])
    count = None
    if reduce == "mean":
        count = xp.ones(out.shape, dtype=out.dtype)
        if not include_self:
            count[key] = 0
        xp.add.at(count, key, 1)
        count = xp.maximum(count, 1)
        out = out // count if out.dtype.kind in "iu" else out / count
    node = None
    if requires_grad(input, s):
        node = ScatterReduceBackward0(None)
        node.key, node.reduce, node.include_self = key, reduce, include_self
        node.out, node.count, node.untouched = out, count, untouched
        node.save(input, s)
    return attach(out, node, (input, s))


__all__ = ["scatter_reduce"]

METHODS = {"scatter_reduce": scatter_reduce,
           "scatter_reduce_": make_inplace(scatter_reduce, "scatter_reduce_")}
