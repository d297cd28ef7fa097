"""Convolution forward, backward-data and backward-weights as oneDNN primitives on NumPy
float32 arrays: the direct (JIT, blocked-layout) kernels PyTorch's CPU convolutions run.

Each call reorders its plain NCHW/OIHW operands into the layouts the primitive chose and its
result back, as PyTorch does for NCHW tensors. A plan (primitive descriptor, primitive and
reorders) is built once per problem shape and kept.
"""
import ctypes

import numpy as np

from ..nn.functional import _workspace
from . import library as _dnnl

FORWARD, BACKWARD_DATA, BACKWARD_WEIGHTS = "forward", "backward_data", "backward_weights"
_PLANS = {}
_MAX_PLANS = 256  # distinct conv shapes kept (a ResNet-50 has ~25)


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


class _Plan:
    """One problem's primitive and, per operand, its plain descriptor and the reorder (or None)
    between that and the primitive's layout."""
    __slots__ = ("primitive", "operands")

    def __init__(self, primitive, operands):
        self.primitive, self.operands = primitive, operands

    def run(self, inputs, out_arg, out):
        """Execute on `inputs` ({argument: contiguous array}), writing `out` in place."""
        args = []
        for arg, array in inputs.items():
            plain, convert, md = self.operands[arg]
            if convert is not None:
                blocked = _scratch(md)
                _dnnl.execute(convert, [(_dnnl.ARG_SRC, plain.handle, array),
                                        (_dnnl.ARG_DST, md, blocked)])
                array = blocked
            args.append((arg, md, array))
        plain, convert, md = self.operands[out_arg]
        result = out if convert is None else _scratch(md)
        _dnnl.execute(self.primitive, args + [(out_arg, md, result)])
        if convert is not None:
            _dnnl.execute(convert, [(_dnnl.ARG_SRC, md, result),
                                    (_dnnl.ARG_DST, plain.handle, out)])


def _scratch(md):
    """A reused byte buffer, 64-byte aligned, for an operand in the primitive's own layout: a
    fresh one each call would be mapped from the OS and page-faulted in every time."""
    size = _dnnl.lib.dnnl_memory_desc_get_size(md)
    raw = _workspace.empty(np, (size + 64,), np.uint8)
    start = -raw.ctypes.data % 64
    return raw[start:start + size]


def _weight_shape(w_shape, groups):
    return w_shape if groups == 1 else (groups, w_shape[0] // groups) + tuple(w_shape[1:])


_ROLES = {  # per primitive kind: oneDNN argument -> (operand, descriptor query)
    FORWARD: {_dnnl.ARG_SRC: ("x", _dnnl.QUERY_SRC), _dnnl.ARG_WEIGHTS: ("w", _dnnl.QUERY_WEIGHTS),
              _dnnl.ARG_DST: ("y", _dnnl.QUERY_DST)},
    BACKWARD_DATA: {_dnnl.ARG_DIFF_DST: ("y", _dnnl.QUERY_DIFF_DST),
                    _dnnl.ARG_WEIGHTS: ("w", _dnnl.QUERY_WEIGHTS),
                    _dnnl.ARG_DIFF_SRC: ("x", _dnnl.QUERY_DIFF_SRC)},
    BACKWARD_WEIGHTS: {_dnnl.ARG_SRC: ("x", _dnnl.QUERY_SRC),
                       _dnnl.ARG_DIFF_DST: ("y", _dnnl.QUERY_DIFF_DST),
                       _dnnl.ARG_DIFF_WEIGHTS: ("w", _dnnl.QUERY_DIFF_WEIGHTS)},
}
_OUTPUTS = (_dnnl.ARG_DST, _dnnl.ARG_DIFF_SRC, _dnnl.ARG_DIFF_WEIGHTS)


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
    plain = {name: _dnnl.Desc.plain(shape) for name, shape in shapes.items()}
    anys = {name: _dnnl.Desc(shape) for name, shape in shapes.items()}
    primitive = _dnnl.Primitive(_descriptor(kind, anys, spatial))
    operands = {}
    for arg, (name, query) in _ROLES[kind].items():
        md, user = primitive.md(query), plain[name]
        if _dnnl.lib.dnnl_memory_desc_equal(md, user.handle):
            operands[arg] = (user, None, user.handle)
        elif arg in _OUTPUTS:
            operands[arg] = (user, _dnnl.reorder(md, user.handle), md)
        else:
            operands[arg] = (user, _dnnl.reorder(user.handle, md), md)
    return _Plan(primitive, operands)


def _plan(kind, x_shape, w_shape, y_shape, groups, geom):
    key = (kind, x_shape, w_shape, y_shape, groups, geom)
    plan = _PLANS.get(key)
    if plan is None:
        spatial = _spatial(geom)
        try:
            plan = None if spatial is None else _build(kind, x_shape, w_shape, y_shape, groups,
                                                       spatial)
        except _dnnl.OneDNNError:  # a problem oneDNN has no implementation for
            plan = None
        if len(_PLANS) >= _MAX_PLANS:
            del _PLANS[next(iter(_PLANS))]
        _PLANS[key] = plan
    return plan


def supported(*arrays):
    """Whether oneDNN is loaded and takes these operands: non-empty NumPy float32 arrays."""
    return _dnnl.enabled and all(
        type(a) is np.ndarray and a.dtype == np.float32 and a.size for a in arrays)


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
             _dnnl.ARG_DST, y)
    return y


def backward_data(y, w, geom, groups):
    """The adjoint in x: (N, O, *small) -> (N, C, *big), or None."""
    x_shape = (y.shape[0], w.shape[1] * groups) + tuple(g[4] for g in geom)
    plan = _plan(BACKWARD_DATA, x_shape, w.shape, y.shape, groups, geom)
    if plan is None:
        return None
    x = np.empty(x_shape, np.float32)
    plan.run({_dnnl.ARG_DIFF_DST: np.ascontiguousarray(y),
              _dnnl.ARG_WEIGHTS: np.ascontiguousarray(w)}, _dnnl.ARG_DIFF_SRC, x)
    return x


def backward_weights(x, y, geom, groups, kshape):
    """The adjoint in w: x (N, C, *big), y (N, O, *small) -> (O, C/G, *k), or None."""
    w_shape = (y.shape[1], x.shape[1] // groups) + tuple(kshape)
    plan = _plan(BACKWARD_WEIGHTS, x.shape, w_shape, y.shape, groups, geom)
    if plan is None:
        return None
    w = np.empty(w_shape, np.float32)
    plan.run({_dnnl.ARG_SRC: np.ascontiguousarray(x), _dnnl.ARG_DIFF_DST: np.ascontiguousarray(y)},
             _dnnl.ARG_DIFF_WEIGHTS, w)
    return w
