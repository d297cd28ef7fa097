"""Joining, splitting and repeating: cat/stack (+ h/v/d/column_stack), split/chunk/tensor_split/
unbind/h/v/dsplit (views), meshgrid/cartesian_prod/combinations, block_diag/diagflat,
repeat/tile/repeat_interleave."""
import numbers

from .. import _dtypes
from .._device import array_module_of
from .._tensor import Tensor, _dim
from ..autograd.graph import Node
from ._common import attach, check_same_device, grad_for_meta, requires_grad
from .shape import _size_args, atleast_1d, atleast_2d, atleast_3d, narrow, reshape, select, \
    unsqueeze


class CatBackward0(Node):
    __slots__ = ("dim", "metas", "offsets")

    def backward(self, g):
        out = []
        for (shape, dtype), start, e in zip(self.metas, self.offsets, self.inputs):
            if e is None or start is None:
                out.append(None)
                continue
            piece = narrow(g, self.dim, start, shape[self.dim])
            out.append(grad_for_meta(piece, shape, dtype))
        return tuple(out)


def _tensor_list(tensors, op):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}(): argument 'tensors' must be a tuple or list of Tensors, not "
                        f"{type(tensors).__name__}")
    tensors = tuple(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): expected a Tensor at position {i}, got "
                            f"{type(t).__name__}")
    if not tensors:
        raise RuntimeError(f"{op}(): expected a non-empty list of Tensors")
    return tensors


def cat(tensors, dim=0, *, out=None):
    """Join tensors along an existing dim; dtypes promote; 1-D empty tensors are skipped."""
    tensors = _tensor_list(tensors, "cat")
    # PyTorch's legacy rule: a 1-D tensor with no elements joins anything.
    skip = [t.ndim == 1 and t._data.shape[0] == 0 for t in tensors]
    used = [t for t, s in zip(tensors, skip) if not s]
    dt = _dtypes.result_type(*tensors)
    if not used:
        return Tensor._make(tensors[0]._data.astype(dt.np))
    ref = used[0]
    for t in used:
        if t.ndim == 0:
            raise RuntimeError("cat(): zero-dimensional tensor cannot be concatenated")
        check_same_device(ref, t, "cat")
    d = _dim(dim, ref.ndim, "cat")
    for i, t in enumerate(tensors):
        if skip[i]:
            continue
        if t.ndim != ref.ndim:
            raise RuntimeError(f"cat(): Tensors must have same number of dimensions: got "
                               f"{ref.ndim} and {t.ndim} (shapes {list(ref.shape)} and "
                               f"{list(t.shape)})")
        for k in range(ref.ndim):
            if k != d and t._data.shape[k] != ref._data.shape[k]:
                raise RuntimeError(f"cat(): Sizes of tensors must match except in dimension "
                                   f"{d}. Expected size {ref._data.shape[k]} but got size "
                                   f"{t._data.shape[k]} for tensor number {i} in the list.")
    xp = array_module_of(ref._data)
    arr = xp.concatenate([t._data.astype(dt.np, copy=False) for t in used], axis=d)
    node = None
    if requires_grad(*tensors):
        node = CatBackward0(None)
        node.dim, node.metas, node.offsets = d, [(t._data.shape, t._data.dtype)
                                                 for t in tensors], []
        pos = 0
        for t, s in zip(tensors, skip):
            node.offsets.append(None if s else pos)
            pos += 0 if s else t._data.shape[d]
    return attach(arr, node, tensors)


concat = concatenate = cat


def stack(tensors, dim=0, *, out=None):
    """Join equally shaped tensors along a new dim."""
    tensors = _tensor_list(tensors, "stack")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(tensors[0].shape)} at entry 0 and {list(t.shape)} at "
                               f"entry {i}")
    d = _dim(dim, tensors[0].ndim + 1, "stack")
    return cat([unsqueeze(t, d) for t in tensors], d)


def hstack(tensors):
    tensors = atleast_1d(_tensor_list(tensors, "hstack"))
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    return cat(atleast_2d(_tensor_list(tensors, "vstack")), 0)


row_stack = vstack


def dstack(tensors):
    return cat(atleast_3d(_tensor_list(tensors, "dstack")), 2)


def column_stack(tensors):
    """1-D (and 0-D) tensors become columns; the rest join along dim 1."""
    tensors = _tensor_list(tensors, "column_stack")
    return cat([reshape(t, (t.numel(), 1)) if t.ndim <= 1 else t for t in tensors], 1)


# ----------------------------------------------------------------------------- splitting
def _pieces(input, d, sizes):
    out, start = [], 0
    for s in sizes:
        out.append(narrow(input, d, start, s))
        start += s
    return tuple(out)


