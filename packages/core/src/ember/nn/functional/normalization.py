"""Normalization layers' math.

`batch_norm` and `layer_norm` are single dedicated ops: the forward runs on raw arrays and the
first-order backward is the closed-form formula on raw arrays too. Under `create_graph` (grad
mode is on inside backward exactly then) the same formula is rebuilt from ember ops, recomputing
the statistics from the input, so higher derivatives stay exact. `instance_norm` and `group_norm`
reshape onto those ops, as PyTorch does; `rms_norm` and `local_response_norm` are composed.
"""
import numbers

import numpy as np

from ... import _kernels
from ..._device import array_module_of
from ..._onednn import batch_norm as _onednn_batch_norm, library as _onednn
from ..._onednn.gemm import matmul as _gemm
from ..._tensor import Tensor
from ...amp.autocast_mode import cast_inputs, state as _amp
from ...autograd.graph import Node
from ...autograd.grad_mode import state as _grad_state
from ...ops._common import attach, check_same_device, requires_grad

_HALF = ("float16", "bfloat16")


def _row_sum(a):
    """Sum of each row of a 2-D array: a BLAS matrix-vector product is several times faster
    than NumPy's reduction once rows are not tiny (through `_gemm`, so that with oneDNN loaded
    OpenBLAS's threads stay asleep: see `ember._onednn.gemm`)."""
    if a.shape[1] < 8:
        return a.sum(axis=1)
    return _gemm(a, array_module_of(a).ones((a.shape[1], 1), dtype=a.dtype)).reshape(-1)


def _row_dot(a, b):
    """Dot product of matching rows of two 2-D arrays, without a full-size temporary."""
    if a.shape[1] < 8:
        return (a * b).sum(axis=1)
    return (a[:, None, :] @ b[:, :, None]).reshape(-1)


