"""Indexing: `x[key]`, `x[key] = v`, gather/scatter, index_*, masked_*, take, nonzero.

A key is normalised once into ints, slices, None, Ellipsis and integer arrays on the tensor's
device (bool masks become their `nonzero()` arrays, as NumPy and PyTorch define them). Keys of
only ints/slices/None/Ellipsis give views; any array makes the result a copy. Every backward is a
`index_put` into zeros, so repeated indices accumulate (`xp.add.at` semantics).
"""
import numbers

import numpy as np

from .. import _dtypes
from .._device import array_module_of, move_array
from .._tensor import Tensor, _dim
from ..autograd.graph import Node, edge
from ._common import attach, grad_for_meta, requires_grad
from .inplace import apply_inplace, check_inplace_allowed, check_writable, commit_history, \
    view_of


# ----------------------------------------------------------------------------- keys
def _key_array(k, t, op):
    """An index given as a list/array/tensor, as an integer or bool array on `t`'s device."""
    if isinstance(k, Tensor):
        arr = k._data
    else:
        try:
            arr = np.asarray([x.item() if isinstance(x, Tensor) else x for x in k]
                             if isinstance(k, (list, tuple)) else k)
        except ValueError:
            raise IndexError(f"{op}: could not convert the index {k!r} to an array") from None
        if arr.size == 0:
            arr = arr.astype(np.int64)
    if arr.dtype.kind not in "biu":
        raise IndexError(f"{op}: tensors used as indices must be long, int, byte or bool "
                         f"tensors (got {arr.dtype})")
    return move_array(arr, t.device) if type(arr) is not type(t._data) else arr


def normalize_key(key, t, op="__getitem__"):
    """`key` as a tuple of ints, slices, None, Ellipsis and integer arrays."""
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    for k in key:
        if k is None or k is Ellipsis:
            out.append(k)
        elif isinstance(k, slice):
            parts = [None if v is None else int(v) for v in (k.start, k.stop, k.step)]
            if parts[2] is not None and parts[2] <= 0:
                raise ValueError(f"{op}: step must be greater than zero (got {parts[2]})")
            out.append(slice(*parts))
        elif isinstance(k, (bool, np.bool_)):
            out.append(np.asarray(bool(k)))
        elif isinstance(k, numbers.Integral):
            out.append(int(k))
        elif isinstance(k, Tensor) and k.ndim == 0 and k._data.dtype.kind in "iu":
            out.append(int(k.item()))
        elif isinstance(k, (Tensor, list, tuple, np.ndarray)) or hasattr(k, "__array__"):
            arr = _key_array(k, t, op)
            if arr.dtype == bool and arr.ndim > 0:
                out.extend(arr.nonzero())
            else:
                out.append(arr.astype(np.int64) if arr.dtype != bool else arr)
        else:
            raise IndexError(f"{op}: only integers, slices (`:`), ellipsis (`...`), None and "
                             f"long or byte tensors are valid indices (got {type(k).__name__})")
    return tuple(out)


def _is_basic(key):
    for k in key:
        if not (k is None or k is Ellipsis or isinstance(k, (int, slice))):
            return False
    return True


def _check_key(arr, key, op):
    """Turn NumPy's indexing errors into PyTorch-style ones naming the op and shape."""
    try:
        return arr[key]
    except IndexError as e:
        raise IndexError(f"{op}: {e} (tensor of shape {list(arr.shape)})") from None


# ----------------------------------------------------------------------------- __getitem__
class IndexBackward0(Node):
    __slots__ = ("key", "shape", "dtype", "accumulate")

    def backward(self, g):
        from .creation import zeros
        base = zeros(self.shape, dtype=_dtypes.from_numpy_dtype(self.dtype), device=g.device)
        return (_index_put(base, self.key, g, self.accumulate, "IndexBackward0"),)


class SliceBackward0(IndexBackward0):
    __slots__ = ()


class SelectBackward0(IndexBackward0):
    __slots__ = ()


def index_key(input, key):
    """`input[key]` for a normalised key: a view for basic keys, a copy for advanced ones."""
    arr = input._data
    out = _check_key(arr, key, "__getitem__")
    basic = _is_basic(key)
    node = None
    if requires_grad(input):
        cls = IndexBackward0
        if basic:
            cls = SelectBackward0 if any(isinstance(k, int) for k in key) else SliceBackward0
        node = cls(None)
        node.key, node.shape, node.dtype, node.accumulate = key, arr.shape, arr.dtype, not basic
    if basic:
        if node is not None:
            node.inputs = (input.grad_fn or input,)
        return view_of(input, out, node, lambda b: index_key(b, key))
    return attach(out, node, (input,))


