"""Sigmoid focal loss (RetinaNet), composed of ember ops."""
import ember
from ember.nn import functional as F

__all__ = ["sigmoid_focal_loss"]


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    """Binary cross-entropy on logits, down-weighted by (1 - p_t)^gamma on easy examples.

    inputs: logits of any shape; targets: 0/1 (or soft) labels of the same shape. `alpha` in
    [0, 1] weights the positives (alpha < 0: no weighting). reduction: "none", "mean" or "sum".
    """
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"sigmoid_focal_loss: invalid reduction {reduction!r}; expected "
                         "'none', 'mean' or 'sum'")
    p = ember.sigmoid(inputs)
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss
