"""Connectionist Temporal Classification loss: the forward-backward (alpha/beta) algorithm in
log space, vectorised over the batch and the extended label sequence (blank, l1, blank, l2, ...,
blank); only time is looped over. One node, `CtcLossBackward0`, holds the per-sample gradient
w.r.t. log_probs, computed as PyTorch does (which assumes log_probs are log_softmax outputs):
`exp(lp[t, c]) - sum_{s: l'_s = c} exp(alpha[t, s] + beta[t, s] + nll - lp[t, c])`.
"""
import numpy as np

from ..._device import array_module_of
from ..._tensor import Tensor
from ...autograd.graph import Node
from ...autograd.grad_mode import state as _grad_state
from ...ops._common import attach, requires_grad
from .loss import check_reduction

_OP = "ctc_loss"


class CtcLossBackward0(Node):
    """Gradient of the per-sample losses (N,) w.r.t. log_probs; `grad` is (T, N, C)."""
    __slots__ = ("grad", "unbatched")

    def backward(self, g):
        n = self.grad.shape[1]
        grad = Tensor._make(self.grad)
        if _grad_state.enabled:  # create_graph: PyTorch has no formula for the second derivative
            grad = attach(self.grad, _CtcLossBackwardBackward(None), (g, grad))
        out = g.reshape(1, n, 1) * grad
        return (out.squeeze(1) if self.unbatched else out,)


class _CtcLossBackwardBackward(Node):
    __slots__ = ()

    def backward(self, grad):
        raise RuntimeError("derivative for ctc_loss backward is not implemented")


def _lengths(lengths, n, name):
    """Lengths given as a tensor, or a tuple/list of ints, as a host int64 array of size n."""
    if isinstance(lengths, Tensor):
        arr = lengths._cpu_array()
        if arr.dtype.kind not in "iu":
            raise RuntimeError(f"{_OP}: {name} must be integral, got {lengths.dtype.name}")
    else:
        arr = np.asarray(lengths)
        if arr.dtype.kind not in "iu":
            raise TypeError(f"{_OP}: {name} must be a Tensor or a tuple of ints, got {lengths!r}")
    arr = arr.reshape(-1).astype(np.int64)
    if arr.shape[0] != n:
        raise RuntimeError(f"{_OP}: {name} must be of size batch_size ({n}), got {arr.shape[0]}")
    return arr


def _padded_labels(targets, target_lengths, n, c):
    """Targets (N, S) padded or (sum(target_lengths),) concatenated, as a host (N, S_max) int64
    array whose entries past each target length are 0."""
    tg = targets._cpu_array()
    if tg.ndim not in (1, 2):
        raise RuntimeError(f"{_OP}: targets must be 1-D (concatenated) or 2-D (batch, "
                           f"max_target_length), got shape {list(targets.shape)}")
    s_max = int(target_lengths.max()) if n else 0
    cols = np.arange(s_max)
    keep = cols[None, :] < target_lengths[:, None]
    if tg.ndim == 1:
        total = int(target_lengths.sum())
        if tg.shape[0] != total:
            raise RuntimeError(f"{_OP}: concatenated targets must have size sum(target_lengths) "
                               f"({total}), got {tg.shape[0]}")
        starts = np.cumsum(target_lengths) - target_lengths
        idx = np.where(keep, starts[:, None] + cols[None, :], 0)
        labels = tg[idx] if total else np.zeros(idx.shape, np.int64)
    else:
        if tg.shape[0] != n or tg.shape[1] < s_max:
            raise RuntimeError(f"{_OP}: padded targets must have shape (batch_size ({n}), at "
                               f"least max target length ({s_max})), got {list(tg.shape)}")
        labels = tg[:, :s_max]
    labels = np.where(keep, labels.astype(np.int64), 0)
    bad = keep & ((labels < 0) | (labels >= c))
    if bad.any():
        raise IndexError(f"{_OP}: target label {int(labels[bad][0])} is out of range for "
                         f"{c} classes")
    return labels


def _shift(x, k, fill):
    """x (N, S) moved k places along S (k > 0: right, k < 0: left), padded with `fill`."""
    xp = array_module_of(x)
    out = xp.full_like(x, fill)
    if k > 0:
        out[:, k:] = x[:, :-k]
    else:
        out[:, :k] = x[:, -k:]
    return out