def getitem(self, key):
    return index_key(self, normalize_key(key, self))


# ----------------------------------------------------------------------------- index_put
class IndexPutBackward0(Node):
    __slots__ = ("key", "value_shape", "value_dtype", "accumulate")

    def backward(self, g):
        gx = gv = None
        if self.inputs[0] is not None:
            gx = g if self.accumulate else _index_put(g, self.key, 0, False, "IndexPutBackward0")
        if self.inputs[1] is not None:
            gv = _reduce_to(index_key(g, self.key), self.value_shape, self.value_dtype)
        return gx, gv


def _reduce_to(g, shape, dtype):
    """`g` summed to `shape` (what a broadcast value contributed) and cast to `dtype`."""
    if g.ndim < len(shape):  # NumPy lets a value carry extra leading 1-dims
        g = g.reshape(shape)
    return grad_for_meta(g, shape, dtype)


def _value_array(value, like, op):
    if isinstance(value, Tensor):
        arr = value._data
        if type(arr) is not type(like._data):
            arr = move_array(arr, like.device)
        return arr.astype(like._data.dtype, copy=False)
    if isinstance(value, (numbers.Number, np.generic)):
        return value
    raise TypeError(f"{op}: expected a Tensor or a number as the value, got "
                    f"{type(value).__name__}")


def _write(arr, key, v, accumulate, op):
    try:
        if accumulate:
            array_module_of(arr).add.at(arr, key, v)
        else:
            arr[key] = v
    except IndexError as e:
        raise IndexError(f"{op}: {e} (tensor of shape {list(arr.shape)})") from None
    except ValueError as e:
        vshape = list(getattr(v, "shape", ()))
        raise RuntimeError(f"{op}: shape mismatch: value of shape {vshape} cannot be broadcast "
                           f"to the indexed region of a tensor of shape {list(arr.shape)} "
                           f"({e})") from None


def _put_node(input, key, value, accumulate):
    node = IndexPutBackward0(None)
    node.key, node.accumulate = key, accumulate
    if isinstance(value, Tensor):
        node.value_shape, node.value_dtype = value._data.shape, value._data.dtype
    return node


def _index_put(input, key, value, accumulate, op):
    """Out of place: a copy of `input` with `value` written (or added) at the normalised key."""
    out = input._data.copy()
    _write(out, key, _value_array(value, input, op), accumulate, op)
    node = _put_node(input, key, value, accumulate) if requires_grad(input, value) else None
    return attach(out, node, (input, value))


def index_put(input, indices, values, accumulate=False):
    """`input` with `values` put (or added, `accumulate=True`) at the tensors in `indices`."""
    key = normalize_key(tuple(slice(None) if i is None else i for i in indices), input,
                        "index_put")
    return _index_put(input, key, values, accumulate, "index_put")


def _put_(self, key, value, accumulate, op):
    """In place `self[key] = value` (or `+=` with accumulate), recording the graph."""
    check_inplace_allowed(self, op)
    check_writable(self, op)
    track = requires_grad(self, value)
    node = None
    if track:  # the edges are taken before the write: they lead to self's old history
        node = _put_node(self, key, value, accumulate)
        node.inputs = tuple(edge(x) if isinstance(x, Tensor) else None for x in (self, value))
    _write(self._data, key, _value_array(value, self, op), accumulate, op)
    self._vc[0] += 1
    if track:
        commit_history(self, Tensor._make(self._data, True, node))
    return self


def setitem(self, key, value):
    if isinstance(value, (list, tuple, np.ndarray)):
        from .creation import tensor
        value = tensor(value, dtype=self.dtype, device=self.device)
    _put_(self, normalize_key(key, self, "__setitem__"), value, False, "__setitem__")


def index_put_(self, indices, values, accumulate=False):
    key = normalize_key(tuple(slice(None) if i is None else i for i in indices), self,
                        "index_put_")
    return _put_(self, key, values, accumulate, "index_put_")


def fill_(self, value):
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"fill_: only supports 0-dimension value tensor but got tensor with "
                           f"{value.ndim} dimensions")
    return _put_(self, (Ellipsis,), value, False, "fill_")


def zero_(self):
    return _put_(self, (Ellipsis,), 0, False, "zero_")


def copy_(self, src, non_blocking=False):
    """Copy `src` into `self` (broadcasting, casting dtype and device); differentiable in src."""
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_: expected a Tensor as src, got {type(src).__name__}")
    if src.device != self.device:
        src = src.to(self.device)
    try:
        np.broadcast_shapes(src._data.shape, self._data.shape)
    except ValueError:
        raise RuntimeError(f"copy_: the source of shape {list(src.shape)} must be broadcastable "
                           f"to the destination of shape {list(self.shape)}") from None
    return _put_(self, (Ellipsis,), src, False, "copy_")


