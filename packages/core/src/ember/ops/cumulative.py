"""Running reductions along one dim: cumsum, cumprod, cummax, cummin, logcumsumexp; diff."""
import numpy as np

from .. import _dtypes
from .._device import array_module_of
from .._tensor import Tensor, _dim
from ..autograd.graph import Node
from ._common import attach, requires_grad
from .inplace import make_inplace
from .reduction import prod, return_type_for, sum


def inclusive_scan(arrays, axis, combine):
    """Running `combine` along `axis` over a tuple of same-shape arrays: `combine(earlier,
    later)` takes and returns tuples and must be associative. Hillis-Steele doubling, log2(n)
    whole-array steps, because CuPy has no ufunc.accumulate for maximum or logaddexp."""
    xp = array_module_of(arrays[0])
    arrays = tuple(xp.moveaxis(a, axis, -1) for a in arrays)
    n, step = arrays[0].shape[-1], 1
    while step < n:
        merged = combine(tuple(a[..., :-step] for a in arrays),
                         tuple(a[..., step:] for a in arrays))
        arrays = tuple(xp.concatenate([a[..., :step], m], axis=-1)
                       for a, m in zip(arrays, merged))
        step *= 2
    return tuple(xp.moveaxis(a, -1, axis) for a in arrays)


def _axis(input, dim, op):
    return _dim(dim, input._data.ndim, op)


def _reverse_cumsum(g, d):
    """Sum of g over positions >= i along d, for each i."""
    return sum(g, d, keepdim=True) - cumsum(g, d) + g


class CumsumBackward0(Node):
    __slots__ = ("dim", "dtype")

    def backward(self, g):
        if g.ndim == 0:
            return (g.to(self.dtype),)
        return (_reverse_cumsum(g, self.dim).to(self.dtype),)


def cumsum(input, dim, *, dtype=None):
    """Running sum along `dim`; integers and bools accumulate in int64 unless `dtype` is given."""
    arr = input._data
    d = _axis(input, dim, "cumsum")
    dt = _dtypes.as_dtype(dtype) if dtype is not None else \
        (_dtypes.int64 if input.dtype.category <= 1 else input.dtype)
    out = arr.astype(dt.np) if arr.ndim == 0 else arr.cumsum(axis=d, dtype=dt.np)
    node = None
    if requires_grad(input):
        node = CumsumBackward0(None)
        node.dim, node.dtype = d, input.dtype
    return attach(out, node, (input,))


class CumprodBackward0(Node):
    __slots__ = ("dim",)

    def backward(self, g):
        (x,) = self.unpack()
        arr, d = x._data, self.dim
        if arr.ndim == 0:
            return (g,)
        zero = arr == 0
        seen = zero.cumsum(axis=d)
        before = Tensor._make((seen == 0).astype(arr.dtype))  # positions before the first zero
        # Before the first zero the product formula divides by nonzero values only.
        x_before = x * before + (1 - before)
        grad = _reverse_cumsum(g * cumprod(x, d), d) / x_before * before
        if not bool(zero.any()):
            return (grad,)
        # The first zero z gets prod(x[:z]) * sum_{j>=z} g[j] * prod(x[z+1:j+1]); positions
        # after it get nothing, as every product through them holds that zero.
        first = Tensor._make((zero & (seen == 1)).astype(arr.dtype))
        after = Tensor._make((seen > 0).astype(arr.dtype)) - first
        x_after = x * after + (1 - after)
        tail = sum(g * cumprod(x_after, d) * (1 - before), d, keepdim=True)
        lead = prod(x_before, d, keepdim=True)
        return (grad + lead * tail * first,)


def cumprod(input, dim, *, dtype=None):
    """Running product along `dim`; the gradient is exact with zeros in the input."""
    arr = input._data
    d = _axis(input, dim, "cumprod")
    dt = _dtypes.as_dtype(dtype) if dtype is not None else \
        (_dtypes.int64 if input.dtype.category <= 1 else input.dtype)
    out = arr.astype(dt.np) if arr.ndim == 0 else arr.cumprod(axis=d, dtype=dt.np)
    node = None
    if requires_grad(input):
        node = CumprodBackward0(None)
        node.dim = d
        node.save(input)
    return attach(out, node, (input,))