def _ctc(lp, labels, in_len, tg_len, blank, need_grad):
    """Per-sample negative log-likelihoods (N,) and, when `need_grad`, d nll / d lp (T, N, C).
    lp (T, N, C); labels (N, S); lengths (N,); all arrays on lp's device."""
    xp = array_module_of(lp)
    t_max, n, c = lp.shape
    neg_inf = -np.inf
    s_ext = 2 * labels.shape[1] + 1
    pos = xp.arange(s_ext)
    ext = xp.full((n, s_ext), blank, dtype=labels.dtype)
    ext[:, 1::2] = labels
    valid = pos[None, :] <= 2 * tg_len[:, None]
    # s -> s + 2 (skipping a blank) is allowed between two different labels only.
    skip = xp.zeros((n, s_ext), dtype=bool)
    skip[:, 3::2] = ext[:, 3::2] != ext[:, 1:-2:2]
    lp_ext = xp.take_along_axis(lp, xp.broadcast_to(ext[None], (t_max, n, s_ext)), axis=2)

    alpha = xp.full((t_max, n, s_ext), neg_inf, dtype=lp.dtype)
    if t_max:
        alpha[0] = xp.where(valid & (pos[None, :] <= 1), lp_ext[0], neg_inf)
    for t in range(1, t_max):
        prev = alpha[t - 1]
        reach = xp.logaddexp(prev, _shift(prev, 1, neg_inf))
        reach = xp.logaddexp(reach, xp.where(skip, _shift(prev, 2, neg_inf), neg_inf))
        alpha[t] = xp.where(valid, lp_ext[t] + reach, neg_inf)

    rows = xp.arange(n)
    end = xp.full(n, neg_inf, dtype=lp.dtype)
    if t_max:  # log-likelihood: alignments ending on the last label or the blank after it
        last = alpha[xp.maximum(in_len - 1, 0), rows]
        end_label = xp.where(tg_len > 0, last[rows, xp.maximum(2 * tg_len - 1, 0)], neg_inf)
        end = xp.logaddexp(last[rows, 2 * tg_len], end_label)
    # No time steps: only the empty target is reachable, with probability 1.
    nll = xp.where(in_len > 0, -end, xp.where(tg_len > 0, np.inf, 0.0)).astype(lp.dtype)
    if not need_grad:
        return nll, None

    beta = xp.full((t_max, n, s_ext), neg_inf, dtype=lp.dtype)
    skip_next = _shift(skip, -2, False)
    first = (pos[None, :] >= 2 * tg_len[:, None] - 1) & valid
    for t in range(t_max - 1, -1, -1):
        start = xp.where(first, lp_ext[t], neg_inf)
        if t < t_max - 1:
            nxt = beta[t + 1]
            reach = xp.logaddexp(nxt, _shift(nxt, -1, neg_inf))
            reach = xp.logaddexp(reach, xp.where(skip_next, _shift(nxt, -2, neg_inf), neg_inf))
            inner = xp.where(valid & (t < in_len - 1)[:, None], lp_ext[t] + reach, neg_inf)
        else:
            inner = xp.full_like(start, neg_inf)
        beta[t] = xp.where((t == in_len - 1)[:, None], start, inner)

    in_time = (xp.arange(t_max)[:, None] < in_len[None, :])[:, :, None]  # (T, N, 1)
    with np.errstate(all="ignore"):  # impossible alignments: -inf + inf = NaN, as in PyTorch
        occupancy = xp.exp(alpha + beta + nll[None, :, None] - lp_ext)
        occupancy = xp.where(valid[None] & in_time, occupancy, 0)
        onehot = (ext[:, :, None] == xp.arange(c)[None, None, :]).astype(lp.dtype)
        per_class = xp.matmul(occupancy.transpose(1, 0, 2), onehot).transpose(1, 0, 2)
        grad = xp.where(in_time, xp.exp(lp) - per_class, 0).astype(lp.dtype)
    return nll, grad


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """CTC loss of log-probabilities `log_probs` (T, N, C) or unbatched (T, C) against `targets`
    padded (N, S) or concatenated (sum(target_lengths),); lengths are tensors or tuples of ints.
    'mean' divides each loss by its target length (at least 1) and averages over the batch.
    Impossible alignments give inf, or 0 (with zero gradient) when `zero_infinity`."""
    check_reduction(reduction, _OP)
    if not isinstance(log_probs, Tensor) or not isinstance(targets, Tensor):
        raise TypeError(f"{_OP}: log_probs and targets must be Tensors")
    if log_probs.ndim not in (2, 3):
        raise RuntimeError(f"{_OP}: log_probs must be 3-D (T, N, C) or 2-D (T, C), got shape "
                           f"{list(log_probs.shape)}")
    if log_probs._data.dtype.kind != "f":
        raise RuntimeError(f"{_OP}: expected floating point log_probs, got "
                           f"{log_probs.dtype.name}")
    unbatched = log_probs.ndim == 2
    lp = log_probs._data[:, None] if unbatched else log_probs._data
    t_max, n, c = lp.shape
    if not 0 <= blank < c:
        raise RuntimeError(f"{_OP}: blank must be in label range [0, {c}), got {blank}")
    in_len = _lengths(input_lengths, n, "input_lengths")
    tg_len = _lengths(target_lengths, n, "target_lengths")
    for name, arr in (("input_lengths", in_len), ("target_lengths", tg_len)):
        if (arr < 0).any():
            raise RuntimeError(f"{_OP}: Expected {name} to have value at least 0, but got "
                               f"value {int(arr.min())}")
    if (in_len > t_max).any():
        raise RuntimeError(f"{_OP}: Expected input_lengths to have value at most {t_max}, but "
                           f"got value {int(in_len.max())}")
    labels = _padded_labels(targets, tg_len, n, c)

    xp = array_module_of(lp)
    need_grad = requires_grad(log_probs)
    nll, grad = _ctc(lp, xp.asarray(labels), xp.asarray(in_len), xp.asarray(tg_len), blank,
                     need_grad)
    if zero_infinity:
        impossible = xp.isinf(nll)
        nll = xp.where(impossible, 0, nll).astype(lp.dtype)
        if need_grad:
            grad = xp.where(impossible[None, :, None], 0, grad).astype(lp.dtype)
    node = None
    if need_grad:
        node = CtcLossBackward0(None)
        node.grad, node.unbatched = grad, unbatched
    loss = attach(nll, node, (log_probs,))
    if reduction == "mean":
        divisor = Tensor._make(xp.asarray(np.maximum(tg_len, 1), dtype=lp.dtype))
        return (loss / divisor).mean()
    if reduction == "sum":
        return loss.sum()
    return loss.squeeze(0) if unbatched else loss


__all__ = ["ctc_loss"]
