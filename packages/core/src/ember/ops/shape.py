"""Shape ops: views (reshape/view, expand, permute, squeeze, diagonal, unfold, ...) and the
copies PyTorch makes (flip, roll, repeat, tril/triu).

Views go through `view_of(input, array, node, replay)`, so they share the version counter and an
in-place write through them re-bases the base's graph (see ops/inplace.py).
"""
import numbers

from .. import _dtypes
from .._device import array_module_of
from .._tensor import Size, Tensor, _dim
from ..autograd.graph import Node
from ._common import attach, requires_grad, sum_to_shape
from .inplace import make_inplace, view_of


def _size_args(shape, op):
    if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
        shape = tuple(shape[0])
    for s in shape:
        if not isinstance(s, numbers.Integral) and not isinstance(s, Tensor):
            raise TypeError(f"{op}: size must be a tuple of ints, got {list(shape)}")
    return tuple(int(s) for s in shape)


def _infer_shape(shape, numel, op, src_shape):
    shape = list(shape)
    if shape.count(-1) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"{op}: shape '{shape}' is invalid for input of size {numel}")
        shape[shape.index(-1)] = numel // known
    elif known != numel:
        raise RuntimeError(f"{op}: shape '{shape}' is invalid for input of size {numel} "
                           f"(input shape {list(src_shape)})")
    return tuple(shape)


def _dims(dims, ndim, op):
    """Normalised dims, or an error naming the op when one repeats."""
    out = tuple(_dim(d, ndim, op) for d in dims)
    if len(set(out)) != len(out):
        raise RuntimeError(f"{op}: repeated dim in {list(dims)}")
    return out


# ----------------------------------------------------------------------------- reshapes
class ViewBackward0(Node):
    __slots__ = ("shape",)

    def backward(self, g):
        return (g.reshape(self.shape),)


class SqueezeBackward0(ViewBackward0):
    __slots__ = ()


class UnsqueezeBackward0(ViewBackward0):
    __slots__ = ()


def _reshaped_view(input, out, cls=ViewBackward0):
    """`out`, a reshaped view of `input`'s array, as a tracked view tensor."""
    node = None
    if requires_grad(input):
        node = cls((input.grad_fn or input,))
        node.shape = input._data.shape
    shape = out.shape
    return view_of(input, out, node, lambda b: reshape(b, shape))


def reshape(input, *shape):
    """The same elements in a new shape: a view when the layout allows, else a copy."""
    arr = input._data
    shape = _infer_shape(_size_args(shape, "reshape"), arr.size, "reshape", arr.shape)
    out = arr.reshape(shape)
    if out.size and not array_module_of(arr).may_share_memory(out, arr):
        node = None  # NumPy had to copy: the result is a new tensor, not a view
        if requires_grad(input):
            node = ViewBackward0(None)
            node.shape = arr.shape
        return attach(out, node, (input,))
    return _reshaped_view(input, out)


def view(input, *shape):
    """Like reshape, but always a view; non-contiguous inputs that would need a copy fail."""
    if len(shape) == 1 and not isinstance(shape[0], (list, tuple, numbers.Integral)):
        from .conversion import to
        return to(input, shape[0])  # view(dtype) is not supported beyond a cast
    arr = input._data
    new_shape = _infer_shape(_size_args(shape, "view"), arr.size, "view", arr.shape)
    try:
        out = arr.view()
        out.shape = new_shape  # assigning .shape never copies: it raises instead
    except AttributeError:
        raise RuntimeError(f"view size is not compatible with input tensor's size and stride "
                           f"(shape {list(arr.shape)} -> {list(new_shape)}): at least one "
                           "dimension spans across two contiguous subspaces. Use .reshape(...) "
                           "instead.") from None
    return _reshaped_view(input, out)


def view_as(input, other):
    return view(input, other.shape)


def reshape_as(input, other):
    return reshape(input, other.shape)


