"""Row-wise fused softmax, log_softmax and cross-entropy: one CUDA block per row reduces the
max and the sum of exponentials in shared memory and writes the row (and, for cross-entropy,
the loss and the row's log-sum-exp for the backward). float32 in the kernels; float16 inputs
are widened first as the generic op does."""
import functools

import numpy as np

from .._device import cupy_module
from . import record

_THREADS = 256  # a power of two: the tree reduction below halves it

_SOURCE = r"""
__device__ float block_reduce(float v, float* sh, bool take_max) {
    sh[threadIdx.x] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) {
            float o = sh[threadIdx.x + s];
            sh[threadIdx.x] = take_max ? fmaxf(sh[threadIdx.x], o) : sh[threadIdx.x] + o;
        }
        __syncthreads();
    }
    float r = sh[0];
    __syncthreads();
    return r;
}

// Max and log-sum-exp of one row; a NaN anywhere makes the sum NaN, as in the generic op.
__device__ void row_stats(const float* x, int cols, float* sh, float* m_out, float* lse_out) {
    float m = __int_as_float(0xff800000);  // -inf (NVRTC has no math.h macros)
    for (int j = threadIdx.x; j < cols; j += blockDim.x) m = fmaxf(m, x[j]);
    m = block_reduce(m, sh, true);
    float s = 0.f;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) s += expf(x[j] - m);
    s = block_reduce(s, sh, false);
    *m_out = m;
    *lse_out = m + logf(s);
}

extern "C" __global__ void softmax_fwd(const float* x, float* y, int cols, int take_log) {
    extern __shared__ float sh[];
    const float* xr = x + (unsigned long long)blockIdx.x * cols;
    float* yr = y + (unsigned long long)blockIdx.x * cols;
    float m, lse;
    row_stats(xr, cols, sh, &m, &lse);
    for (int j = threadIdx.x; j < cols; j += blockDim.x)
        yr[j] = take_log ? xr[j] - lse : expf(xr[j] - lse);
}

// softmax: gx = y * (g - sum(g * y));  log_softmax: gx = g - exp(y) * sum(g)
extern "C" __global__ void softmax_bwd(const float* y, const float* g, float* gx, int cols,
                                       int take_log) {
    extern __shared__ float sh[];
    const unsigned long long off = (unsigned long long)blockIdx.x * cols;
    float d = 0.f;
    for (int j = threadIdx.x; j < cols; j += blockDim.x)
        d += take_log ? g[off + j] : g[off + j] * y[off + j];
    d = block_reduce(d, sh, false);
    for (int j = threadIdx.x; j < cols; j += blockDim.x)
        gx[off + j] = take_log ? g[off + j] - expf(y[off + j]) * d
                               : y[off + j] * (g[off + j] - d);
}

// loss[i] = lse(x[i]) - x[i, t[i]] (0 where t[i] == ignore); lse saved for the backward.
extern "C" __global__ void cross_entropy_fwd(const float* x, const long long* t, float* loss,
                                             float* lse, int cols, long long ignore) {
    extern __shared__ float sh[];
    const float* xr = x + (unsigned long long)blockIdx.x * cols;
    float m, l;
    row_stats(xr, cols, sh, &m, &l);
    if (threadIdx.x == 0) {
        long long k = t[blockIdx.x];
        lse[blockIdx.x] = l;
        loss[blockIdx.x] = (k == ignore) ? 0.f : l - xr[k];
    }
}

// gx[i, j] = w[i] * (softmax(x)[i, j] - [j == t[i]]), w[i] = 0 where t[i] == ignore.
extern "C" __global__ void cross_entropy_bwd(const float* x, const long long* t,
                                             const float* lse, const float* w, float* gx,
                                             int cols, long long ignore) {
    const unsigned long long off = (unsigned long long)blockIdx.x * cols;
    const long long k = t[blockIdx.x];
    const float wi = (k == ignore) ? 0.f : w[blockIdx.x];
    const float l = lse[blockIdx.x];
    for (int j = threadIdx.x; j < cols; j += blockDim.x)
        gx[off + j] = wi * (expf(x[off + j] - l) - (j == k ? 1.f : 0.f));
}
"""