def split(tensor, split_size_or_sections, dim=0):
    """Views of `split_size` elements each along `dim` (the last may be smaller), or of the
    listed sizes, which must add up to the dim's size."""
    d = _dim(dim, tensor.ndim, "split")
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, numbers.Integral):
        size = int(split_size_or_sections)
        if size < 0 or (size == 0 and n):
            raise RuntimeError(f"split expects split_size be non-negative (and non-zero for a "
                               f"non-empty dim), but got split_size={size}")
        if n == 0:
            return (tensor,)
        return _pieces(tensor, d, [min(size, n - s) for s in range(0, n, size)])
    sizes = [int(s) for s in split_size_or_sections]
    if sum(sizes) != n or any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input "
                           f"tensor's size at dimension {d}), but got split_sizes={sizes}")
    return _pieces(tensor, d, sizes)


def split_with_sizes(input, split_sizes, dim=0):
    """Views of the listed sizes along `dim` (they must add up to the dim's size)."""
    return split(input, list(split_sizes), dim)


def _directional_split(name, dim_of, min_ndim):
    def op(input, indices_or_sections):
        if input.ndim < min_ndim:
            raise RuntimeError(f"torch.{name} requires a tensor with at least {min_ndim} "
                               f"dimension, but got a tensor with {input.ndim} dimensions!")
        d = dim_of(input)
        if isinstance(indices_or_sections, numbers.Integral):
            n, k = input.shape[d], int(indices_or_sections)
            if k <= 0 or n % k:
                raise RuntimeError(f"torch.{name} attempted to split along dimension {d}, but "
                                   f"the size of the dimension {n} is not divisible by the "
                                   f"split_size {k}!")
        return tensor_split(input, indices_or_sections, d)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"`tensor_split` along dim {'0 or 1' if name == 'hsplit' else min_ndim - 1}, " \
                 "with sections that must divide the dim evenly."
    return op


hsplit = _directional_split("hsplit", lambda t: 0 if t.ndim == 1 else 1, 1)
vsplit = _directional_split("vsplit", lambda t: 0, 2)
dsplit = _directional_split("dsplit", lambda t: 2, 3)


def narrow_copy(input, dim, start, length):
    """`narrow` as a new tensor rather than a view."""
    from .conversion import clone
    return clone(narrow(input, dim, start, length))


