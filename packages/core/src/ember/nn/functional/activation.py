"""Activation functions, composed from ember's elementwise ops (their gradients come for free).

Branches that are not selected are fed clamped inputs (`expm1(clamp(x, max=0))`), so an overflow
there cannot turn a masked-out zero gradient into `0 * inf = NaN`. Boundary gradients follow
PyTorch: `where(x > 0, ...)` picks the left branch only strictly above the kink.
`softmax` and `log_softmax` are single fused ops from `ember.ops.softmax`.
"""
import math

from ... import _kernels
from ..._device import array_module_of
from ..._tensor import Tensor
from ...autograd.grad_mode import state as _grad_state
from ...ops import softmax as _softmax_ops
from ...ops.comparison import where
from ...ops._common import attach
from ...ops.inplace import (apply_inplace, check_inplace_allowed, check_writable,
                            commit_history)
from ...ops.unary import abs, clamp, erf, exp, expm1, log1p, sigmoid, tanh
from ...ops.unary import relu as _relu

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_HALF = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _maybe_inplace(fn, input, inplace, name, *args):
    """`fn(input, *args)`, written back into `input` when `inplace`. The graph is built on a copy
    of the old values so that nodes which saved them still see them after the write."""
    if not inplace:
        return fn(input, *args)
    if not (input.requires_grad and _grad_state.enabled):
        # No graph is recorded, so nothing keeps the old values: skip the copy (a fresh buffer
        # per call; ResNet-50 eval's in-place ReLUs took 11.5 -> 3.7 ms per 6.4M elements).
        return apply_inplace(input, fn(input, *args), name)
    alias = Tensor._make(input._data.copy(), input.requires_grad, input.grad_fn)
    return apply_inplace(input, fn(alias, *args), name)


def _threshold(input, threshold, value):
    return where(input > threshold, input, value)


def threshold(input, threshold, value, inplace=False):
    """`x` where `x > threshold`, else `value`."""
    return _maybe_inplace(_threshold, input, inplace, "threshold_", threshold, value)


def threshold_(input, threshold, value):
    return _maybe_inplace(_threshold, input, True, "threshold_", threshold, value)


def relu(input, inplace=False):
    """`max(x, 0)`."""
    if inplace and not (input.requires_grad and _grad_state.enabled) and \
            input._data.dtype.kind in "fiu":
        # No graph: one pass straight into the input instead of a result and a copy back
        # (ResNet-50 eval's 49 in-place ReLUs, (8, 256, 56, 56): 4.3 -> 2.4 ms). The checks and
        # the version bump are `apply_inplace`'s; history has nothing to re-base.
        check_inplace_allowed(input, "relu_")
        check_writable(input, "relu_")
        array_module_of(input._data).maximum(input._data, 0, out=input._data)
        input._vc[0] += 1
        return input
    if inplace and input._data.dtype.kind == "f":
        return _relu_inplace_with_graph(input)
    return _maybe_inplace(_relu, input, inplace, "relu_")


def _relu_inplace_with_graph(input):
    """relu_ under autograd without a copy of the input: ReLU's gradient mask is the same read
    from its output (x > 0 exactly where relu(x) > 0), so the node keeps the overwritten array
    itself, as PyTorch's relu_ saves its result (ResNet-18: two fewer passes per ReLU)."""
    check_inplace_allowed(input, "relu_")
    check_writable(input, "relu_")
    before = Tensor._make(input._data, True, input.grad_fn)  # the history being written over
    node = _relu.node_class(None)
    node.save(before)
    array_module_of(input._data).maximum(input._data, 0, out=input._data)
    input._vc[0] += 1
    commit_history(input, attach(input._data, node, (before,)))
    return input


def relu_(input):
    return relu(input, True)


def _hardtanh(input, min_val, max_val):
    # Strict comparisons give PyTorch's zero gradient at both bounds.
    return where(input <= min_val, min_val, where(input >= max_val, max_val, input))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """`x` clamped to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError("hardtanh: min_val cannot be greater than max_val")
    return _maybe_inplace(_hardtanh, input, inplace, "hardtanh_", min_val, max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


def relu6(input, inplace=False):
    """`min(max(x, 0), 6)`."""
    return hardtanh(input, 0.0, 6.0, inplace)


def _elu(input, alpha, scale=1.0, input_scale=1.0):
    neg = alpha * expm1(clamp(input, max=0) * input_scale)
    out = where(input > 0, input, neg)
    return out * scale if scale != 1.0 else out


def elu(input, alpha=1.0, inplace=False):
    """`x` if `x > 0` else `alpha * (exp(x) - 1)`."""
    return _maybe_inplace(_elu, input, inplace, "elu_", alpha)


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


def selu(input, inplace=False):
    """`scale * elu(x, alpha)` with the self-normalising constants."""
    return _maybe_inplace(_elu, input, inplace, "selu_", _SELU_ALPHA, _SELU_SCALE)


def selu_(input):
    return selu(input, True)


def celu(input, alpha=1.0, inplace=False):
    """`x` if `x > 0` else `alpha * (exp(x / alpha) - 1)`."""
    if alpha == 0:
        raise RuntimeError("celu: ZeroDivisionError (alpha must not be 0)")
    return _maybe_inplace(_elu, input, inplace, "celu_", alpha, 1.0, 1.0 / alpha)


def celu_(input, alpha=1.0):
    return celu(input, alpha, True)


def _leaky_relu(input, negative_slope):
    return where(input > 0, input, input * negative_slope)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """`x` if `x > 0` else `negative_slope * x`."""
    return _maybe_inplace(_leaky_relu, input, inplace, "leaky_relu_", negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


def prelu(input, weight):
    """Leaky ReLU with a learnt slope: `weight` has 1 element or one per channel (dim 1; inputs
    of fewer than 2 dims have one channel)."""
    n = weight.numel()
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.ndim}")
    if n != 1:
        channels = input.shape[1] if input.ndim >= 2 else 1
        if channels != n:
            raise RuntimeError(f"prelu: Mismatch of parameter numbers and input channel size. "
                               f"Found parameter numbers = {n} and channel size = {channels}.")
        if input.ndim >= 2:
            weight = weight.reshape([n] + [1] * (input.ndim - 2))
    elif weight.ndim == 1 and input.ndim == 0:
        weight = weight.reshape(())
    return where(input > 0, input, weight * input)


def _rrelu_train(input, lower, upper):
    from ...random import rand_like
    slope = rand_like(input) * (upper - lower) + lower
    return where(input >= 0, input, input * slope)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Leaky ReLU whose negative slope is drawn from U(lower, upper) per element in training,
    and is `(lower + upper) / 2` in evaluation."""
    if training:
        return _maybe_inplace(_rrelu_train, input, inplace, "rrelu_", lower, upper)
    return _maybe_inplace(_leaky_relu, input, inplace, "rrelu_", (lower + upper) / 2)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, True)