@functools.lru_cache(maxsize=None)
def _module():
    return cupy_module().RawModule(code=_SOURCE)


def _launch(name, rows, args):
    _module().get_function(name)((rows,), (_THREADS,), args, shared_mem=_THREADS * 4)


def _rows(arr, axis):
    """`arr` as a C-contiguous float32 (rows, cols) array with `axis` last."""
    cp = cupy_module()
    moved = cp.moveaxis(arr, axis, -1) if axis != arr.ndim - 1 else arr
    return cp.ascontiguousarray(moved, dtype=np.float32), moved.shape


def _unrows(arr2, shape, axis, dtype):
    cp = cupy_module()
    out = arr2.reshape(shape)
    if axis != len(shape) - 1:
        out = cp.moveaxis(out, -1, axis)
    return out.astype(dtype, copy=False)


def softmax(input, axis, log):
    """Fused softmax/log_softmax along `axis` of a CuPy float array with at least one element;
    None for shapes we leave to the generic op (0-dim, empty, rows wider than int32)."""
    x = input._data
    if x.ndim == 0 or x.size == 0 or x.shape[axis] >= 2 ** 31:
        return None
    cp = cupy_module()
    xs, shape = _rows(x, axis)
    cols = shape[-1]
    rows = xs.size // cols
    y = cp.empty_like(xs)
    _launch("softmax_fwd", rows, (xs, y, np.int32(cols), np.int32(log)))
    out = _unrows(y, shape, axis, x.dtype)

    def grads(g, ctx):
        gs, _ = _rows(g, axis)
        gx = cp.empty_like(gs)
        _launch("softmax_bwd", rows, (ctx, gs, gx, np.int32(cols), np.int32(log)))
        return (_unrows(gx, shape, axis, x.dtype),)

    def generic(t):
        from ..ops.softmax import log_softmax as generic_log, softmax as generic_soft
        return (generic_log if log else generic_soft)(t, axis)
    return record(out, "LogSoftmaxBackward0" if log else "SoftmaxBackward0", (input,), grads,
                  generic, y)


def cross_entropy(input, target, ignore_index, reduction):
    """Fused cross-entropy of logits (N, C) at int64 class indices (N,), no class weights and
    no label smoothing (the caller checks); 'mean' divides by the non-ignored count."""
    cp = cupy_module()
    if type(target._data) is not type(input._data) or target.shape[0] != input.shape[0]:
        return None  # the generic op raises its device or shape error
    x = cp.ascontiguousarray(input._data, dtype=np.float32)
    t = cp.ascontiguousarray(target._data, dtype=np.int64)
    rows, cols = x.shape
    if bool((((t < 0) & (t != ignore_index)) | (t >= cols)).any()):
        return None  # the generic op raises its out-of-range error
    loss = cp.empty(rows, dtype=np.float32)
    lse = cp.empty(rows, dtype=np.float32)
    _launch("cross_entropy_fwd", rows, (x, t, loss, lse, np.int32(cols), np.int64(ignore_index)))
    if reduction == "none":
        out = loss
    else:
        out = loss.sum()
        if reduction == "mean":
            count = (t != ignore_index).sum().astype(np.float32)
            out = out / count  # 0/0 gives NaN when every target is ignored, as in PyTorch
    dtype = input._data.dtype
    out = out.astype(dtype, copy=False)

    def grads(g, ctx):
        g = g.astype(np.float32, copy=False)
        if reduction == "none":
            w = cp.ascontiguousarray(g, dtype=np.float32)
        else:
            scale = g / count if reduction == "mean" else g
            w = cp.broadcast_to(scale.astype(np.float32), (rows,)).copy()
        gx = cp.empty_like(x)
        _launch("cross_entropy_bwd", rows,
                (x, t, lse, w, gx, np.int32(cols), np.int64(ignore_index)))
        return (gx.astype(dtype, copy=False),)

    def generic(inp):
        from ..nn.functional.loss import cross_entropy as generic_ce
        return generic_ce(inp, target, ignore_index=ignore_index, reduction=reduction)
    return record(out, "NllLossBackward0", (input,), grads, generic, None)