def chunk(input, chunks, dim=0):
    """At most `chunks` views of equal size (the last may be smaller) along `dim`."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _dim(dim, input.ndim, "chunk")
    n = input.shape[d]
    return split(input, max(-(-n // chunks), 1) if n else 0, d) if n else \
        tuple(narrow(input, d, 0, 0) for _ in range(chunks))


def tensor_split(input, indices_or_sections, dim=0):
    """`sections` nearly equal views (the first ones one longer), or views cut at `indices`."""
    d = _dim(dim, input.ndim, "tensor_split")
    n = input.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        ios = ios.item() if ios.ndim == 0 else ios.tolist()
    if isinstance(ios, numbers.Integral):
        if ios <= 0:
            raise RuntimeError(f"tensor_split: number of sections must be larger than 0, got "
                               f"{ios}")
        q, r = divmod(n, ios)
        return _pieces(input, d, [q + 1] * r + [q] * (ios - r))
    bounds = [0] + [min(max(int(i) + (n if i < 0 else 0), 0), n) for i in ios] + [n]
    out = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        out.append(narrow(input, d, min(a, n), max(b - a, 0)))
    return tuple(out)


def unbind(input, dim=0):
    """Every slice along `dim`, with that dim removed (views)."""
    d = _dim(dim, input.ndim, "unbind")
    return tuple(select(input, d, i) for i in range(input.shape[d]))


# ----------------------------------------------------------------------------- grids, blocks
def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids from 1-D tensors (expanded views): "ij" indexing puts tensors[i] along
    dim i, "xy" swaps the first two dims (NumPy's default). PyTorch's default is "ij"."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    tensors = _tensor_list(tensors, "meshgrid")
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    for t in tensors:
        if t.dtype != tensors[0].dtype:
            raise RuntimeError(f"meshgrid expects all tensors to have the same dtype (got "
                               f"{tensors[0].dtype.name} and {t.dtype.name})")
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got a tensor of shape {list(t.shape)}")
    swap = indexing == "xy" and len(tensors) >= 2
    order = list(tensors)
    if swap:
        order[0], order[1] = order[1], order[0]
    shape = [t.numel() for t in order]
    grids = []
    for i, t in enumerate(order):
        view = [1] * len(order)
        view[i] = -1
        grids.append(reshape(t, view).expand(shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def cartesian_prod(*tensors):
    """All tuples of one element from each 1-D tensor, as rows (itertools.product order)."""
    tensors = _tensor_list(tensors, "cartesian_prod")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """All length-`r` combinations of the elements of a 1-D tensor, as rows."""
    import itertools

    from .creation import empty, tensor
    from .indexing import index_select
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return empty(0, dtype=input.dtype, device=input.device)
    pick = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    rows = list(pick(range(input.shape[0]), r))
    if not rows:
        return empty(0, r, dtype=input.dtype, device=input.device)
    idx = tensor(rows, dtype=_dtypes.int64, device=input.device)
    return index_select(input, 0, idx.reshape(-1)).reshape(len(rows), r)


def block_diag(*tensors):
    """The tensors (0-D, 1-D as a row, or 2-D) along the diagonal of one matrix, zeros elsewhere."""
    from .creation import zeros
    if not tensors:
        return zeros(1, 0)
    tensors = _tensor_list(tensors, "block_diag")
    mats = []
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {t.ndim} dimensions")
        mats.append(reshape(t, (1, -1) if t.ndim == 1 else (1, 1)) if t.ndim < 2 else t)
    dt = _dtypes.result_type(*mats)
    width = sum(m.shape[1] for m in mats)
    rows, col = [], 0
    for m in mats:
        h, w = m.shape
        z = dict(dtype=dt, device=m.device)
        rows.append(cat([zeros(h, col, **z), m.to(dt), zeros(h, width - col - w, **z)], 1))
        col += w
    return cat(rows, 0)


def diagflat(input, offset=0):
    """The flattened input on the `offset`-th diagonal of a square matrix."""
    from .shape import diag
    return diag(reshape(input, -1), offset)


# ----------------------------------------------------------------------------- repeating
class RepeatBackward0(Node):
    __slots__ = ("shape", "reps")

    def backward(self, g):
        # (r0*s0, r1*s1, ...) -> (r0, s0, r1, s1, ...) summed over the r's.
        lead = len(self.reps) - len(self.shape)
        shape = (1,) * lead + tuple(self.shape)
        split = [x for r, s in zip(self.reps, shape) for x in (r, s)]
        g = g.reshape(split).sum(dim=tuple(range(0, len(split), 2)))
        return (g.reshape(self.shape),)


def repeat(input, *sizes):
    """Tile `input` `sizes[i]` times along each dim (leading sizes add new dims)."""
    arr = input._data
    reps = _size_args(sizes, "repeat")
    if len(reps) < arr.ndim:
        raise RuntimeError(f"repeat: Number of dimensions of repeat dims ({len(reps)}) can not "
                           f"be smaller than number of dimensions of tensor ({arr.ndim})")
    out = array_module_of(arr).tile(arr, reps)
    node = None
    if requires_grad(input):
        node = RepeatBackward0(None)
        node.shape, node.reps = arr.shape, reps
    return attach(out, node, (input,))


def tile(input, dims):
    dims = _size_args((dims,) if isinstance(dims, numbers.Integral) else tuple(dims), "tile")
    return repeat(input, (1,) * (input.ndim - len(dims)) + dims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element (or slice along `dim`) `repeats` times; `repeat_interleave(r)` alone
    repeats the indices 0..len(r)-1."""
    from .indexing import index_select
    if repeats is None:  # the index form: repeat_interleave(repeats_tensor)
        xp = array_module_of(input._data)
        return Tensor._make(xp.repeat(xp.arange(input.numel()), input._data.reshape(-1)))
    if dim is None:
        input, dim = reshape(input, -1), 0
    d = _dim(dim, input.ndim, "repeat_interleave")
    n = input.shape[d] if input.ndim else 1
    xp = array_module_of(input._data)
    r = repeats._data.reshape(-1) if isinstance(repeats, Tensor) else int(repeats)
    if isinstance(repeats, Tensor) and r.size not in (1, n):
        raise RuntimeError(f"repeat_interleave: repeats must have the same size as input along "
                           f"dim {d}, but got repeats.size(0) = {r.size} and input.size({d}) = "
                           f"{n}")
    if (r < 0).any() if isinstance(r, type(xp.empty(0))) else r < 0:
        raise RuntimeError("repeat_interleave: repeats can not be negative")
    idx = xp.repeat(xp.arange(n), r)
    return index_select(input, d, Tensor._make(idx))


__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack", "dstack",
           "column_stack", "split", "chunk", "tensor_split", "unbind", "tile",
           "repeat_interleave", "split_with_sizes", "hsplit", "vsplit", "dsplit", "narrow_copy",
           "meshgrid", "cartesian_prod", "combinations", "block_diag", "diagflat"]
METHODS = {"split": split, "chunk": chunk, "tensor_split": tensor_split, "unbind": unbind,
           "repeat": repeat, "tile": tile, "repeat_interleave": repeat_interleave,
           "split_with_sizes": split_with_sizes, "hsplit": hsplit, "vsplit": vsplit,
           "dsplit": dsplit, "narrow_copy": narrow_copy, "diagflat": diagflat}
