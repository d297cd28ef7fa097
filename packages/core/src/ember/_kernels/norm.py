"""Fused layer_norm (one block per row for statistics + normalization, and one for the input
gradient) and batch_norm (CuPy reductions for the per-channel statistics, one elementwise kernel
for normalize-scale-shift and one for the input gradient). float32 math."""
import functools

import numpy as np

from .._device import cupy_module
from . import record
from .softmax import _THREADS

_SOURCE = r"""
__device__ float block_sum(float v, float* sh) {
    sh[threadIdx.x] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) sh[threadIdx.x] += sh[threadIdx.x + s];
        __syncthreads();
    }
    float r = sh[0];
    __syncthreads();
    return r;
}

extern "C" __global__ void layer_norm_fwd(const float* x, const float* w, const float* b,
                                          float* y, float* mean, float* rstd, int cols,
                                          float eps, int has_w, int has_b) {
    extern __shared__ float sh[];
    const unsigned long long off = (unsigned long long)blockIdx.x * cols;
    float s = 0.f;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) s += x[off + j];
    const float m = block_sum(s, sh) / cols;
    float q = 0.f;  // two passes: the centred sum of squares does not cancel catastrophically
    for (int j = threadIdx.x; j < cols; j += blockDim.x) {
        float d = x[off + j] - m;
        q += d * d;
    }
    const float r = rsqrtf(block_sum(q, sh) / cols + eps);
    for (int j = threadIdx.x; j < cols; j += blockDim.x) {
        float v = (x[off + j] - m) * r;
        if (has_w) v *= w[j];
        if (has_b) v += b[j];
        y[off + j] = v;
    }
    if (threadIdx.x == 0) { mean[blockIdx.x] = m; rstd[blockIdx.x] = r; }
}

// gx = rstd * (gh - mean(gh) - xhat * mean(gh * xhat)), gh = g * w
extern "C" __global__ void layer_norm_bwd(const float* x, const float* g, const float* w,
                                          const float* mean, const float* rstd, float* gx,
                                          int cols, int has_w) {
    extern __shared__ float sh[];
    const unsigned long long off = (unsigned long long)blockIdx.x * cols;
    const float m = mean[blockIdx.x], r = rstd[blockIdx.x];
    float a = 0.f, c = 0.f;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) {
        float gh = has_w ? g[off + j] * w[j] : g[off + j];
        a += gh;
        c += gh * (x[off + j] - m) * r;
    }
    a = block_sum(a, sh) / cols;
    c = block_sum(c, sh) / cols;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) {
        float gh = has_w ? g[off + j] * w[j] : g[off + j];
        gx[off + j] = r * (gh - a - (x[off + j] - m) * r * c);
    }
}
"""


@functools.lru_cache(maxsize=None)
def _module():
    return cupy_module().RawModule(code=_SOURCE)


@functools.lru_cache(maxsize=None)
def _elementwise(name):
    cp = cupy_module()
    if name == "bn_fwd":
        return cp.ElementwiseKernel(
            "T x, float32 mean, float32 scale, float32 shift", "T y",
            "y = (T)(((float)x - mean) * scale + shift);", "ember_batch_norm_fwd")
    if name == "bn_bwd_train":
        # gx = w * invstd * (g - sum(g)/M - xhat * sum(g * xhat)/M)
        return cp.ElementwiseKernel(
            "T x, T g, float32 mean, float32 invstd, float32 scale, float32 gb_m, "
            "float32 gw_m", "T gx",
            "const float xh = ((float)x - mean) * invstd; "
            "gx = (T)(scale * ((float)g - gb_m - xh * gw_m));", "ember_batch_norm_bwd_train")
    if name == "bn_bwd_eval":
        return cp.ElementwiseKernel("T g, float32 scale", "T gx", "gx = (T)((float)g * scale);",
                                    "ember_batch_norm_bwd_eval")
    raise KeyError(name)


def _f32(t):
    return None if t is None else cupy_module().ascontiguousarray(t._data, dtype=np.float32)


