"""Margin and embedding losses (ranking, hinge, multi-class margin, cosine, triplet), composed
from ember ops. Each takes `reduction` 'mean' | 'sum' | 'none'."""
from ..._device import array_module_of
from ..._tensor import Tensor
from ...ops._common import check_same_device
from ...ops.comparison import minimum, where
from ...ops.unary import clamp
from .loss import _check_index_target, check_reduction, reduce_loss

_COSINE_EPS = 1e-12  # PyTorch's guard on the squared magnitudes


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                        reduction="mean"):
    """`max(0, -target * (input1 - input2) + margin)` for targets +-1."""
    op = "margin_ranking_loss"
    check_reduction(reduction, op)
    if not (input1.ndim == input2.ndim == target.ndim):
        raise RuntimeError(f"{op}: All input tensors should have same dimension but got sizes: "
                           f"input1: {list(input1.shape)}, input2: {list(input2.shape)}, "
                           f"target: {list(target.shape)}")
    return reduce_loss(clamp(-target * (input1 - input2) + margin, min=0), reduction, op)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """`input` where target is 1, `max(0, margin - input)` where it is -1."""
    op = "hinge_embedding_loss"
    check_reduction(reduction, op)
    margin_part = where(target != 1, clamp(margin - input, min=0), 0.0)
    self_part = where(target != -1, input, 0.0)
    return reduce_loss(margin_part + self_part, reduction, op)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """Multi-class hinge: `sum_{j != y} max(0, margin - x[y] + x[j]) ** p / C` per sample,
    scaled by `weight[y]`. input (N, C) or (C,), target (N,) or ()."""
    op = "multi_margin_loss"
    check_reduction(reduction, op)
    if p not in (1, 2):
        raise ValueError(f"{op}: only p == 1 and p == 2 supported")
    _check_index_target(input, target, op)
    x = input.unsqueeze(0) if input.ndim == 1 else input
    t = target.reshape(-1, 1)
    c = x.shape[1]
    if bool(((t._data < 0) | (t._data >= c)).any()):
        raise IndexError(f"{op}: target out of range (must be in [0, {c}))")
    z = clamp(margin - x.gather(1, t) + x, min=0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[t]
    from ...ops.creation import arange
    not_target = arange(c, device=x.device).reshape(1, c) != t
    loss = (z * not_target).sum(1) / c
    if input.ndim == 1:
        loss = loss.squeeze(0)
    return reduce_loss(loss, reduction, op)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):
    """`1 - cos(x1, x2)` where target is 1, `max(0, cos(x1, x2) - margin)` where it is -1.
    Inputs (N, D) or (D,)."""
    op = "cosine_embedding_loss"
    check_reduction(reduction, op)
    if input1.ndim != input2.ndim or input1.ndim not in (1, 2):
        raise RuntimeError(f"{op}: 1D target tensor expects 2D input tensors, but found inputs "
                           f"with sizes {list(input1.shape)} and {list(input2.shape)}.")
    d = input1.ndim - 1
    prod = (input1 * input2).sum(d)
    mag1 = (input1 * input1).sum(d) + _COSINE_EPS
    mag2 = (input2 * input2).sum(d) + _COSINE_EPS
    cos = prod / (mag1 * mag2).sqrt()
    loss = where(target == 1, 1 - cos, 0.0) + where(target == -1, clamp(cos - margin, min=0),
                                                    0.0)
    return reduce_loss(loss, reduction, op)


def _pairwise_distance(x1, x2, p=2.0, eps=1e-6):
    return (x1 - x2 + eps).norm(p, dim=-1)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """`max(0, d(a, p) - d(a, n) + margin)` with the p-norm distance; `swap` uses the smaller
    of d(a, n) and d(p, n). Inputs (N, D) or (D,)."""
    op = "triplet_margin_loss"
    check_reduction(reduction, op)
    if not (anchor.ndim == positive.ndim == negative.ndim):
        raise RuntimeError(f"{op}: The anchor, positive, and negative tensors are expected to "
                           f"have the same number of dimensions, but got: anchor "
                           f"{anchor.ndim}D, positive {positive.ndim}D, and negative "
                           f"{negative.ndim}D inputs")

    def distance(a, b):
        return _pairwise_distance(a, b, p, eps)
    return _triplet(anchor, positive, negative, distance, margin, swap, reduction, op)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """`triplet_margin_loss` with any `distance_function(x1, x2)` (default: pairwise 2-norm)."""
    op = "triplet_margin_with_distance_loss"
    check_reduction(reduction, op)
    if margin <= 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")
    return _triplet(anchor, positive, negative, distance_function or _pairwise_distance, margin,
                    swap, reduction, op)


def _triplet(anchor, positive, negative, distance, margin, swap, reduction, op):
    d_pos = distance(anchor, positive)
    d_neg = distance(anchor, negative)
    if swap:
        d_neg = minimum(d_neg, distance(positive, negative))
    loss = clamp(margin + d_pos - d_neg, min=0)
    return reduce_loss(loss, reduction, op)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge: `sum_{j, i not a target} max(0, 1 - (x[y_j] - x[i])) / C` per sample,
    over the target class indices y_j listed before the first -1. input and target (N, C),
    (C,) or ()."""
    op = "multilabel_margin_loss"
    check_reduction(reduction, op)
    if input.ndim > 2 or (input.ndim == 2 and input.shape[1] == 0):
        raise RuntimeError(f"{op}: Expected non-empty vector or matrix with optional 0-dim "
                           f"batch size, but got: {list(input.shape)}")
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"{op}: inconsistent target size: {list(target.shape)} for input of "
                           f"size: {list(input.shape)}")
    if target._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected scalar type Long but found {target.dtype.name}")
    check_same_device(input, target, op)
    x = input.reshape(-1, input.shape[-1] if input.ndim else 1)
    t = target._data.reshape(x.shape)
    c = x.shape[1]
    xp = array_module_of(t)
    listed = xp.cumprod(t >= 0, axis=1).astype(bool)  # entries before the first -1
    if bool((listed & (t >= c)).any()):
        raise IndexError(f"{op}: target index out of range (must be in [-1, {c}))")
    safe = xp.where(listed, t, 0)
    is_target = ((safe[:, :, None] == xp.arange(c)) & listed[:, :, None]).any(axis=1)
    # (N, listed j, class i): only listed targets j against non-target classes i count.
    mask = Tensor._make((listed[:, :, None] & ~is_target[:, None, :]).astype(x._data.dtype))
    picked = x.gather(1, Tensor._make(safe))
    z = clamp(1 - picked.unsqueeze(2) + x.unsqueeze(1), min=0) * mask
    loss = z.sum((1, 2)) / c
    if input.ndim < 2:
        loss = loss.squeeze(0)
    return reduce_loss(loss, reduction, op)


__all__ = ["margin_ranking_loss", "hinge_embedding_loss", "multi_margin_loss",
           "multilabel_margin_loss",
           "cosine_embedding_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss"]