def ravel(input):
    return reshape(input, -1)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims `start_dim..end_dim` into one (a 0-d input becomes 1-D)."""
    nd = input.ndim
    if nd == 0:
        return reshape(input, 1)
    s, e = _dim(start_dim, nd, "flatten"), _dim(end_dim, nd, "flatten")
    if s > e:
        raise RuntimeError(f"flatten() has invalid args: start_dim ({start_dim}) cannot come "
                           f"after end_dim ({end_dim}) for a tensor of shape {list(input.shape)}")
    if s == e:
        return input
    shape = input.shape
    return reshape(input, shape[:s] + (-1,) + shape[e + 1:])


def unflatten(input, dim, sizes):
    """Split dim `dim` into `sizes` (one entry may be -1)."""
    d = _dim(dim, input.ndim, "unflatten")
    n = input.shape[d]
    sizes = _infer_shape(tuple(int(s) for s in sizes), n, "unflatten", input.shape)
    return view(input, input.shape[:d] + sizes + input.shape[d + 1:])


def squeeze(input, dim=None):
    """Drop size-1 dims (all, one, or a tuple of them); other sizes are left alone."""
    arr = input._data
    if dim is None:
        dims = range(arr.ndim)
    else:
        dims = _dims((dim,) if isinstance(dim, numbers.Integral) else dim, arr.ndim, "squeeze")
    shape = tuple(s for i, s in enumerate(arr.shape) if not (i in dims and s == 1))
    return _reshaped_view(input, arr.reshape(shape), SqueezeBackward0)


def unsqueeze(input, dim):
    """Insert a size-1 dim at `dim` (in range [-ndim-1, ndim])."""
    arr = input._data
    d = _dim(dim, arr.ndim + 1, "unsqueeze")
    shape = arr.shape[:d] + (1,) + arr.shape[d:]
    return _reshaped_view(input, arr.reshape(shape), UnsqueezeBackward0)


# ----------------------------------------------------------------------------- expand
class ExpandBackward0(Node):
    __slots__ = ("shape",)

    def backward(self, g):
        return (sum_to_shape(g, self.shape),)


def expand(input, *sizes):
    """Broadcast to a larger shape without copying; -1 keeps a dimension."""
    arr = input._data
    sizes = _size_args(sizes, "expand")
    if len(sizes) < arr.ndim:
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater "
                           f"or equal to the number of dimensions in the tensor ({arr.ndim})")
    lead = len(sizes) - arr.ndim
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s == -1:
                raise RuntimeError(f"expand: -1 is not allowed in a leading, non-existing "
                                   f"dimension {i}")
            target.append(s)
            continue
        cur = arr.shape[i - lead]
        if s == -1:
            s = cur
        elif cur != 1 and s != cur:
            raise RuntimeError(f"expand: the expanded size of the tensor ({s}) must match the "
                               f"existing size ({cur}) at non-singleton dimension {i}. Target "
                               f"sizes: {list(sizes)}. Tensor sizes: {list(arr.shape)}")
        target.append(s)
    target = tuple(target)
    out = arr.view() if target == arr.shape else array_module_of(arr).broadcast_to(arr, target)
    node = None
    if requires_grad(input):
        node = ExpandBackward0((input.grad_fn or input,))
        node.shape = arr.shape
    return view_of(input, out, node, lambda b: expand(b, target))


def expand_as(input, other):
    return expand(input, other.shape)


def broadcast_to(input, size):
    return expand(input, size)


def broadcast_shapes(*shapes):
    """The shape all `shapes` broadcast to (ints count as 1-D shapes)."""
    out = []
    for shape in shapes:
        shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
        if len(shape) > len(out):
            out = [1] * (len(shape) - len(out)) + out
        for i, s in enumerate(shape):
            j = len(out) - len(shape) + i
            if out[j] == 1 or s == out[j]:
                out[j] = s
            elif s != 1:
                raise RuntimeError(f"broadcast_shapes: shape mismatch: objects cannot be "
                                   f"broadcast to a single shape ({s} vs {out[j]} at "
                                   f"dimension {j} of shapes {list(shapes)})")
    return Size(out)


def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


# ----------------------------------------------------------------------------- permutes
class PermuteBackward0(Node):
    __slots__ = ("dims",)

    def backward(self, g):
        inverse = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inverse[d] = i
        return (permute(g, inverse),)


def permute(input, *dims):
    """Reorder the dims (a view)."""
    arr = input._data
    dims = _size_args(dims, "permute")
    if len(dims) != arr.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {arr.ndim} is not equal to len(dims) = {len(dims)}")
    dims = _dims(dims, arr.ndim, "permute")
    node = None
    if requires_grad(input):
        node = PermuteBackward0((input.grad_fn or input,))
        node.dims = dims
    return view_of(input, arr.transpose(dims), node, lambda b: permute(b, dims))


def transpose(input, dim0, dim1):
    nd = input.ndim
    d0, d1 = _dim(dim0, nd, "transpose"), _dim(dim1, nd, "transpose")
    dims = list(range(nd))
    if nd:
        dims[d0], dims[d1] = d1, d0
    return permute(input, dims)


def t(input):
    """Transpose of a matrix; 0-D and 1-D tensors come back as they are (as views)."""
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.ndim}D (shape {list(input.shape)})")
    return permute(input, list(range(input.ndim))[::-1])


def movedim(input, source, destination):
    """Move dims `source` to positions `destination` (ints or sequences of equal length)."""
    nd = input.ndim
    src = (source,) if isinstance(source, numbers.Integral) else tuple(source)
    dst = (destination,) if isinstance(destination, numbers.Integral) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} "
                           f"dims) should contain the same number of dims as destination "
                           f"({list(dst)} dims)")
    src, dst = _dims(src, nd, "movedim"), _dims(dst, nd, "movedim")
    order = [None] * nd
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(i for i in range(nd) if i not in src)
    return permute(input, [o if o is not None else next(rest) for o in order])


def _conj(x):
    return x.conj() if x.dtype.is_complex else x


def _T(self):
    return permute(self, list(range(self.ndim))[::-1])


def _mT(self):
    if self.ndim < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {self.ndim}-D tensor.")
    return transpose(self, -2, -1)


def _H(self):
    if self.ndim > 2:
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{self.ndim}-D tensor.")
    return _conj(_T(self))


def _mH(self):
    return _conj(_mT(self))


# ----------------------------------------------------------------------------- strided views
def _as_strided(arr, shape, strides):
    return array_module_of(arr).lib.stride_tricks.as_strided(arr, shape, strides)


def _diagonal_array(arr, offset, d1, d2):
    """A writable view of the diagonal of dims d1, d2 (moved last), as PyTorch's diagonal."""
    rest = [i for i in range(arr.ndim) if i not in (d1, d2)]
    a = arr.transpose(rest + [d1, d2])
    a = a[..., :, offset:] if offset >= 0 else a[..., -offset:, :]
    n = max(min(a.shape[-2], a.shape[-1]), 0)
    return _as_strided(a, a.shape[:-2] + (n,), a.strides[:-2] + (a.strides[-2] + a.strides[-1],))