class CummaxBackward0(Node):
    __slots__ = ("dim", "indices")

    def backward(self, g):
        from .creation import zeros_like
        from .indexing import scatter_add
        if g.ndim == 0:
            return (g,)
        return (scatter_add(zeros_like(g), self.dim, self.indices, g),)


def _cumext(input, dim, op, largest):
    arr = input._data
    d = _axis(input, dim, op)
    xp = array_module_of(arr)
    if arr.ndim == 0:
        values, index = arr.copy(), xp.zeros((), np.int64)
    else:
        j = xp.arange(arr.shape[d]).reshape([-1 if i == d else 1 for i in range(arr.ndim)])
        floating = arr.dtype.kind in "fc"

        def later_wins(earlier, later):
            # The later element takes over when it reaches the extreme (ties move the index
            # on, as in PyTorch) or is NaN; an earlier NaN stays the extreme.
            (v0, i0), (v1, i1) = earlier, later
            take = v1 >= v0 if largest else v1 <= v0
            if floating:
                take = take | xp.isnan(v1)
            return xp.where(take, v1, v0), xp.where(take, i1, i0)
        values, index = inclusive_scan((arr, xp.broadcast_to(j, arr.shape).astype(np.int64)),
                                       d, later_wins)
    node = None
    if requires_grad(input):
        node = CummaxBackward0(None)
        node.dim, node.indices = d, Tensor._make(index)
    cls = return_type_for(op)
    return cls(attach(values, node, (input,)), Tensor._make(index))


def cummax(input, dim):
    """(values, indices) of the running maximum along `dim`."""
    return _cumext(input, dim, "cummax", True)


def cummin(input, dim):
    """(values, indices) of the running minimum along `dim`."""
    return _cumext(input, dim, "cummin", False)


class LogcumsumexpBackward0(Node):
    __slots__ = ("dim",)

    def backward(self, g):
        from .unary import exp, log
        (x,) = self.unpack()
        d = self.dim
        if x.ndim == 0:
            return (g,)
        out = logcumsumexp(x, d)
        # grad_i = sum_{j>=i} g_j exp(x_i - out_j), summed in log space for each sign of g so
        # that no exp overflows.
        grad = None
        for sign in (1, -1):
            part = Tensor._make((g._data * sign > 0).astype(g._data.dtype))
            # log(1) where the part is empty, then -inf added: never a log of zero.
            logs = log(g * sign * part + (1 - part)) + _log_mask(part._data)
            tail = logcumsumexp((logs - out).flip(d), d).flip(d)
            term = exp(x + tail) * sign
            grad = term if grad is None else grad + term
        return (grad,)


def _log_mask(mask):
    """0 where mask is 1 and -inf where it is 0: removes those terms from a log-space sum."""
    xp = array_module_of(mask)
    return Tensor._make(xp.where(mask > 0, 0.0, -np.inf).astype(mask.dtype))


def logcumsumexp(input, dim):
    """`log(cumsum(exp(x)))` along `dim`, computed without overflow."""
    arr = input._data
    d = _axis(input, dim, "logcumsumexp")
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError(f"logcumsumexp: expected a floating point input (got "
                           f"{input.dtype.name})")
    xp = array_module_of(arr)
    out = arr.copy() if arr.ndim == 0 else \
        inclusive_scan((arr,), d, lambda a, b: (xp.logaddexp(a[0], b[0]),))[0]
    node = None
    if requires_grad(input):
        node = LogcumsumexpBackward0(None)
        node.dim = d
        node.save(input)
    return attach(out, node, (input,))


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The n-th forward difference along `dim` (`!=` for bool tensors), after joining
    `prepend` and `append` to `input` along that dim."""
    from .joining import cat
    from .shape import narrow
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = _dim(dim, input.ndim, "diff")
    parts = [t for t in (prepend, input, append) if t is not None]
    out = cat(parts, d) if len(parts) > 1 else input
    for _ in range(n):
        length = out.shape[d]
        if length == 0:
            break
        later, earlier = narrow(out, d, 1, length - 1), narrow(out, d, 0, length - 1)
        out = later != earlier if out.dtype is _dtypes.bool_ else later - earlier
    return out


__all__ = ["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "diff"]
METHODS = {name: globals()[name] for name in __all__}
METHODS.update({"cumsum_": make_inplace(cumsum, "cumsum_"),
                "cumprod_": make_inplace(cumprod, "cumprod_")})
