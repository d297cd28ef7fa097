"""Convolution forward, backward-data and backward-weights as oneDNN primitives on NumPy
float32 arrays: the direct (JIT, blocked-layout) kernels PyTorch's CPU convolutions run.

Each call reorders its plain NCHW/OIHW operands into the layouts the primitive chose and its
result back, as PyTorch does for NCHW tensors. A plan (`plan.Plan`) is built once per problem
shape and kept.
"""
import ctypes

import numpy as np

from . import library as _dnnl
from .plan import Cache, Plan

FORWARD, BACKWARD_DATA, BACKWARD_WEIGHTS = "forward", "backward_data", "backward_weights"
_PLANS = Cache(256)  # distinct problems kept (a ResNet-50 training step has ~75)


def _spatial(geom):
    """oneDNN's strides, dilations (d - 1) and left/right padding for ember's window geometry,
    or None when no padding_r reproduces the output size (a transposed convolution whose
    output_padding reaches past the stride)."""
    strides = [g[1] for g in geom]
    dilates = [g[2] - 1 for g in geom]
    pad_l = [g[3] for g in geom]
    pad_r = []
    for k, s, d, lo, big, small in geom:
        extent = d * (k - 1) + 1
        hi = max(0, (small - 1) * s + extent - big - lo)
        if (big + lo + hi - extent) // s + 1 != small:
            return None
        pad_r.append(hi)
    return [_dnnl.dims(v) for v in (strides, dilates, pad_l, pad_r)]


def _weight_shape(w_shape, groups):
    return w_shape if groups == 1 else (groups, w_shape[0] // groups) + tuple(w_shape[1:])


_ROLES = {  # per primitive kind: oneDNN argument -> operand
    FORWARD: {_dnnl.ARG_SRC: "x", _dnnl.ARG_WEIGHTS: "w", _dnnl.ARG_DST: "y"},
    BACKWARD_DATA: {_dnnl.ARG_DST + _dnnl.DIFF: "y", _dnnl.ARG_WEIGHTS: "w",
                    _dnnl.ARG_SRC + _dnnl.DIFF: "x"},
    BACKWARD_WEIGHTS: {_dnnl.ARG_SRC: "x", _dnnl.ARG_DST + _dnnl.DIFF: "y",
                       _dnnl.ARG_WEIGHTS + _dnnl.DIFF: "w"},
}
_OUTPUTS = (_dnnl.ARG_DST, _dnnl.ARG_SRC + _dnnl.DIFF, _dnnl.ARG_WEIGHTS + _dnnl.DIFF)


def _descriptor(kind, anys, spatial):
    """The primitive descriptor of `kind`, its layouts left to oneDNN (`anys`: x, w, y)."""
    lib = _dnnl.lib
    x, w, y = (anys[name].handle for name in "xwy")
    hint = ctypes.c_void_p()  # the forward descriptor, which backward ones are built against
    _dnnl.check(lib.dnnl_convolution_forward_primitive_desc_create(
        ctypes.byref(hint), _dnnl.engine, _dnnl.FORWARD_TRAINING, _dnnl.CONVOLUTION_DIRECT,
        x, w, None, y, *spatial, None), "convolution forward descriptor")
    if kind == FORWARD:
        return hint
    pd = ctypes.c_void_p()
    try:
        if kind == BACKWARD_DATA:
            status = lib.dnnl_convolution_backward_data_primitive_desc_create(
                ctypes.byref(pd), _dnnl.engine, _dnnl.CONVOLUTION_DIRECT, x, w, y, *spatial,
                hint, None)
        else:
            status = lib.dnnl_convolution_backward_weights_primitive_desc_create(
                ctypes.byref(pd), _dnnl.engine, _dnnl.CONVOLUTION_DIRECT, x, w, None, y,
                *spatial, hint, None)
    finally:
        lib.dnnl_primitive_desc_destroy(hint)
    _dnnl.check(status, f"convolution {kind} descriptor")
    return pd


def _build(kind, x_shape, w_shape, y_shape, groups, spatial):
    shapes = {"x": x_shape, "w": _weight_shape(w_shape, groups), "y": y_shape}
    anys = {name: _dnnl.Desc(shape) for name, shape in shapes.items()}
    users = {arg: (_dnnl.Desc.plain(shapes[name]), arg in _OUTPUTS)
             for arg, name in _ROLES[kind].items()}
    return Plan(_descriptor(kind, anys, spatial), users)


def _plan(kind, x_shape, w_shape, y_shape, groups, geom):
    def build():
        spatial = _spatial(geom)
        return None if spatial is None else _build(kind, x_shape, w_shape, y_shape, groups,
                                                   spatial)
    return _PLANS.get((kind, x_shape, w_shape, y_shape, groups, geom), build)


def _shapes(x_shape, w_shape, geom):
    n, o = x_shape[0], w_shape[0]
    return (n, o) + tuple(g[5] for g in geom)


def forward(x, w, geom, groups):
    """(N, C, *big) x (O, C/G, *k) -> (N, O, *small), or None when oneDNN can't plan it."""
    y_shape = _shapes(x.shape, w.shape, geom)
    plan = _plan(FORWARD, x.shape, w.shape, y_shape, groups, geom)
    if plan is None:
        return None
    y = np.empty(y_shape, np.float32)
    plan.run({_dnnl.ARG_SRC: np.ascontiguousarray(x), _dnnl.ARG_WEIGHTS: np.ascontiguousarray(w)},
             {_dnnl.ARG_DST: y})
    return y


def backward_data(y, w, geom, groups):
    """The adjoint in x: (N, O, *small) -> (N, C, *big), or None."""
    x_shape = (y.shape[0], w.shape[1] * groups) + tuple(g[4] for g in geom)
    plan = _plan(BACKWARD_DATA, x_shape, w.shape, y.shape, groups, geom)
    if plan is None:
        return None
    x = np.empty(x_shape, np.float32)
    plan.run({_dnnl.ARG_DST + _dnnl.DIFF: np.ascontiguousarray(y),
              _dnnl.ARG_WEIGHTS: np.ascontiguousarray(w)}, {_dnnl.ARG_SRC + _dnnl.DIFF: x})
    return x


def backward_weights(x, y, geom, groups, kshape):
    """The adjoint in w: x (N, C, *big), y (N, O, *small) -> (O, C/G, *k), or None."""
    w_shape = (y.shape[1], x.shape[1] // groups) + tuple(kshape)
    plan = _plan(BACKWARD_WEIGHTS, x.shape, w_shape, y.shape, groups, geom)
    if plan is None:
        return None
    w = np.empty(w_shape, np.float32)
    plan.run({_dnnl.ARG_SRC: np.ascontiguousarray(x),
              _dnnl.ARG_DST + _dnnl.DIFF: np.ascontiguousarray(y)},
             {_dnnl.ARG_WEIGHTS + _dnnl.DIFF: w})
    return w