class DiagonalBackward0(Node):
    __slots__ = ("shape", "dtype", "args")

    def backward(self, g):
        from .creation import zeros
        z = zeros(self.shape, dtype=_dtypes.from_numpy_dtype(self.dtype), device=g.device)
        diagonal(z, *self.args).copy_(g)  # a write through a view records the graph to g
        return (z,)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal of dims `dim1`, `dim2` as the last dim (a view); `offset` > 0 is above."""
    arr = input._data
    d1, d2 = _dim(dim1, arr.ndim, "diagonal"), _dim(dim2, arr.ndim, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    node = None
    if requires_grad(input):
        node = DiagonalBackward0((input.grad_fn or input,))
        node.shape, node.dtype, node.args = arr.shape, arr.dtype, (offset, d1, d2)
    return view_of(input, _diagonal_array(arr, offset, d1, d2), node,
                   lambda b: diagonal(b, offset, d1, d2))


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Tensors whose diagonals (of dims dim1, dim2) hold `input`'s last dim."""
    from .creation import zeros
    nd = input.ndim + 1
    d1, d2 = _dim(dim1, nd, "diag_embed"), _dim(dim2, nd, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diag_embed: diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = input.shape[-1] + abs(offset)
    rest = iter(input.shape[:-1])
    shape = [n if i in (d1, d2) else next(rest) for i in range(nd)]
    out = zeros(shape, dtype=input.dtype, device=input.device)
    diagonal(out, offset, d1, d2).copy_(input)
    return out


def diag(input, diagonal=0):
    """A 1-D input as a diagonal matrix, or the `diagonal`-th diagonal of a matrix (a copy)."""
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:
        from .conversion import clone
        return clone(globals()["diagonal"](input, diagonal))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D (shape "
                       f"{list(input.shape)})")


class UnfoldBackward0(Node):
    __slots__ = ("shape", "dtype", "dim", "size", "step")

    def backward(self, g):
        from .creation import zeros
        from .indexing import _index_put
        xp = array_module_of(g._data)
        n = g.shape[self.dim]
        idx = xp.arange(n)[:, None] * self.step + xp.arange(self.size)[None, :]
        z = zeros(self.shape, dtype=_dtypes.from_numpy_dtype(self.dtype), device=g.device)
        key = (slice(None),) * self.dim + (idx,)
        return (_index_put(z, key, movedim(g, -1, self.dim + 1), True, "unfold"),)


def unfold(input, dimension, size, step):
    """All windows of `size` along `dimension`, `step` apart, as a new last dim (a view)."""
    arr = input._data
    d = _dim(dimension, arr.ndim, "unfold")
    length = arr.shape[d] if arr.ndim else 1
    if size > length:
        raise RuntimeError(f"unfold: maximum size for tensor at dimension {d} is {length} but "
                           f"size is {size}")
    if step <= 0:
        raise RuntimeError(f"unfold: step is {step} but must be > 0")
    if arr.ndim == 0:
        out = arr.reshape(1)
    else:
        n = (length - size) // step + 1
        st = arr.strides
        out = _as_strided(arr, arr.shape[:d] + (n,) + arr.shape[d + 1:] + (size,),
                          st[:d] + (st[d] * step,) + st[d + 1:] + (st[d],))
    node = None
    if requires_grad(input):
        node = UnfoldBackward0((input.grad_fn or input,))
        node.shape, node.dtype, node.dim, node.size, node.step = arr.shape, arr.dtype, d, size, \
            step
    return view_of(input, out, node, lambda b: unfold(b, d, size, step))


def select(input, dim, index):
    """The slice at `index` of dim `dim`, with that dim removed (a view)."""
    from .indexing import index_key
    d = _dim(dim, input.ndim, "select")
    n = input.shape[d]
    index = int(index)
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {d}")
    return index_key(input, (slice(None),) * d + (index,))


def narrow(input, dim, start, length):
    """`length` elements of dim `dim` from `start` (a view)."""
    from .indexing import index_key
    d = _dim(dim, input.ndim, "narrow")
    n = input.shape[d]
    start, length = int(start), int(length)
    if start < 0:
        start += n
    if not 0 <= start <= n or length < 0 or start + length > n:
        raise RuntimeError(f"narrow(): start ({start}) + length ({length}) exceeds dimension "
                           f"size ({n}) of a tensor of shape {list(input.shape)}")
    return index_key(input, (slice(None),) * d + (slice(start, start + length),))


def _atleast(nd, shape_of):
    def fn(*tensors):
        one = len(tensors) == 1 and isinstance(tensors[0], Tensor)
        if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
            tensors = tuple(tensors[0])
        out = tuple(t if t.ndim >= nd else reshape(t, shape_of(t.shape)) for t in tensors)
        return out[0] if one else out
    fn.__name__ = f"atleast_{nd}d"
    return fn


atleast_1d = _atleast(1, lambda s: (1,))
atleast_2d = _atleast(2, lambda s: (1,) + tuple(s) + (1,) * (1 - len(s)))
atleast_3d = _atleast(3, lambda s: {0: (1, 1, 1), 1: (1,) + tuple(s) + (1,),
                                    2: tuple(s) + (1,)}[len(s)])


# ----------------------------------------------------------------------------- copies
class FlipBackward0(Node):
    __slots__ = ("dims",)

    def backward(self, g):
        return (flip(g, self.dims),)


def flip(input, dims):
    """Reverse the order along `dims` (a copy, as in PyTorch)."""
    arr = input._data
    dims = _dims((dims,) if isinstance(dims, numbers.Integral) else dims, arr.ndim, "flip")
    out = array_module_of(arr).flip(arr, dims).copy() if arr.ndim else arr.copy()
    node = None
    if requires_grad(input):
        node = FlipBackward0(None)
        node.dims = dims
    return attach(out, node, (input,))


def fliplr(input):
    if input.ndim < 2:
        raise RuntimeError(f"fliplr: Input must be >= 2-d (got shape {list(input.shape)})")
    return flip(input, 1)


def flipud(input):
    if input.ndim < 1:
        raise RuntimeError("flipud: Input must be >= 1-d (got a 0-d tensor)")
    return flip(input, 0)


class RollBackward0(Node):
    __slots__ = ("shifts", "dims")

    def backward(self, g):
        return (roll(g, tuple(-s for s in self.shifts), self.dims),)


def roll(input, shifts, dims=None):
    """Shift elements cyclically along `dims` (the flattened tensor when None)."""
    arr = input._data
    shifts = (shifts,) if isinstance(shifts, numbers.Integral) else tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, "
                               "dims: 0")
        out = array_module_of(arr).roll(arr.reshape(-1), shifts[0]).reshape(arr.shape)
    else:
        dims = (dims,) if isinstance(dims, numbers.Integral) else tuple(dims)
        if len(shifts) != len(dims):
            raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, "
                               f"dims: {len(dims)}")
        dims = tuple(_dim(d, arr.ndim, "roll") for d in dims)
        out = array_module_of(arr).roll(arr, shifts, dims)
    node = None
    if requires_grad(input):
        node = RollBackward0(None)
        node.shifts, node.dims = shifts, dims
    return attach(out, node, (input,))


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees `k` times in the plane of `dims` (from the first towards the second)."""
    if len(dims) != 2:
        raise RuntimeError(f"rot90: expected total rotation dims == 2, but got dims = "
                           f"{len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"rot90: expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = _dim(dims[0], input.ndim, "rot90"), _dim(dims[1], input.ndim, "rot90")
    if d0 == d1:
        raise RuntimeError(f"rot90: expected rotation dims to be different, but got dim0 = {d0} "
                           f"and dim1 = {d1}")
    k %= 4
    if k == 1:
        return transpose(flip(input, d1), d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return transpose(flip(input, d0), d0, d1)
    from .conversion import clone
    return clone(input)


class TrilBackward0(Node):
    __slots__ = ("k", "upper")

    def backward(self, g):
        return ((triu if self.upper else tril)(g, self.k),)


class TriuBackward0(TrilBackward0):
    __slots__ = ()


def _triangle(input, k, upper):
    arr = input._data
    op = "triu" if upper else "tril"
    if arr.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions (got shape "
                           f"{list(arr.shape)})")
    xp = array_module_of(arr)
    out = xp.triu(arr, k) if upper else xp.tril(arr, k)
    node = None
    if requires_grad(input):
        node = (TriuBackward0 if upper else TrilBackward0)(None)
        node.k, node.upper = k, upper
    return attach(out, node, (input,))


def tril(input, diagonal=0):
    """The lower triangle of the last two dims (on and below `diagonal`); the rest zero."""
    return _triangle(input, diagonal, False)


def triu(input, diagonal=0):
    """The upper triangle of the last two dims (on and above `diagonal`); the rest zero."""
    return _triangle(input, diagonal, True)


__all__ = ["reshape", "view_as", "reshape_as", "ravel", "flatten", "unflatten", "squeeze",
           "unsqueeze", "broadcast_to", "broadcast_shapes", "broadcast_tensors", "permute",
           "transpose", "t", "movedim", "diagonal", "diag_embed", "diag", "select", "narrow",
           "atleast_1d", "atleast_2d", "atleast_3d", "flip", "fliplr", "flipud", "roll", "rot90",
           "tril", "triu", "swapaxes", "swapdims", "moveaxis"]
swapaxes = swapdims = transpose
moveaxis = movedim
METHODS = {
    **{name: globals()[name] for name in __all__ if name not in ("broadcast_shapes",
                                                                   "broadcast_tensors",
                                                                   "atleast_1d", "atleast_2d",
                                                                   "atleast_3d")},
    "view": view, "expand": expand, "expand_as": expand_as,
    "unfold": unfold, "T": property(_T), "mT": property(_mT), "H": property(_H),
    "mH": property(_mH), "tril_": make_inplace(tril, "tril_"),
    "triu_": make_inplace(triu, "triu_"),
}
