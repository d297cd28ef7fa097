"""Classification losses: `cross_entropy` (class indices: one fused log_softmax + NLL op) and
`nll_loss`, plus the reduction and target checks shared by every loss file.

Layout: input (N, C, d1, ...) or unbatched (C,); class-index target (N, d1, ...) or ();
the class dim is always dim 1 (dim 0 when unbatched).
"""
import numpy as np

from ... import _kernels
from ..._device import array_module_of
from ..._tensor import Tensor
from ...amp.autocast_mode import cast_inputs, state as _amp
from ...autograd.graph import Node
from ...autograd.grad_mode import state as _grad_state
from ...ops._common import attach, check_same_device, requires_grad
from ...ops.softmax import log_softmax

_REDUCTIONS = ("none", "mean", "sum")


def reduce_loss(loss, reduction, op, allowed=_REDUCTIONS):
    """Apply `reduction` ('none', 'mean' or 'sum') to an elementwise loss tensor."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none" and "none" in allowed:
        return loss
    raise ValueError(f"{op}: {reduction} is not a valid value for reduction")


def check_reduction(reduction, op, allowed=_REDUCTIONS):
    if reduction not in allowed:
        raise ValueError(f"{op}: {reduction} is not a valid value for reduction")


def _check_devices(input, target, weight, op):
    """Target and weight live on the input's device (PyTorch raises the same error)."""
    check_same_device(input, target, op)
    if weight is not None:
        check_same_device(input, weight, op)


def _check_index_target(input, target, op):
    """Shapes and dtype of a class-index target, as PyTorch checks them."""
    if target._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected scalar type Long but found {target.dtype.name}")
    if input.ndim == 0:
        raise ValueError(f"{op}: input tensor should be 1D or more, got a 0-D tensor")
    if input.ndim == 1:
        if target.ndim != 0:
            raise RuntimeError(f"{op}: 0D or 1D target tensor expected, multi-target not "
                               f"supported (input shape {list(input.shape)}, target shape "
                               f"{list(target.shape)})")
        return
    if target.ndim == 0 or input.shape[0] != target.shape[0]:
        got = target.shape[0] if target.ndim else 0
        raise ValueError(f"{op}: Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({got}).")
    expected = (input.shape[0],) + tuple(input.shape[2:])
    if tuple(target.shape) != expected:
        raise RuntimeError(f"{op}: Expected target size {list(expected)}, got "
                           f"{list(target.shape)}")


def _index_setup(input, target, weight, ignore_index, op):
    """Safe class indices, the not-ignored mask and per-position weights (0 where ignored),
    as raw arrays shaped like the target with the batch dim present: (N, d1, ...)."""
    _check_index_target(input, target, op)
    c = input.shape[0 if input.ndim == 1 else 1]
    t = target._data.reshape(1) if input.ndim == 1 else target._data
    xp = array_module_of(t)
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= c))
    if bool(bad.any()):
        raise IndexError(f"{op}: Target {int(t[bad].reshape(-1)[0])} is out of bounds.")
    safe = xp.where(valid, t, 0)
    dt = input._data.dtype
    if weight is not None:
        if weight.ndim != 1 or weight.shape[0] != c:
            raise RuntimeError(f"{op}: weight tensor should be defined either for all {c} "
                               f"classes or no classes but got weight tensor of shape: "
                               f"{list(weight.shape)}")
        w = weight._data.astype(dt, copy=False)[safe] * valid
    else:
        w = valid.astype(dt)
    return safe, valid, w, c


# ------------------------------------------------------------------------------ cross_entropy
class CrossEntropyLossBackward0(Node):
    """log_softmax + weighted NLL + label smoothing in one node. `coef` is d loss / d lsm
    per unit of upstream gradient, laid out like the (batched) input."""
    __slots__ = ("lsm", "coef", "reduction", "unbatched")

    def backward(self, g):
        from ...ops.unary import exp
        (x,) = self.unpack()
        if self.unbatched:
            x = x.unsqueeze(0)
        # Building a graph of the backward: recompute log_softmax so it is differentiable.
        lsm = log_softmax(x, 1) if _grad_state.enabled else Tensor._make(self.lsm)
        coef = Tensor._make(self.coef)
        if self.reduction == "none":
            g = (g.unsqueeze(0) if self.unbatched else g).unsqueeze(1)
        a = g * coef
        gx = a - exp(lsm) * a.sum(1, keepdim=True)
        return (gx.squeeze(0) if self.unbatched else gx,)