# ----------------------------------------------------------------------------- gather / scatter
def _int_index(index, op):
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}: expected index to be a Tensor, got {type(index).__name__}")
    if index._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: Expected dtype int64 for index (got {index.dtype})")
    return index._data


def _coords(input, dim, index, op, src=None):
    """The key addressing, for every element of `index`, its position in `input` along `dim`."""
    idx = _int_index(index, op)
    nd = input.ndim
    if idx.ndim != nd and not (idx.ndim <= 1 and nd <= 1):
        raise RuntimeError(f"{op}: Index tensor must have the same number of dimensions as "
                           f"input tensor (index shape {list(idx.shape)}, input shape "
                           f"{list(input.shape)})")
    dim = _dim(dim, nd, op)
    if nd == 0:
        idx = idx.reshape(())
    for d in range(nd):
        if d != dim and idx.shape[d] > input._data.shape[d]:
            raise RuntimeError(f"{op}: Size does not match at dimension {d}: expected index "
                               f"{list(idx.shape)} to be smaller than self {list(input.shape)} "
                               f"apart from dimension {dim}")
        if src is not None and idx.shape[d] > src._data.shape[d]:
            raise RuntimeError(f"{op}: Expected index {list(idx.shape)} to be smaller than src "
                               f"{list(src.shape)} in every dimension")
    size = input._data.shape[dim] if nd else 1
    if idx.size and (int(idx.min()) < -size or int(idx.max()) >= size):
        bad = int(idx.max()) if int(idx.max()) >= size else int(idx.min())
        raise RuntimeError(f"{op}: index {bad} is out of bounds for dimension {dim} with size "
                           f"{size}")
    if nd == 0:
        return (Ellipsis,)
    xp = array_module_of(idx)
    key = []
    for d in range(nd):
        if d == dim:
            key.append(idx.astype(np.int64))
        else:
            shape = [1] * nd
            shape[d] = idx.shape[d]
            key.append(xp.arange(idx.shape[d]).reshape(shape))
    return tuple(key)


def _src_region(src, index):
    """The leading `index.shape` block of `src` (scatter reads only that much of it)."""
    if src._data.shape == index._data.shape:
        return src
    return index_key(src, tuple(slice(0, s) for s in index._data.shape))



def gather(input, dim, index, *, sparse_grad=False):
    """`out[i][j][k] = input[i][index[i][j][k]][k]` (for dim=1); shape of `index`."""
    return index_key(input, _coords(input, dim, index, "gather"))


def _scalar_or_tensor(value, op):
    if isinstance(value, Tensor) or isinstance(value, (numbers.Number, np.generic)):
        return value
    raise TypeError(f"{op}: expected a Tensor or a number as src/value, got "
                    f"{type(value).__name__}")


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """A copy of `input` with `src` (or `value`) written at `index` along `dim`."""
    src = _scalar_or_tensor(value if src is None else src, "scatter")
    s = src if isinstance(src, Tensor) else None
    key = _coords(input, dim, index, "scatter", s)
    v = _src_region(src, index) if s is not None else src
    if reduce is None:
        return _index_put(input, key, v, False, "scatter")
    if reduce == "add":
        return _index_put(input, key, v, True, "scatter")
    if reduce == "multiply":
        if requires_grad(input, src):
            raise RuntimeError("scatter(): the derivative for reduce='multiply' is not "
                               "implemented; use scatter_reduce(reduce='prod')")
        out = input._data.copy()
        from .scatter_reduce import _reduce_at
        _reduce_at(out, key, _value_array(v, input, "scatter"), "multiply")
        return Tensor._make(out)
    raise RuntimeError(f"scatter(): reduce argument must be either add or multiply (got "
                       f"{reduce!r})")


def scatter_add(input, dim, index, src):
    key = _coords(input, dim, index, "scatter_add", src)
    return _index_put(input, key, _src_region(src, index), True, "scatter_add")


# ----------------------------------------------------------------------------- index_*
def _dim_key(input, dim, index, op):
    idx = _int_index(index, op)
    if idx.ndim > 1:
        raise IndexError(f"{op}: Index is supposed to be a vector (got shape {list(idx.shape)})")
    dim = _dim(dim, input.ndim, op)
    size = input._data.shape[dim] if input.ndim else 1
    if idx.size and (int(idx.min()) < -size or int(idx.max()) >= size):
        raise IndexError(f"{op}: index out of range in self (index values {int(idx.min())}.."
                         f"{int(idx.max())} for dimension {dim} of size {size}, input shape "
                         f"{list(input.shape)})")
    if input.ndim == 0:
        return (idx.reshape(-1)[:0] if idx.size == 0 else Ellipsis,)
    return (slice(None),) * dim + (idx.reshape(-1).astype(np.int64),)