class NativeBatchNormBackward0(Node):
    """Gradient of `(x - mean) * invstd * weight + bias` on input viewed as (A, B, L) with one
    statistic per B (summed over A and L). Batch norm: (N, C, spatial) with weight per C;
    layer norm (`per_row`): (1, rows, normalized elements) with weight per L. The statistics are
    the batch's when `training`, else the fixed running ones. `stat_axes`, `param_axes`,
    `param_shape` and `bshape` describe the same in the input's own shape for the graph path."""

    __slots__ = ("shape3", "per_row", "stat_axes", "param_axes", "param_shape", "bshape", "eps",
                 "training", "mean", "var", "invstd", "has_weight", "has_bias")

    def backward(self, g):
        saved = self.unpack()
        x, w = saved[0], (saved[1] if self.has_weight else None)
        if _grad_state.enabled:
            return self._backward_graph(g, x, w)
        return self._backward_arrays(g, x, w)

    def _outputs(self, gx, gw, gb):
        out = (gx,)
        if self.has_weight:
            out += (gw,)
        if self.has_bias:
            out += (gb,)
        return out

    def _backward_arrays(self, g, x, w):
        a, b, n = self.shape3
        ga, xa = g._data, x._data
        if not self.per_row and self.training and self.has_weight == self.has_bias and \
                _onednn.takes(ga, xa, self.mean, self.var, *(() if w is None else (w._data,))):
            grads = _onednn_batch_norm.backward(xa.reshape(a, b, n), ga.reshape(a, b, n),
                                                self.mean, self.var,
                                                None if w is None else w._data, self.eps)
            if grads is not None:
                return self._wrap_grads(x, *grads)
        if xa.dtype.name in _HALF:
            ga, xa = ga.astype(np.float32), xa.astype(np.float32)
        xp = array_module_of(xa)
        ga = ga.reshape(a * b, n)
        mean, invstd = self.mean[:, None], self.invstd[:, None]
        xhat = xa.reshape(a, b, n) - mean
        xhat *= invstd
        xhat = xhat.reshape(a * b, n)
        want_w = self.has_weight and self.inputs[1] is not None
        want_b = self.has_bias and self.inputs[-1] is not None
        gx = gw = gb = None
        if self.per_row:  # layer norm: weight varies along each row
            # Fresh full-size buffers are the cost here: `buf` serves g*xhat, then the gradient.
            # Column sums as (1, rows) @ (rows, n) products (see `_row_sum`).
            ones = xp.ones((1, a * b), dtype=ga.dtype)
            buf = None
            if want_w:
                buf = ga * xhat
                gw = self._param_grad(_gemm(ones, buf).reshape(-1), w)
            if want_b:
                gb = self._param_grad(_gemm(ones, ga).reshape(-1), w if w is not None else x)
            if self.inputs[0] is not None:
                if w is not None:
                    buf = xp.multiply(ga, w._data.reshape(1, n), out=buf)
                else:
                    buf = ga.copy()
                if self.training:
                    sum_gxhat = _row_dot(buf, xhat)[:, None] / n
                    buf -= _row_sum(buf)[:, None] / n
                    xhat *= sum_gxhat
                    buf -= xhat
                buf *= self.invstd[:, None]
                gx = Tensor._make(buf.reshape(x.shape).astype(x._data.dtype, copy=False))
            return self._outputs(gx, gw, gb)
        sum_g = sum_gxhat = None
        if want_b or (self.training and self.inputs[0] is not None):
            sum_g = _row_sum(ga).reshape(a, b).sum(axis=0)
        if want_w or (self.training and self.inputs[0] is not None):
            sum_gxhat = _row_dot(ga, xhat).reshape(a, b).sum(axis=0)
        if want_w:
            gw = self._param_grad(sum_gxhat, w)
        if want_b:
            gb = self._param_grad(sum_g, w if w is not None else x)
        if self.inputs[0] is not None:
            scale = self.invstd if w is None else self.invstd * w._data.reshape(b)
            g3 = ga.reshape(a, b, n)
            if self.training:
                count = a * n
                gxa = g3 - (sum_g / count)[:, None]
                xhat = xhat.reshape(a, b, n)
                xhat *= (sum_gxhat / count)[:, None]
                gxa -= xhat
                gxa *= scale[:, None]
            else:
                gxa = g3 * scale[:, None]
            gx = Tensor._make(gxa.reshape(x.shape).astype(x._data.dtype, copy=False))
        return self._outputs(gx, gw, gb)

    def _wrap_grads(self, x, gx, gw, gb):
        """The wanted ones of oneDNN's three gradients as tensors."""
        return self._outputs(
            Tensor._make(gx.reshape(x.shape)) if self.inputs[0] is not None else None,
            self._param_grad(gw, x) if self.has_weight and self.inputs[1] is not None else None,
            self._param_grad(gb, x) if self.has_bias and self.inputs[-1] is not None else None)

    def _param_grad(self, arr, like):
        return Tensor._make(arr.reshape(self.param_shape).astype(like._data.dtype, copy=False))

    def _backward_graph(self, g, x, w):
        # The same formula in ember ops, so create_graph can differentiate it again.
        axes = self.stat_axes
        if self.training:
            mean = x.mean(dim=axes, keepdim=True)
            xc = x - mean
            invstd = ((xc * xc).mean(dim=axes, keepdim=True) + self.eps).rsqrt()
        else:
            dt = x._data.dtype
            xc = x - Tensor._make(self.mean.reshape(self.bshape).astype(dt, copy=False))
            invstd = Tensor._make(self.invstd.reshape(self.bshape).astype(dt, copy=False))
        xhat = xc * invstd
        gx = gw = gb = None
        if self.inputs[0] is not None:
            gxhat = g if w is None else g * w.reshape(self.bshape if not self.per_row else
                                                      self.param_shape)
            if self.training:
                gx = invstd * (gxhat - gxhat.mean(dim=axes, keepdim=True)
                               - xhat * (gxhat * xhat).mean(dim=axes, keepdim=True))
            else:
                gx = gxhat * invstd
        if self.has_weight and self.inputs[1] is not None:
            gw = (g * xhat).sum(dim=self.param_axes).reshape(self.param_shape)
        if self.has_bias and self.inputs[-1] is not None:
            gb = g.sum(dim=self.param_axes).reshape(self.param_shape)
        return self._outputs(gx, gw, gb)


class NativeLayerNormBackward0(NativeBatchNormBackward0):
    __slots__ = ()


def _normalize(input, weight, bias, shape3, per_row, eps, mean=None, var=None):
    """The shared forward on input viewed as (A, B, L): normalize with one statistic per B
    (computed over A and L, or the given mean/var arrays of shape (B,)), then scale and shift
    (weight per B, or per L when `per_row`). Returns (output, mean, biased var, node)."""
    a, b, n = shape3
    x = input._data
    dt = x.dtype
    if dt.name in _HALF:  # no SIMD for half types: compute in float32, store in the input dtype
        x = x.astype(np.float32)
    xp = array_module_of(x)
    x3 = x.reshape(a, b, n)
    training = mean is None
    count = max(a * n, 1)
    if training:
        mean = _row_sum(x3.reshape(a * b, n)).reshape(a, b).sum(axis=0) / count
        xc = x3 - mean[:, None]
        xc2 = xc.reshape(a * b, n)
        var = _row_dot(xc2, xc2).reshape(a, b).sum(axis=0) / count
    else:
        xc = None
    invstd = 1.0 / xp.sqrt(var + eps)
    if xc is None:
        # Given statistics (batch norm eval): per-channel scale and shift folded first, so the
        # input is read once and the output written twice (multiply, then add in place).
        scale = invstd if weight is None else invstd * weight._data.reshape(b)
        shift = -mean * scale
        if bias is not None:
            shift += bias._data.reshape(b)
        xc = x3 * scale[:, None].astype(x3.dtype, copy=False)
        xc += shift[:, None].astype(x3.dtype, copy=False)
    elif weight is None or per_row:
        xc *= invstd[:, None]
        if weight is not None:
            xc *= weight._data.reshape(n)
        if bias is not None:
            xc += bias._data.reshape(n if per_row else (b, 1))
    else:
        xc *= (invstd * weight._data.reshape(b))[:, None]
        if bias is not None:
            xc += bias._data.reshape(b, 1)
    out = xc.reshape(input.shape).astype(dt, copy=False)
    tensors = (input,) + tuple(t for t in (weight, bias) if t is not None)
    node = None
    if requires_grad(*tensors):
        node = (NativeLayerNormBackward0 if per_row else NativeBatchNormBackward0)(None)
        node.shape3, node.per_row, node.eps, node.training = shape3, per_row, eps, training
        node.mean, node.var, node.invstd = mean, var, invstd
        node.has_weight, node.has_bias = weight is not None, bias is not None
        node.save(*((input, weight) if weight is not None else (input,)))
    return attach(out, node, tensors), mean, var, node