def _cross_entropy_indices(input, target, weight, ignore_index, reduction, label_smoothing):
    op = "cross_entropy"
    if (_kernels.available(input._data) and weight is None and label_smoothing == 0
            and input.ndim == 2 and target.ndim == 1):
        from ..._kernels.softmax import cross_entropy as fused
        out = fused(input, target, ignore_index, reduction)
        if out is not None:
            return out
    safe, valid, w, c = _index_setup(input, target, weight, ignore_index, op)
    unbatched = input.ndim == 1
    x = input._data[None] if unbatched else input._data
    xp = array_module_of(x)
    lsm = log_softmax(Tensor._make(x), 1)._data  # (N, C, ...)
    idx = safe[:, None]
    picked = xp.take_along_axis(lsm, idx, axis=1)[:, 0]  # (N, ...)
    eps = label_smoothing
    loss = -(1 - eps) * w * picked
    # d loss_i / d lsm_ij: the one-hot part, then the smoothing part spread over the classes.
    coef = xp.zeros_like(lsm)
    xp.put_along_axis(coef, idx, (-(1 - eps) * w)[:, None], axis=1)
    if eps > 0:
        cw = (xp.ones(c, dtype=x.dtype) if weight is None else
              weight._data.astype(x.dtype, copy=False))
        shape = [1] * x.ndim
        shape[1] = c
        cw = cw.reshape(shape) * valid[:, None]
        loss = loss - (eps / c) * (lsm * cw).sum(axis=1)
        coef -= (eps / c) * cw
    if reduction == "none":
        out = loss[0] if unbatched else loss
    else:
        out = loss.sum()
        if reduction == "mean":
            denom = w.sum()
            with np.errstate(all="ignore"):  # every target ignored: 0 / 0 = NaN, as in PyTorch
                out = out / denom
                coef = coef / denom
    node = None
    if requires_grad(input):
        node = CrossEntropyLossBackward0(None)
        node.lsm, node.coef, node.reduction, node.unbatched = lsm, coef, reduction, unbatched
        node.save(input)
    return attach(xp.asarray(out, dtype=x.dtype), node, (input,))


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy of logits `input` (N, C, d1, ...) or (C,). `target` holds class
    indices (N, d1, ...) or class probabilities shaped like `input`. Mean reduction with
    class indices divides by the summed weights of the non-ignored targets."""
    if _amp.on:
        input, target, weight = cast_inputs("cross_entropy", input, target, weight)
    check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing}")
    if not isinstance(input, Tensor) or not isinstance(target, Tensor):
        raise TypeError("cross_entropy: input and target must be Tensors")
    _check_devices(input, target, weight, "cross_entropy")
    if input._data.dtype.kind != "f" and input._data.dtype.name != "bfloat16":
        raise RuntimeError(f"cross_entropy: expected a floating point input, got "
                           f"{input.dtype.name}")
    if target._data.dtype.kind in "iu":
        return _cross_entropy_indices(input, target, weight, ignore_index, reduction,
                                      label_smoothing)
    return _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing)


def _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing):
    if tuple(input.shape) != tuple(target.shape):
        raise RuntimeError(f"cross_entropy: Expected floating point target to have the same "
                           f"shape as input {list(input.shape)}, got {list(target.shape)}")
    if target.dtype != input.dtype:
        raise RuntimeError(f"cross_entropy: expected target dtype {input.dtype.name}, got "
                           f"{target.dtype.name}")
    cdim = 0 if input.ndim == 1 else 1
    c = input.shape[cdim]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / c
    prod = log_softmax(input, cdim) * target
    if weight is not None:
        shape = [1] * input.ndim
        shape[cdim] = c
        prod = prod * weight.reshape(shape).to(input.dtype)
    loss = -prod.sum(cdim)
    if reduction == "mean":
        n = input.numel() // c if c else 0
        return loss.sum() / n
    return reduce_loss(loss, reduction, "cross_entropy")


# ------------------------------------------------------------------------------ nll_loss
def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of log-probabilities `input` (N, C, d1, ...) or (C,) at class
    indices `target` (N, d1, ...) or (); weighted mean divides by the summed weights."""
    op = "nll_loss"
    if _amp.on:
        input, weight = cast_inputs(op, input, weight)
    check_reduction(reduction, op)
    _check_devices(input, target, weight, op)
    safe, _, w, _ = _index_setup(input, target, weight, ignore_index, op)
    x = input.unsqueeze(0) if input.ndim == 1 else input
    picked = x.gather(1, Tensor._make(safe[:, None])).squeeze(1)
    loss = -picked * Tensor._make(w)
    if reduction == "none":
        return loss.squeeze(0) if input.ndim == 1 else loss
    total = loss.sum()
    if reduction == "sum":
        return total
    with np.errstate(all="ignore"):
        return total / Tensor._make(w.sum())


__all__ = ["cross_entropy", "nll_loss"]
