"""Batch normalization's training backward as oneDNN's primitive on plain (N, C, L) float32
arrays: gradients of input, scale and shift in one primitive call that reads x and the output
gradient twice, against NumPy's five passes (ResNet-18's (32, 64, 32, 32) layers: 2.8 vs
5.3 ms). The forward stays NumPy's, which was faster than oneDNN's on plain layouts."""
import ctypes

import numpy as np

from . import library as _dnnl
from .plan import Cache, Plan

_USE_SCALE, _USE_SHIFT = 0x2, 0x4
_MEAN, _VARIANCE, _SCALE = 49, 50, 51
_DIFF_SRC, _DIFF_DST = _dnnl.ARG_SRC + _dnnl.DIFF, _dnnl.ARG_DST + _dnnl.DIFF
_DIFF_SCALE, _DIFF_SHIFT = 255, 256
_PLANS = Cache(256)


def _build(shape, eps, affine):
    lib = _dnnl.lib
    data, stat = _dnnl.Desc.plain(shape), _dnnl.Desc.plain((shape[1],))
    flags = _USE_SCALE | _USE_SHIFT if affine else 0
    hint = ctypes.c_void_p()
    _dnnl.check(lib.dnnl_batch_normalization_forward_primitive_desc_create(
        ctypes.byref(hint), _dnnl.engine, _dnnl.FORWARD_TRAINING, data.handle, data.handle, eps,
        flags, None), "batch norm forward descriptor")
    pd = ctypes.c_void_p()
    try:
        status = lib.dnnl_batch_normalization_backward_primitive_desc_create(
            ctypes.byref(pd), _dnnl.engine, _dnnl.BACKWARD, data.handle, data.handle,
            data.handle, eps, flags, hint, None)
    finally:
        lib.dnnl_primitive_desc_destroy(hint)
    _dnnl.check(status, "batch norm backward descriptor")
    users = {_dnnl.ARG_SRC: (data, False), _MEAN: (stat, False), _VARIANCE: (stat, False),
             _DIFF_DST: (data, False), _DIFF_SRC: (data, True)}
    if affine:
        users.update({_SCALE: (stat, False), _DIFF_SCALE: (stat, True),
                      _DIFF_SHIFT: (stat, True)})
    return Plan(pd, users)


def backward(x, g, mean, var, weight, eps):
    """x, g (N, C, L); mean, var (C,) the batch's (biased) statistics; weight (C,) or None.
    Returns (grad x, grad weight, grad bias), the last two None without weight; or None when
    oneDNN can't plan it."""
    affine = weight is not None
    plan = _PLANS.get((x.shape, float(eps), affine),
                       lambda: _build(x.shape, float(eps), affine))
    if plan is None:
        return None
    gx = np.empty(x.shape, np.float32)
    inputs = {_dnnl.ARG_SRC: np.ascontiguousarray(x), _MEAN: np.ascontiguousarray(mean),
              _VARIANCE: np.ascontiguousarray(var), _DIFF_DST: np.ascontiguousarray(g)}
    outputs = {_DIFF_SRC: gx}
    gw = gb = None
    if affine:
        gw, gb = np.empty(x.shape[1], np.float32), np.empty(x.shape[1], np.float32)
        inputs[_SCALE] = np.ascontiguousarray(weight)
        outputs.update({_DIFF_SCALE: gw, _DIFF_SHIFT: gb})
    plan.run(inputs, outputs)
    return gx, gw, gb
