"""Gradient clipping: scale all gradients so their joint norm is at most `max_norm`, or clamp
each gradient element to [-clip_value, clip_value]. Works on the raw arrays in place."""
import math

import numpy as np

from ..._device import array_module_of
from ..._tensor import Tensor


def _tensors(tensors):
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _grads(parameters):
    return [p.grad for p in _tensors(parameters) if p.grad is not None]


def _array_norm(arr, norm_type):
    """The vector norm of all elements of `arr`, as a 0-d array of arr's dtype."""
    xp = array_module_of(arr)
    a = xp.abs(arr)
    if norm_type == math.inf:
        return a.max() if a.size else xp.zeros((), a.dtype)
    if norm_type == -math.inf:
        return a.min()
    if norm_type == 0:
        return xp.asarray(xp.count_nonzero(a), dtype=a.dtype)
    if norm_type == 1:
        return a.sum()
    if norm_type == 2:
        return xp.sqrt((a * a).sum())
    return (a ** norm_type).sum() ** (1.0 / norm_type)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm of the norms of `tensors` (all their elements as one vector), a 0-d tensor."""
    from ...ops.creation import tensor as make_tensor
    norm_type = float(norm_type)
    tensors = [t for t in _tensors(tensors) if t is not None]
    if not tensors:
        return make_tensor(0.0)
    first = tensors[0]._data
    xp = array_module_of(first)
    norms = xp.stack([_array_norm(t._data, norm_type).astype(first.dtype) for t in tensors])
    total = _array_norm(norms, norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` "
                           "is non-finite, so it cannot be clipped. To disable this error and "
                           "scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    return Tensor._make(total)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale gradients by min(1, max_norm / (total_norm + 1e-6)) in place."""
    grads = _grads(parameters)
    if not grads:
        return
    total = total_norm._data
    # Always multiply (by exactly 1 when under the limit), as PyTorch does, so a NaN/inf norm
    # propagates into the gradients instead of being silently skipped.
    coef = array_module_of(total).minimum(float(max_norm) / (total + 1e-6), 1.0)
    # A non-finite norm makes NaN gradients on purpose (PyTorch's behaviour): no warning.
    with np.errstate(invalid="ignore"):
        for g in grads:
            g._data *= coef.astype(g._data.dtype)
            g._vc[0] += 1


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Clip the gradients of `parameters` in place so their total `norm_type` norm is at most
    `max_norm`; returns the total norm before clipping (a 0-d tensor)."""
    parameters = _tensors(parameters)
    total = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element of `parameters` to [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        array_module_of(g._data).clip(g._data, -clip_value, clip_value, out=g._data)
        g._vc[0] += 1
