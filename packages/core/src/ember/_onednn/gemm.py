"""Matrix products on raw arrays: oneDNN for NumPy float32 operands when the library is loaded,
else the array module's matmul.

Why not always NumPy's: with oneDNN's OpenMP threads running the convolutions, OpenBLAS's own
threads busy-wait for ~0.1 s after each large GEMM and take the two cores from the next
convolution (the MNIST step: 92 ms with both pools, 61 ms with OpenBLAS's wait cut short). One
thread pool for every large kernel avoids that.

Two oneDNN entry points: the matmul primitive (one plan per shapes and strides, batch dims and
their broadcasting in one call) for every product but the smallest, where its per-call set-up
(~10 us) would dominate, and matrix-vector ones, which it runs in its slow reference code
(13.7 vs 0.06 ms for (2048, 1024) @ (1024, 1)): the one-call `dnnl_sgemm` serves those. The
primitive was as fast as or faster than sgemm on the benchmark shapes, markedly where the
weight is transposed:
x @ W.T for (64, 9216) @ (9216, 128): 0.80 vs 2.07 ms; (128, 512) @ (512, 512): 0.35 vs 0.55.
"""
import ctypes

import numpy as np

from .._device import array_module_of
from . import library as _dnnl
from .plan import Cache, Plan

_sgemm = None
if _dnnl.lib is not None:
    _sgemm = _dnnl.lib.dnnl_sgemm
    _sgemm.argtypes = (ctypes.c_char, ctypes.c_char, ctypes.c_int64, ctypes.c_int64,
                       ctypes.c_int64, ctypes.c_float, ctypes.c_void_p, ctypes.c_int64,
                       ctypes.c_void_p, ctypes.c_int64, ctypes.c_float, ctypes.c_void_p,
                       ctypes.c_int64)
    _sgemm.restype = ctypes.c_int

# Below this many multiply-adds a 2-D product takes the single sgemm call.
_SMALL = 1 << 18
_PLANS = Cache(512)


def _operand(m):
    """(trans flag, leading dimension, array) describing 2-D float32 `m` to a row-major GEMM,
    copying only when neither its rows nor its columns are unit-stride."""
    rows, cols = m.strides
    if cols == 4 and rows >= 4 * m.shape[1] and rows % 4 == 0:
        return b"N", max(rows // 4, 1), m
    if rows == 4 and cols >= 4 * m.shape[0] and cols % 4 == 0:
        return b"T", max(cols // 4, 1), m
    m = np.ascontiguousarray(m)
    return b"N", max(m.shape[1], 1), m


def _sgemm_into(a, b, c):
    """c[...] = a @ b for 2-D float32 arrays through one sgemm call; `c` has unit-stride rows."""
    m, k = a.shape
    n = b.shape[1]
    ta, lda, a = _operand(a)
    tb, ldb, b = _operand(b)
    ldc = max(c.strides[0] // 4, 1)
    status = _sgemm(ta, tb, m, n, k, 1.0, a.ctypes.data, lda, b.ctypes.data, ldb, 0.0,
                    c.ctypes.data, ldc)
    _dnnl.check(status, f"sgemm of ({m}, {k}) by ({k}, {n})")


def _element_strides(arr):
    """Strides in elements, a size-1 dimension given the row-major stride of its place (NumPy
    leaves those arbitrary; oneDNN reads the layout from them)."""
    strides, inner = [], 1
    for s, n in zip(reversed(arr.strides), reversed(arr.shape)):
        strides.append(s // 4 if n > 1 else inner)
        inner = max(inner, strides[-1] * n)
    return tuple(reversed(strides))


def _described(arr, ndim):
    """`arr` with leading size-1 dims up to `ndim`, copied unless its strides are non-negative
    element multiples with one of the last two unit (the layouts oneDNN's kernels take)."""
    arr = arr.reshape((1,) * (ndim - arr.ndim) + arr.shape)
    strides = arr.strides
    plain = all(s >= 0 and s % 4 == 0 for s in strides) and (
        strides[-1] == 4 or arr.shape[-1] == 1 or strides[-2] == 4 or arr.shape[-2] == 1)
    if not plain or any(s == 0 and n > 1 for s, n in zip(strides, arr.shape)):
        arr = np.ascontiguousarray(arr)
    return arr


def _plan(a, b, out):
    key = (a.shape, _element_strides(a), b.shape, _element_strides(b), out.shape,
           _element_strides(out))

    def build():  # raises OneDNNError when no fast implementation takes these strides
        descs = [_dnnl.Desc(shape, strides) for shape, strides in
                 ((key[0], key[1]), (key[2], key[3]), (key[4], key[5]))]
        pd = ctypes.c_void_p()
        _dnnl.check(_dnnl.lib.dnnl_matmul_primitive_desc_create(
            ctypes.byref(pd), _dnnl.engine, descs[0].handle, descs[1].handle, None,
            descs[2].handle, None), "matmul descriptor")
        return Plan(pd, {_dnnl.ARG_SRC: (descs[0], False), _dnnl.ARG_WEIGHTS: (descs[1], False),
                         _dnnl.ARG_DST: (descs[2], True)})
    return _PLANS.get(key, build)


def _takes(a, b, out):
    if not _dnnl.enabled or type(a) is not np.ndarray or type(b) is not np.ndarray:
        return False
    if a.dtype != np.float32 or b.dtype != np.float32 or a.ndim < 2 or b.ndim < 2:
        return False
    if out is not None and (out.dtype != np.float32 or out.strides[-1] != 4 or
                            out.strides[-2] % 4):
        return False
    return True


def matmul(a, b, out=None):
    """`a @ b` (with `out=` as `numpy.matmul` has it) for arrays of 2+ dims, batch dims
    broadcast. Shapes must already have been checked by the caller's op."""
    if not _takes(a, b, out):
        xp = array_module_of(a)
        return xp.matmul(a, b) if out is None else xp.matmul(a, b, out=out)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    (m, k), n = a.shape[-2:], b.shape[-1]
    shape = batch + (m, n)
    if out is None:
        out = np.empty(shape, np.float32)
    elif out.shape != shape:
        raise ValueError(f"matmul: out has shape {out.shape}, expected {shape}")
    if out.size == 0:
        return out
    if k == 0:
        out[...] = 0
        return out
    plan = None
    if batch or (m * n * k >= _SMALL and min(m, n) > 1):
        a, b = _described(a, out.ndim), _described(b, out.ndim)
        plan = _plan(a, b, out)
    if plan is None:
        if batch:
            return np.matmul(a, b, out=out)
        _sgemm_into(a, b, out)  # small products and matrix-vector ones (the primitive's are slow)
        return out
    plan.run({_dnnl.ARG_SRC: a, _dnnl.ARG_WEIGHTS: b}, {_dnnl.ARG_DST: out})
    return out
