"""Lookup tables: `embedding`, `embedding_bag` and `one_hot` (dense gradients only)."""
import numpy as np

from ..._device import array_module_of
from ..._tensor import Tensor
from ...autograd.graph import Node
from ...autograd.grad_mode import no_grad
from ...ops._common import attach, requires_grad

_MODES = ("sum", "mean", "max")


def _indices(input, op):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected indices to be a Tensor, got {type(input).__name__}")
    if input._data.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{op}: Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {input.dtype} instead")
    return input._data.astype(np.int64, copy=False)


def _check_range(idx, num, op):
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= num):
        bad = int(idx.max()) if int(idx.max()) >= num else int(idx.min())
        raise IndexError(f"{op}: index {bad} is out of range for a weight of {num} rows "
                         "(index out of range in self)")


def _padding_idx(padding_idx, num, op):
    if padding_idx is None:
        return None
    if not -num <= padding_idx < num:
        raise ValueError(f"{op}: Padding_idx must be within num_embeddings (got {padding_idx} "
                         f"for {num} embeddings)")
    return padding_idx + num if padding_idx < 0 else padding_idx


def _renorm_(weight, idx, max_norm, norm_type):
    """Scale in place the rows of `weight` looked up by `idx` whose norm exceeds max_norm."""
    xp = array_module_of(weight._data)
    rows = xp.unique(idx.reshape(-1))
    with no_grad():
        w = weight._data
        norms = (xp.abs(w[rows]) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
        scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(w.dtype)
        w[rows] *= scale[:, None]
        weight._vc[0] += 1


class EmbeddingBackward0(Node):
    __slots__ = ("idx", "num_weights", "padding_idx", "scale_grad_by_freq", "dtype")

    def backward(self, g):
        from ...ops.creation import zeros
        idx = self.idx.reshape(-1)
        g2 = g.reshape(idx.size, -1)
        factor = None
        if self.padding_idx is not None:
            factor = (idx != self.padding_idx).astype(g._data.dtype)
        if self.scale_grad_by_freq:
            xp = array_module_of(idx)
            counts = xp.bincount(idx, minlength=self.num_weights)[idx].astype(g._data.dtype)
            factor = 1.0 / counts if factor is None else factor / counts
        if factor is not None:
            g2 = g2 * Tensor._make(factor[:, None])
        gw = zeros((self.num_weights, g2.shape[1]), dtype=g.dtype, device=g.device)
        return (gw.index_add(0, Tensor._make(idx), g2),)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of weight (num_embeddings, embedding_dim) picked by integer input (*); returns
    (*, embedding_dim). padding_idx rows get no gradient; max_norm renormalizes looked-up rows
    of weight in place."""
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported by ember; use "
                                  "sparse=False")
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: weight must be 2-D, got shape {list(weight.shape)}")
    idx = _indices(input, "embedding")
    num = weight.shape[0]
    padding_idx = _padding_idx(padding_idx, num, "embedding")
    _check_range(idx, num, "embedding")
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    out = weight._data.take(idx, axis=0)
    node = None
    if requires_grad(weight):
        node = EmbeddingBackward0(None)
        node.idx, node.num_weights, node.padding_idx = idx, num, padding_idx
        node.scale_grad_by_freq = scale_grad_by_freq
    return attach(out, node, (weight,))


def _bags(input, offsets, include_last_offset, op):
    """Flat indices, the bag of each index, and the number of bags."""
    idx = _indices(input, op)
    xp = array_module_of(idx)
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is "
                             "a mini-batch of fixed length sequences. However, found offsets of "
                             f"type {type(offsets).__name__}")
        b, n = idx.shape
        return idx.reshape(-1), xp.repeat(xp.arange(b), n), b
    if idx.ndim != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{idx.ndim}")
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    off = _indices(offsets, op)
    if off.ndim != 1:
        raise ValueError(f"offsets has to be a 1D Tensor, but got Tensor of dimension "
                         f"{off.ndim}")
    if off.size and (int(off[0]) != 0 or bool((off[1:] < off[:-1]).any())):
        raise RuntimeError(f"{op}: offsets must start at 0 and be non-decreasing, got "
                           f"{off.tolist()}")
    if include_last_offset:
        if off.size == 0:
            raise RuntimeError(f"{op}: include_last_offset needs at least one offset")
        nbags, end = off.size - 1, int(off[-1])
    else:
        nbags, end = off.size, idx.size
    pos = xp.arange(idx.size)
    bag = xp.searchsorted(off[:nbags], pos, side="right") - 1
    keep = pos < end
    return idx[keep], bag[keep], nbags


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                  mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False,
                  padding_idx=None):
    """Sum, mean or max of the embeddings in each bag. input (B, L) (B bags of L indices) or
    1-D with offsets (start of each bag); returns (B, embedding_dim). Empty bags give zeros;
    padding_idx entries are left out of their bag."""
    if mode not in _MODES:
        raise ValueError(f"embedding_bag: mode has to be one of sum, mean or max, got {mode!r}")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(
                "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                "the Pytorch GitHub.")
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(f"embedding_bag: per_sample_weights (of shape "
                             f"{list(per_sample_weights.shape)}) must have the same shape as "
                             f"input ({list(input.shape)})")
    if weight.ndim != 2:
        raise RuntimeError(f"embedding_bag: weight has to be a 2D Tensor, got shape "
                           f"{list(weight.shape)}")
    num, dim = weight.shape
    idx, bag, nbags = _bags(input, offsets, include_last_offset, "embedding_bag")
    _check_range(idx, num, "embedding_bag")
    padding_idx = _padding_idx(padding_idx, num, "embedding_bag")
    psw = per_sample_weights.reshape(-1)[:idx.size] if per_sample_weights is not None else None
    if padding_idx is not None:
        valid = idx != padding_idx
        idx, bag = idx[valid], bag[valid]
        if psw is not None:
            psw = psw[Tensor._make(valid[:psw.shape[0]])]
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    from ...ops.creation import zeros
    rows = embedding(Tensor._make(idx), weight, scale_grad_by_freq=scale_grad_by_freq)
    out = zeros((nbags, dim), dtype=weight.dtype, device=weight.device)
    bag_t = Tensor._make(bag)
    if mode == "max":
        key = Tensor._make(array_module_of(bag).broadcast_to(bag[:, None], rows.shape).copy())
        return out.scatter_reduce(0, key, rows, "amax", include_self=False)
    if psw is not None:
        rows = rows * psw.reshape(-1, 1)
    out = out.index_add(0, bag_t, rows)
    if mode == "mean":
        xp = array_module_of(bag)
        counts = xp.bincount(bag, minlength=nbags).astype(weight._data.dtype)
        out = out / Tensor._make(xp.maximum(counts, 1)[:, None])
    return out


def one_hot(tensor, num_classes=-1):
    """int64 tensor (*) of class indices -> int64 (*, num_classes) with a 1 at each index;
    num_classes=-1 takes max + 1."""
    if not isinstance(tensor, Tensor) or tensor._data.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    idx = tensor._data
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("one_hot: Can not infer total number of classes from empty "
                               "tensor.")
        num_classes = int(idx.max()) + 1
    if idx.size:
        if int(idx.min()) < 0:
            raise RuntimeError("one_hot: Class values must be non-negative.")
        if int(idx.max()) >= num_classes:
            raise RuntimeError(f"one_hot: Class values must be smaller than num_classes "
                               f"(got {int(idx.max())} for num_classes={num_classes}).")
    xp = array_module_of(idx)
    return Tensor._make((idx[..., None] == xp.arange(num_classes)).astype(np.int64))


__all__ = ["embedding", "embedding_bag", "one_hot"]