def index_select(input, dim, index):
    """The slices of `input` along `dim` at the positions in the 1-D `index`."""
    return index_key(input, _dim_key(input, dim, index, "index_select"))


def _scaled(source, alpha):
    return source if alpha == 1 else source * alpha


def index_add(input, dim, index, source, *, alpha=1):
    key = _dim_key(input, dim, index, "index_add")
    return _index_put(input, key, _scaled(source, alpha), True, "index_add")


def index_copy(input, dim, index, source):
    return _index_put(input, _dim_key(input, dim, index, "index_copy"), source, False,
                      "index_copy")


def index_fill(input, dim, index, value):
    return _index_put(input, _dim_key(input, dim, index, "index_fill"), value, False,
                      "index_fill")


def index_add_(self, dim, index, source, *, alpha=1):
    return _put_(self, _dim_key(self, dim, index, "index_add_"), _scaled(source, alpha), True,
                 "index_add_")


def index_copy_(self, dim, index, source):
    return _put_(self, _dim_key(self, dim, index, "index_copy_"), source, False, "index_copy_")


def index_fill_(self, dim, index, value):
    return _put_(self, _dim_key(self, dim, index, "index_fill_"), value, False, "index_fill_")


def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
    if reduce is not None:
        return apply_inplace(self, scatter(self, dim, index, src, value=value, reduce=reduce),
                             "scatter_")
    src = _scalar_or_tensor(value if src is None else src, "scatter_")
    s = src if isinstance(src, Tensor) else None
    key = _coords(self, dim, index, "scatter_", s)
    return _put_(self, key, _src_region(src, index) if s is not None else src, False, "scatter_")


def scatter_add_(self, dim, index, src):
    key = _coords(self, dim, index, "scatter_add_", src)
    return _put_(self, key, _src_region(src, index), True, "scatter_add_")


# ----------------------------------------------------------------------------- masks
def _mask_key(input, mask, op, inplace=False):
    """(input broadcast to the common shape, the mask's nonzero key)."""
    if not isinstance(mask, Tensor) or mask._data.dtype != bool:
        got = mask.dtype if isinstance(mask, Tensor) else type(mask).__name__
        raise RuntimeError(f"{op}: expected a boolean mask tensor (got {got})")
    try:
        shape = np.broadcast_shapes(input._data.shape, mask._data.shape)
    except ValueError:
        raise RuntimeError(f"{op}: the shape of the mask {list(mask.shape)} must be "
                           f"broadcastable to the input shape {list(input.shape)}") from None
    if inplace and shape != input._data.shape:
        raise RuntimeError(f"{op}: the shape of the mask {list(mask.shape)} must be "
                           f"broadcastable to the shape of self {list(input.shape)}")
    m = mask._data if type(mask._data) is type(input._data) else move_array(mask._data,
                                                                             input.device)
    xp = array_module_of(input._data)
    x = input if shape == input._data.shape else input.expand(shape)
    return x, xp.broadcast_to(m, shape).nonzero()


def masked_fill(input, mask, value):
    """`input` with `value` wherever `mask` (broadcast) is True."""
    x, key = _mask_key(input, mask, "masked_fill")
    return _index_put(x, key, _fill_value(value, "masked_fill"), False, "masked_fill")


def _fill_value(value, op):
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"{op}: only supports a 0-dimensional value tensor, but got tensor "
                           f"with {value.ndim} dimension(s)")
    return value


def masked_fill_(self, mask, value):
    _, key = _mask_key(self, mask, "masked_fill_", inplace=True)
    return _put_(self, key, _fill_value(value, "masked_fill_"), False, "masked_fill_")


def masked_select(input, mask):
    """The elements of `input` where `mask` is True, as a 1-D tensor (both broadcast)."""
    x, key = _mask_key(input, mask, "masked_select")
    return index_key(x, key)


def _masked_source(source, key, op, like):
    n = int(key[0].size) if key else 0
    if not isinstance(source, Tensor):
        raise TypeError(f"{op}: expected source to be a Tensor, got {type(source).__name__}")
    if source.numel() < n:
        raise RuntimeError(f"{op}: expected source to have at least {n} elements (the number "
                           f"of True mask entries), got {source.numel()} (shape "
                           f"{list(source.shape)})")
    if source.dtype != like.dtype:
        raise RuntimeError(f"{op}: expected self and source to have same dtypes but got "
                           f"{like.dtype} and {source.dtype}")
    return index_key(source.reshape(-1), (slice(0, n),))