def layer_norm(input, shape, weight, bias, eps):
    """Fused layer_norm of a CuPy float array over its trailing dims `shape`, seen as
    (rows, cols)."""
    cols = int(np.prod(shape))
    rows = input._data.size // cols if cols else 0
    if rows == 0 or cols == 0:
        return None
    cp = cupy_module()
    x = cp.ascontiguousarray(input._data, dtype=np.float32).reshape(rows, cols)
    w, b = _f32(weight), _f32(bias)
    dummy = cp.empty(1, dtype=np.float32)
    y = cp.empty_like(x)
    mean = cp.empty(rows, dtype=np.float32)
    rstd = cp.empty(rows, dtype=np.float32)
    _module().get_function("layer_norm_fwd")(
        (rows,), (_THREADS,), (x, dummy if w is None else w, dummy if b is None else b, y, mean,
                               rstd, np.int32(cols), np.float32(eps), np.int32(w is not None),
                               np.int32(b is not None)), shared_mem=_THREADS * 4)
    dtype = input._data.dtype
    out = y.reshape(input.shape).astype(dtype, copy=False)

    def grads(g, ctx):
        g2 = cp.ascontiguousarray(g, dtype=np.float32).reshape(rows, cols)
        gx = cp.empty_like(x)
        _module().get_function("layer_norm_bwd")(
            (rows,), (_THREADS,), (x, g2, dummy if w is None else w, mean, rstd, gx,
                                   np.int32(cols), np.int32(w is not None)),
            shared_mem=_THREADS * 4)
        result = [gx.reshape(input.shape).astype(dtype, copy=False)]
        if weight is not None:
            xhat = (x - mean[:, None]) * rstd[:, None]
            result.append((g2 * xhat).sum(0).reshape(weight.shape).astype(weight._data.dtype))
        if bias is not None:
            result.append(g2.sum(0).reshape(bias.shape).astype(bias._data.dtype))
        return result


    def generic(*tensors):
        from ..nn.functional.normalization import layer_norm as generic_ln
        it = iter(tensors[1:])
        return generic_ln(tensors[0], shape, next(it) if weight is not None else None,
                          next(it) if bias is not None else None, eps)
    return record(out, "NativeLayerNormBackward0", (input, weight, bias), grads, generic, None)


def batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps):
    """Fused batch_norm of a CuPy float array (N, C, *), updating the running statistics in
    training as the generic op does."""
    cp = cupy_module()
    n, c = input.shape[:2]
    x = input._data
    x3 = x.reshape(n, c, -1)
    m_count = x3.shape[0] * x3.shape[2]
    if m_count == 0:
        return None
    if training:
        xf = x3.astype(np.float32, copy=False)
        mean = xf.mean(axis=(0, 2))
        var = ((xf - mean[None, :, None]) ** 2).mean(axis=(0, 2))
    else:
        mean = running_mean._data.astype(np.float32)
        var = running_var._data.astype(np.float32)
    invstd = 1.0 / cp.sqrt(var + eps)
    w = _f32(weight) if weight is not None else cp.ones(c, dtype=np.float32)
    b = _f32(bias) if bias is not None else cp.zeros(c, dtype=np.float32)
    bshape = (1, c, 1)
    scale = (w * invstd).reshape(bshape)
    out = _elementwise("bn_fwd")(x3, mean.reshape(bshape), scale, b.reshape(bshape))
    out = out.reshape(x.shape)
    if training and running_mean is not None:
        from ..nn.functional.normalization import _update_running
        _update_running(running_mean, mean, momentum)
        _update_running(running_var, var * (m_count / max(m_count - 1, 1)), momentum)

    def grads(g, ctx):
        g3 = g.reshape(n, c, -1)
        gf = g3.astype(np.float32, copy=False)
        xhat_sum = None
        gb = gf.sum(axis=(0, 2))
        if training or weight is not None:
            xhat_sum = (gf * (x3.astype(np.float32, copy=False) - mean[None, :, None])).sum(
                axis=(0, 2)) * invstd
        if training:
            gx = _elementwise("bn_bwd_train")(
                x3, g3, mean.reshape(bshape), invstd.reshape(bshape), scale,
                (gb / m_count).reshape(bshape), (xhat_sum / m_count).reshape(bshape))
        else:
            gx = _elementwise("bn_bwd_eval")(g3, scale)
        result = [gx.reshape(x.shape)]
        if weight is not None:
            result.append(xhat_sum.astype(weight._data.dtype))
        if bias is not None:
            result.append(gb.astype(bias._data.dtype))
        return result

    def generic(*tensors):
        from ..nn.functional.normalization import _batch_norm
        it = iter(tensors[1:])
        w_t = next(it) if weight is not None else None
        b_t = next(it) if bias is not None else None
        # Training statistics are recomputed from the saved input; the running buffers are
        # updated once, in the forward, not again here.
        if training:
            return _batch_norm(tensors[0], None, None, w_t, b_t, True, momentum, eps)
        return _batch_norm(tensors[0], running_mean, running_var, w_t, b_t, False, momentum, eps)
    return record(out, "NativeBatchNormBackward0", (input, weight, bias), grads, generic, None)