def _check_channels(t, name, c, op):
    if t is not None and t.numel() != c:
        raise RuntimeError(f"{op}: {name} should contain {c} elements not {t.numel()}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-05):
    """Normalize each channel (dim 1) of input (N, C, *) by batch statistics (training, which
    also updates the running statistics in place, variance unbiased) or by the running ones."""
    if input.ndim < 2:
        raise RuntimeError(f"batch_norm: expected an input of at least 2 dimensions (N, C, *), "
                           f"got shape {list(input.shape)}")
    c = input.shape[1]
    for t, name in ((running_mean, "running_mean"), (running_var, "running_var"),
                    (weight, "weight"), (bias, "bias")):
        _check_channels(t, name, c, "batch_norm")
        if t is not None:
            check_same_device(input, t, "batch_norm")
    if training:
        if input.numel() // c <= 1:
            raise ValueError("Expected more than 1 value per channel when training, got input "
                             f"size {list(input.shape)}")
    elif running_mean is None or running_var is None:
        raise RuntimeError("batch_norm: running_mean and running_var must be defined in "
                           "evaluation mode")
    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps):
    if _kernels.available(input._data):
        from ..._kernels.norm import batch_norm as fused
        out = fused(input, running_mean, running_var, weight, bias, training, momentum, eps)
        if out is not None:
            return out
    nd = input.ndim
    n, c = input.shape[:2]
    spatial = input.numel() // max(n * c, 1)
    mean = var = None
    if not training:
        work = np.float64 if input._data.dtype == np.float64 else np.float32
        mean = running_mean._data.astype(work)
        var = running_var._data.astype(work)
    out, bmean, bvar, node = _normalize(input, weight, bias, (n, c, spatial), False, eps,
                                        mean, var)
    if node is not None:
        node.stat_axes = node.param_axes = (0,) + tuple(range(2, nd))
        node.param_shape, node.bshape = (c,), (1, c) + (1,) * (nd - 2)
    if training and running_mean is not None:
        count = n * spatial
        _update_running(running_mean, bmean, momentum)
        _update_running(running_var, bvar * (count / max(count - 1, 1)), momentum)
    return out


def _update_running(buf, stat, momentum):
    arr = buf._data
    arr *= 1 - momentum
    arr += (momentum * stat).astype(arr.dtype, copy=False)
    buf._vc[0] += 1


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-05):
    """Normalize each (sample, channel) plane of input (N, C, *) on its own: batch_norm on the
    input viewed as (1, N*C, *), with running statistics averaged over the batch."""
    if input.ndim < 3:
        raise RuntimeError(f"instance_norm: expected an input of at least 3 dimensions "
                           f"(N, C, *), got shape {list(input.shape)}")
    n, c = input.shape[:2]
    for t, name in ((running_mean, "running_mean"), (running_var, "running_var"),
                    (weight, "weight"), (bias, "bias")):
        _check_channels(t, name, c, "instance_norm")
    if use_input_stats:
        if input.numel() // (n * c) <= 1:
            raise ValueError("Expected more than 1 spatial element when training, got input "
                             f"size {list(input.shape)}")
    elif running_mean is None or running_var is None:
        raise RuntimeError("instance_norm: Expected running_mean and running_var to be defined "
                           "when use_input_stats is false")
    x = input.reshape((1, n * c) + tuple(input.shape[2:]))
    w = weight.repeat(n) if weight is not None else None
    b = bias.repeat(n) if bias is not None else None
    rm = rv = None
    if running_mean is not None:
        xp = array_module_of(running_mean._data)
        rm = Tensor._make(xp.tile(running_mean._data, n))
        rv = Tensor._make(xp.tile(running_var._data, n))
    out = _batch_norm(x, rm, rv, w, b, use_input_stats, momentum, eps)
    if use_input_stats and running_mean is not None:
        for buf, rep in ((running_mean, rm), (running_var, rv)):
            buf._data[...] = rep._data.reshape(n, c).mean(axis=0)
            buf._vc[0] += 1
    return out.reshape(input.shape)