def masked_scatter(input, mask, source):
    """`input` with the first elements of `source` copied, in order, where `mask` is True."""
    x, key = _mask_key(input, mask, "masked_scatter")
    return _index_put(x, key, _masked_source(source, key, "masked_scatter", input), False,
                      "masked_scatter")


def masked_scatter_(self, mask, source):
    _, key = _mask_key(self, mask, "masked_scatter_", inplace=True)
    return _put_(self, key, _masked_source(source, key, "masked_scatter_", self), False,
                 "masked_scatter_")


# ----------------------------------------------------------------------------- take / nonzero
def take(input, index):
    """`input` read as 1-D at the positions in `index`; the result has `index`'s shape."""
    idx = _int_index(index, "take")
    n = input.numel()
    if idx.size and (int(idx.min()) < -n or int(idx.max()) >= n):
        raise IndexError(f"take: out of range: tried to access index {int(idx.max())} on a "
                         f"tensor of {n} elements (shape {list(input.shape)})")
    return index_key(input.reshape(-1), (idx.astype(np.int64),))


def take_along_dim(input, indices, dim=None):
    """`gather` with `input` and `indices` broadcast against each other outside `dim`."""
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    _int_index(indices, "take_along_dim")
    if input.ndim != indices.ndim:
        raise RuntimeError(f"take_along_dim: input and indices should have the same number of "
                           f"dimensions, but got {input.ndim} and {indices.ndim}")
    dim = _dim(dim, input.ndim, "take_along_dim")
    a, b = list(input.shape), list(indices.shape)
    a[dim] = b[dim] = 1
    try:
        common = list(np.broadcast_shapes(tuple(a), tuple(b)))
    except ValueError:
        raise RuntimeError(f"take_along_dim: input {list(input.shape)} and indices "
                           f"{list(indices.shape)} are not broadcastable outside dim {dim}")\
            from None
    xs, ys = list(common), list(common)
    xs[dim], ys[dim] = input.shape[dim], indices.shape[dim]
    return gather(input.expand(xs), dim, indices.expand(ys))


def nonzero(input, *, as_tuple=False):
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or one 1-D tensor per dim."""
    arr = input._data
    xp = array_module_of(arr)
    # A 0-d tensor counts as 1-D for as_tuple and as having no dims otherwise, as in PyTorch.
    idx = (arr.reshape(1) if arr.ndim == 0 else arr).nonzero()
    if as_tuple:
        return tuple(Tensor._make(i.astype(np.int64)) for i in idx)
    if arr.ndim == 0:
        return Tensor._make(xp.zeros((int(idx[0].size), 0), np.int64))
    return Tensor._make(xp.stack(idx, axis=1).astype(np.int64))


def argwhere(input):
    return nonzero(input)


def fill_diagonal_(self, fill_value, wrap=False):
    """Fill the main diagonal of a 2-D (or all-sizes-equal N-D) tensor; `wrap` for tall ones."""
    shape = self._data.shape
    if self.ndim < 2:
        raise RuntimeError(f"fill_diagonal_: dimensions must larger than 1 (got shape "
                           f"{list(shape)})")
    if self.ndim > 2 and len(set(shape)) != 1:
        raise RuntimeError(f"fill_diagonal_: all dimensions of input must be of equal length "
                           f"(got shape {list(shape)})")
    xp = array_module_of(self._data)
    n, m = shape[0], shape[1]
    if self.ndim == 2:
        stop = n * m if wrap else min(n, m) * m
        flat = xp.arange(0, stop, m + 1)
        key = (flat // m, flat % m)
    else:
        key = (xp.arange(n),) * self.ndim
    return _put_(self, key, fill_value, False, "fill_diagonal_")


__all__ = ["gather", "scatter", "scatter_add", "index_select", "index_add",
           "index_copy", "index_fill", "index_put", "masked_fill", "masked_scatter",
           "masked_select", "take", "take_along_dim", "nonzero", "argwhere"]
METHODS = {
    "__getitem__": getitem, "__setitem__": setitem,
    **{name: globals()[name] for name in __all__},
    "index_put_": index_put_, "fill_": fill_, "zero_": zero_, "copy_": copy_,
    "masked_fill_": masked_fill_, "masked_scatter_": masked_scatter_, "scatter_": scatter_,
    "scatter_add_": scatter_add_, "index_add_": index_add_, "index_fill_": index_fill_,
    "index_copy_": index_copy_, "fill_diagonal_": fill_diagonal_,
}