def glu(input, dim=-1):
    """`a * sigmoid(b)` where `a, b` are the two halves of `input` along `dim`."""
    if input.ndim == 0:
        raise RuntimeError("glu: glu does not support scalars because halving size must be even")
    size = input.shape[dim]
    if size % 2:
        raise RuntimeError(f"glu: Halving dimension must be even, but dimension {dim} is size "
                           f"{size}")
    a, b = input.chunk(2, dim)
    return a * sigmoid(b)


def gelu(input, approximate="none"):
    """`x * Phi(x)` (Phi the normal CDF); `approximate='tanh'` uses the tanh formula."""
    if _kernels.available(input._data):
        from ..._kernels.activation import gelu as fused
        out = fused(input, approximate)
        if out is not None:
            return out
    if approximate == "none":
        return input * (0.5 * (1 + erf(input * _SQRT_HALF)))
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (input + 0.044715 * input * input * input)
        return input * (0.5 * (1 + tanh(inner)))
    raise RuntimeError(f"gelu: approximate argument must be either none or tanh, got "
                       f"'{approximate}'")


def silu(input, inplace=False):
    """`x * sigmoid(x)`."""
    if not inplace and _kernels.available(input._data):
        from ..._kernels.activation import silu as fused
        return fused(input)
    return _maybe_inplace(lambda x: x * sigmoid(x), input, inplace, "silu_")


def _softplus(input, beta, threshold):
    bx = input * beta if beta != 1 else input
    # Above the threshold softplus is linear; the clamp keeps exp finite in the masked branch.
    soft = log1p(exp(clamp(bx, max=threshold)))
    if beta != 1:
        soft = soft / beta
    return where(bx > threshold, input, soft)


def softplus(input, beta=1.0, threshold=20.0):
    """`log(1 + exp(beta * x)) / beta`, and `x` where `beta * x > threshold`."""
    return _softplus(input, beta, threshold)


def mish(input, inplace=False):
    """`x * tanh(softplus(x))`."""
    return _maybe_inplace(lambda x: x * tanh(_softplus(x, 1.0, 20.0)), input, inplace, "mish_")


def hardsigmoid(input, inplace=False):
    """`relu6(x + 3) / 6`."""
    return _maybe_inplace(lambda x: _hardtanh(x + 3, 0.0, 6.0) / 6, input, inplace,
                          "hardsigmoid_")


def _hardswish(x):
    # PyTorch's gradient: 0 below -3, (2x + 3) / 6 on [-3, 3], 1 above 3.
    return where(x < -3, 0.0, where(x > 3, x, x * (x + 3) / 6))


def hardswish(input, inplace=False):
    """`x * relu6(x + 3) / 6`."""
    return _maybe_inplace(_hardswish, input, inplace, "hardswish_")


def hardshrink(input, lambd=0.5):
    """`x` where `|x| > lambd`, else 0."""
    return where((input > lambd) | (input < -lambd), input, 0.0)


def softshrink(input, lambd=0.5):
    """`x - lambd` above `lambd`, `x + lambd` below `-lambd`, else 0."""
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0, but found to be "
                           f"{lambd}.")
    return where(input > lambd, input - lambd, where(input < -lambd, input + lambd, 0.0))


def tanhshrink(input):
    """`x - tanh(x)`."""
    return input - tanh(input)


def softsign(input):
    """`x / (1 + |x|)`."""
    return input / (1 + abs(input))


def logsigmoid(input):
    """`log(sigmoid(x))`, stable for large |x|."""
    return -_softplus(-input, 1.0, 20.0)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """`exp(x) / sum(exp(x))` along `dim`. Unlike PyTorch's deprecated implicit form, `dim` is
    required (a TypeError names the op otherwise)."""
    return _softmax_ops.softmax(input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """`log(softmax(x))` along `dim` (required), one fused stable op."""
    return _softmax_ops.log_softmax(input, dim, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """`softmax(-x)` along `dim` (required)."""
    if dtype is not None:
        input = input.to(dtype)
    return _softmax_ops.softmax(-input, dim)


__all__ = ["threshold", "threshold_", "relu", "relu_", "hardtanh", "hardtanh_", "relu6", "elu",
           "elu_", "selu", "selu_", "celu", "celu_", "leaky_relu", "leaky_relu_", "prelu",
           "rrelu", "rrelu_", "glu", "gelu", "silu", "mish", "softplus", "hardsigmoid",
           "hardswish", "hardshrink", "softshrink", "tanhshrink", "softsign", "logsigmoid",
           "softmax", "log_softmax", "softmin", "sigmoid", "tanh"]