def _normalized_shape(normalized_shape):
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    return tuple(int(s) for s in normalized_shape)


def _check_normalized(input, shape, weight, bias, op):
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[-k:]) != shape:
        raise RuntimeError(f"{op}: Given normalized_shape={list(shape)}, expected input with "
                           f"shape [*, {', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")
    for t, name in ((weight, "weight"), (bias, "bias")):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"{op}: Expected {name} to be of same shape as normalized_shape, "
                               f"but got {name} of shape {list(t.shape)} and normalized_shape = "
                               f"{list(shape)}")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    """Normalize over the trailing `normalized_shape` dims of input (*, *normalized_shape);
    weight and bias have shape normalized_shape."""
    if _amp.on:
        input, weight, bias = cast_inputs("layer_norm", input, weight, bias)
    shape = _normalized_shape(normalized_shape)
    _check_normalized(input, shape, weight, bias, "layer_norm")
    nd, k = input.ndim, len(shape)
    rows = int(np.prod(input.shape[:nd - k], dtype=np.int64))
    if _kernels.available(input._data):
        from ..._kernels.norm import layer_norm as fused
        out = fused(input, shape, weight, bias, eps)
        if out is not None:
            return out
    out, _, _, node = _normalize(input, weight, bias, (1, rows, int(np.prod(shape))), True, eps)
    if node is not None:
        node.stat_axes, node.param_axes = tuple(range(nd - k, nd)), tuple(range(nd - k))
        node.param_shape = shape
        node.bshape = tuple(input.shape[:nd - k]) + (1,) * k
    return out


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    """Normalize input (N, C, *) over each group of C // num_groups channels (and all spatial
    positions); weight and bias (C,) scale and shift each channel."""
    if _amp.on:
        input, weight, bias = cast_inputs("group_norm", input, weight, bias)
    if input.ndim < 2:
        raise RuntimeError(f"group_norm: Expected at least 2 dimensions for input tensor but "
                           f"received {input.ndim}")
    n, c = input.shape[:2]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"group_norm: Expected number of channels in input to be divisible "
                           f"by num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    for t, name in ((weight, "weight"), (bias, "bias")):
        _check_channels(t, name, c, "group_norm")
    grouped = input.reshape(n, num_groups, -1)
    if grouped.shape[-1] == 0:
        return input * 1
    out = layer_norm(grouped, (grouped.shape[-1],), eps=eps).reshape(input.shape)
    bshape = (c,) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(bshape)
    if bias is not None:
        out = out + bias.reshape(bshape)
    return out


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """`input * rsqrt(mean(input**2 over normalized_shape) + eps) * weight`; eps None means
    the machine epsilon of input's dtype."""
    shape = _normalized_shape(normalized_shape)
    _check_normalized(input, shape, weight, None, "rms_norm")
    if eps is None:
        eps = float(np.finfo(np.float32 if input._data.dtype.name in _HALF else
                             input._data.dtype).eps)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    out = input * ((input * input).mean(dim=dims, keepdim=True) + eps).rsqrt()
    return out * weight if weight is not None else out


def local_response_norm(input, size, alpha=0.0001, beta=0.75, k=1.0):
    """`input / (k + alpha * mean of squares over `size` neighbouring channels) ** beta` for
    input (N, C, *); the window is zero-padded, and divided by `size` as in PyTorch."""
    from ...ops.cumulative import cumsum
    from ...ops.joining import cat
    from ...ops.creation import zeros
    if input.ndim < 3:
        raise ValueError(f"local_response_norm: Expected 3D or higher dimensionality input "
                         f"(got {input.ndim} dimensions)")
    if input.numel() == 0:
        return input
    sq = input * input
    lead = zeros((input.shape[0], size // 2 + 1) + tuple(input.shape[2:]), dtype=input.dtype,
                 device=input.device)
    tail = zeros((input.shape[0], (size - 1) // 2) + tuple(input.shape[2:]), dtype=input.dtype,
                 device=input.device)
    # Window sums as differences of a cumulative sum over the zero-padded channel axis.
    cs = cumsum(cat([lead, sq, tail], 1), 1)
    c = input.shape[1]
    window = cs[:, size:size + c] - cs[:, :c]
    return input / (window * (alpha / size) + k) ** beta


__all__ = ["batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm",
           "local_response_norm"]
