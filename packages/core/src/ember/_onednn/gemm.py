"""Matrix products on raw arrays: oneDNN's sgemm for NumPy float32 operands when the library is
loaded, else the array module's matmul.

Why not always NumPy's: with oneDNN's OpenMP threads running the convolutions, OpenBLAS's own
threads busy-wait for ~0.1 s after each large GEMM and take the two cores from the next
convolution (the MNIST step: 92 ms with both pools, 61 ms with OpenBLAS's wait cut short). One
thread pool for every large kernel avoids that, and oneDNN's sgemm is also 5-20% faster than
OpenBLAS's on the benchmark shapes (1600x128 @ 128x1024: 2.1 vs 2.4 ms).
"""
import ctypes

import numpy as np

from .._device import array_module_of
from . import library as _dnnl

_sgemm = None
if _dnnl.lib is not None:
    _sgemm = _dnnl.lib.dnnl_sgemm
    _sgemm.argtypes = (ctypes.c_char, ctypes.c_char, ctypes.c_int64, ctypes.c_int64,
                       ctypes.c_int64, ctypes.c_float, ctypes.c_void_p, ctypes.c_int64,
                       ctypes.c_void_p, ctypes.c_int64, ctypes.c_float, ctypes.c_void_p,
                       ctypes.c_int64)
    _sgemm.restype = ctypes.c_int

# A stacked product over more matrices than this runs in NumPy's loop: one ctypes call each
# would cost more than small matrices take to multiply.
_MAX_BATCH = 512


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


def _gemm_into(a, b, c):
    """c[...] = a @ b for 2-D float32 arrays; `c` has unit-stride rows."""
    m, k = a.shape
    n = b.shape[1]
    if m == 0 or n == 0:
        return
    if k == 0:
        c[...] = 0
        return
    ta, lda, a = _operand(a)
    tb, ldb, b = _operand(b)
    ldc = max(c.strides[0] // 4, 1)
    status = _sgemm(ta, tb, m, n, k, 1.0, a.ctypes.data, lda, b.ctypes.data, ldb, 0.0,
                    c.ctypes.data, ldc)
    _dnnl.check(status, f"sgemm of ({m}, {k}) by ({k}, {n})")


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
    shape = batch + (a.shape[-2], b.shape[-1])
    if out is None:
        out = np.empty(shape, np.float32)
    elif out.shape != shape:
        raise ValueError(f"matmul: out has shape {out.shape}, expected {shape}")
    if not batch:
        _gemm_into(a, b, out)
        return out
    count = 1
    for n in batch:
        count *= n
    if count > _MAX_BATCH:
        return np.matmul(a, b, out=out)
    a = np.broadcast_to(a, batch + a.shape[-2:])
    b = np.broadcast_to(b, batch + b.shape[-2:])
    for index in np.ndindex(*batch):
        _gemm_into(a[index], b[index], out[index])
    return out
