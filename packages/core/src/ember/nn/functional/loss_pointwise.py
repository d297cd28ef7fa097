"""Elementwise losses (regression, binary, divergence, likelihood), composed from ember ops so
their gradients come from autograd. Each takes `reduction` 'mean' | 'sum' | 'none'."""
import math

from ...amp.autocast_mode import cast_inputs, state as _amp
from ...ops.comparison import where
from ...ops.unary import abs, clamp, exp, log, xlogy
from .activation import logsigmoid, softplus
from .loss import check_reduction, reduce_loss


def _same_size(input, target, op):
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"{op}: Using a target size ({list(target.shape)}) that is different "
                         f"to the input size ({list(input.shape)}) is deprecated. Please ensure "
                         "they have the same size.")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """`(input - target) ** 2`, broadcasting."""
    if _amp.on:
        input, target = cast_inputs("mse_loss", input, target)
    check_reduction(reduction, "mse_loss")
    d = input - target
    loss = d * d
    return reduce_loss(loss * weight if weight is not None else loss, reduction, "mse_loss")


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """`|input - target|`, broadcasting."""
    if _amp.on:
        input, target = cast_inputs("l1_loss", input, target)
    check_reduction(reduction, "l1_loss")
    loss = abs(input - target)
    return reduce_loss(loss * weight if weight is not None else loss, reduction, "l1_loss")


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """`0.5 d**2 / beta` where `|d| < beta`, else `|d| - 0.5 beta` (L1 when beta is 0)."""
    if _amp.on:
        input, target = cast_inputs("smooth_l1_loss", input, target)
    check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise RuntimeError("smooth_l1_loss: smooth_l1_loss does not support negative values "
                           "for beta.")
    d = abs(input - target)
    if beta == 0:
        return reduce_loss(d, reduction, "smooth_l1_loss")
    loss = where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    return reduce_loss(loss, reduction, "smooth_l1_loss")


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """`0.5 d**2` where `|d| < delta`, else `delta * (|d| - 0.5 delta)`."""
    if _amp.on:
        input, target = cast_inputs("huber_loss", input, target)
    check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise RuntimeError("huber_loss: huber_loss does not support non-positive values for "
                           "delta.")
    d = abs(input - target)
    loss = where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    return reduce_loss(loss * weight if weight is not None else loss, reduction, "huber_loss")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """`-(t log p + (1 - t) log(1 - p))` for probabilities `input`; each log is clamped at
    -100 like PyTorch, so p = 0 or 1 gives a finite loss."""
    if _amp.on:
        input, target = cast_inputs("binary_cross_entropy", input, target)
    op = "binary_cross_entropy"
    check_reduction(reduction, op)
    _same_size(input, target, op)
    data = input._data
    if bool(((data < 0) | (data > 1)).any()):
        raise RuntimeError(f"{op}: all elements of input should be between 0 and 1")
    loss = -(target * clamp(log(input), min=-100) + (1 - target) * clamp(log(1 - input),
                                                                           min=-100))
    if weight is not None:
        loss = loss * weight
    return reduce_loss(loss, reduction, op)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """`binary_cross_entropy(sigmoid(input), target)` computed stably from logits;
    `pos_weight` (broadcast along the last dim) weighs the positive term."""
    if _amp.on:
        input, target = cast_inputs("binary_cross_entropy_with_logits", input, target)
    op = "binary_cross_entropy_with_logits"
    check_reduction(reduction, op)
    _same_size(input, target, op)
    # -log(sigmoid(x)) = softplus(-x); -log(1 - sigmoid(x)) = x + softplus(-x).
    neg_log_sig = softplus(-input)
    if pos_weight is not None:
        log_weight = (pos_weight - 1) * target + 1
        loss = (1 - target) * input + log_weight * neg_log_sig
    else:
        loss = (1 - target) * input + neg_log_sig
    if weight is not None:
        loss = loss * weight
    return reduce_loss(loss, reduction, op)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL(target || exp(input)) pointwise: `target * (log target - input)`; `input` holds
    log-probabilities, `target` probabilities (or log-probabilities when `log_target`).
    'batchmean' divides the sum by the batch size."""
    if _amp.on:
        input, target = cast_inputs("kl_div", input, target)
    op = "kl_div"
    check_reduction(reduction, op, ("none", "mean", "sum", "batchmean"))
    if log_target:
        loss = exp(target) * (target - input)
    else:
        loss = xlogy(target, target) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim else total
    return reduce_loss(loss, reduction, op)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """Poisson negative log-likelihood: `exp(input) - target * input` for log-rates, else
    `input - target * log(input + eps)`; `full` adds Stirling's term where target > 1."""
    op = "poisson_nll_loss"
    check_reduction(reduction, op)
    if log_input:
        loss = exp(input) - target * input
    else:
        loss = input - target * log(input + eps)
    if full:
        # Stirling's approximation of log(target!); where target <= 1 the term is 0, and the
        # clamp keeps log finite there so the masked gradient stays 0.
        t = clamp(target, min=1)
        stirling = t * log(t) - t + 0.5 * log(t * (2 * math.pi))
        loss = loss + where(target > 1, stirling, 0.0)
    return reduce_loss(loss, reduction, op)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """`0.5 * (log var + (input - target)**2 / var)` (+ `0.5 log 2 pi` when `full`). `var` is
    input-shaped, or lacks the last dim, or has size 1 there; it is clamped to `eps` without
    stopping its gradient, as in PyTorch."""
    op = "gaussian_nll_loss"
    check_reduction(reduction, op)
    if not hasattr(var, "shape"):
        from ...ops.creation import full_like
        var = full_like(input, var)
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1):
            raise ValueError(f"{op}: var is of incorrect size (input {list(input.shape)}, var "
                             f"{list(var.shape)})")
    if bool((var._data < 0).any()):
        raise ValueError(f"{op}: var has negative entry/entries")
    v = var.detach()
    var = var + (clamp(v, min=eps) - v)
    d = input - target
    loss = 0.5 * (log(var) + d * d / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduce_loss(loss, reduction, op)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """`log(1 + exp(-target * input))` for targets +-1."""
    check_reduction(reduction, "soft_margin_loss")
    return reduce_loss(softplus(-target * input), reduction, "soft_margin_loss")


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """Per-class binary logistic loss averaged over the C classes: input, target (N, C)."""
    op = "multilabel_soft_margin_loss"
    check_reduction(reduction, op)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(-1) / input.shape[-1]
    return reduce_loss(loss, reduction, op)


__all__ = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "kl_div", "poisson_nll_loss",
           "gaussian_nll_loss", "soft_margin_loss", "multilabel_soft_margin_loss"]
