"""The inverses of views, and arbitrary strided views: slice_scatter, select_scatter,
diagonal_scatter (a copy of `input` with the view's region replaced by `src`), as_strided.

The scatters are a clone plus a write through the view, so their gradients come from the
in-place machinery (CopySlices): `src` gets the view of the gradient, `input` the rest.
"""
import numbers

from .. import _dtypes
from .._device import array_module_of
from .._tensor import Tensor, _dim
from ..autograd.graph import Node
from ._common import requires_grad
from .conversion import clone
from .inplace import view_of
from .shape import _as_strided, _size_args, diagonal, select


def _check_src(view, src, op):
    if tuple(view.shape) != tuple(src.shape):
        raise RuntimeError(f"{op}: expected src to have a size equal to the slice of self. src "
                           f"size = {list(src.shape)}, slice size = {list(view.shape)}")


def _scatter_into(input, src, view_fn, op):
    out = clone(input)
    region = view_fn(out)
    _check_src(region, src, op)
    region.copy_(src)
    return out


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """`input` with `input[..., start:end:step, ...]` (along `dim`) replaced by `src`."""
    d = _dim(dim, input.ndim, "slice_scatter")
    if step <= 0:
        raise RuntimeError(f"slice_scatter: slice step must be positive (got {step})")
    key = (slice(None),) * d + (slice(start, end, step),)
    return _scatter_into(input, src, lambda t: t[key], "slice_scatter")


def select_scatter(input, src, dim, index):
    """`input` with `input.select(dim, index)` replaced by `src`."""
    return _scatter_into(input, src, lambda t: select(t, dim, index), "select_scatter")


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """`input` with `input.diagonal(offset, dim1, dim2)` replaced by `src`."""
    return _scatter_into(input, src, lambda t: diagonal(t, offset, dim1, dim2),
                         "diagonal_scatter")


# ----------------------------------------------------------------------------- as_strided
def _storage(input):
    """The tensor owning `input`'s memory, and `input`'s offset into it, in elements."""
    root = input._base if input._base is not None else input
    if not root._data.flags.c_contiguous:
        raise RuntimeError(f"as_strided: the tensor's memory (shape {list(root.shape)}) is not "
                           "laid out contiguously; call .contiguous() first")
    return root, input.storage_offset()


def _positions(xp, numel, shape, strides, offset):
    """Storage index of each element of the strided view (shape, strides in elements)."""
    pos = xp.full(shape, offset, dtype="int64")
    for axis, (n, s) in enumerate(zip(shape, strides)):
        step = xp.arange(n, dtype="int64") * s
        pos = pos + step.reshape((n,) + (1,) * (len(shape) - axis - 1))
    return pos


class AsStridedBackward0(Node):
    """The output's gradient summed into a zero storage at each element's storage index, read
    back at the input's own storage indices."""
    __slots__ = ("numel", "dtype", "out_pos", "in_pos")

    def backward(self, g):
        from .creation import zeros
        from .indexing import index_add, take
        storage = zeros(self.numel, dtype=_dtypes.from_numpy_dtype(self.dtype), device=g.device)
        storage = index_add(storage, 0, self.out_pos, g.reshape(-1))
        return (take(storage, self.in_pos),)


def as_strided(input, size, stride, storage_offset=None):
    """A view with the given sizes and strides (in elements) into `input`'s memory, starting
    `storage_offset` elements in (default: where `input` starts)."""
    size = _size_args((size,) if isinstance(size, numbers.Integral) else tuple(size),
                      "as_strided")
    stride = _size_args((stride,) if isinstance(stride, numbers.Integral) else tuple(stride),
                        "as_strided")
    if len(size) != len(stride):
        raise RuntimeError(f"as_strided: mismatch in length of strides and shape ({len(stride)} "
                           f"strides for {len(size)} sizes)")
    if any(s < 0 for s in stride) or any(n < 0 for n in size):
        raise RuntimeError(f"as_strided: negative sizes or strides are not supported (size "
                           f"{list(size)}, stride {list(stride)})")
    root, own_offset = _storage(input)
    offset = own_offset if storage_offset is None else int(storage_offset)
    numel = root._data.size
    last = offset + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else offset - 1
    if offset < 0 or last >= numel:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                           f"offset {offset} are out of bounds for storage of {numel} elements")
    flat = root._data.reshape(-1)
    item = flat.dtype.itemsize
    arr = _as_strided(flat[offset:] if offset < numel else flat[:0], size,
                      tuple(s * item for s in stride))
    node = None
    if requires_grad(input):
        xp = array_module_of(flat)
        in_strides = tuple(s // item for s in input._data.strides)
        node = AsStridedBackward0((input.grad_fn or input,))
        node.numel, node.dtype = numel, flat.dtype
        node.out_pos = Tensor._make(_positions(xp, numel, size, stride, offset).reshape(-1))
        node.in_pos = Tensor._make(_positions(xp, numel, input._data.shape, in_strides,
                                              own_offset))
    return view_of(input, arr, node, lambda b: as_strided(b, size, stride, offset))


__all__ = ["slice_scatter", "select_scatter", "diagonal_scatter", "as_strided"]
METHODS = {name: globals()[name] for name in __all__}
