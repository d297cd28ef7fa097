"""One LSTM layer in one direction as oneDNN's vanilla LSTM primitive (forward training with a
workspace, and its backward): the fused kernel PyTorch's CPU `nn.LSTM` runs. Gate order is
PyTorch's (i, f, g, o) in both.

Operands stay in PyTorch's layouts and are described to oneDNN with strides: W_ih (4H, C) is
the weights_layer tensor (layers=1, directions=1, C, gates=4, H) read with strides
(., ., 1, H*C, C); W_hh likewise; the bias is b_ih + b_hh.
"""
import ctypes

import numpy as np

from . import library as _dnnl
from .plan import Cache, Plan, buffer

_SRC_LAYER, _SRC_ITER, _SRC_ITER_C = _dnnl.ARG_SRC, _dnnl.ARG_SRC + 1, _dnnl.ARG_SRC + 2
_DST_LAYER, _DST_ITER, _DST_ITER_C = _dnnl.ARG_DST, _dnnl.ARG_DST + 1, _dnnl.ARG_DST + 2
_W_LAYER, _W_ITER = _dnnl.ARG_WEIGHTS, _dnnl.ARG_WEIGHTS + 1
_BIAS, _WORKSPACE, _DIFF = _dnnl.ARG_BIAS, _dnnl.ARG_WORKSPACE, _dnnl.DIFF
_FORWARD_ARGS = (_SRC_LAYER, _SRC_ITER, _SRC_ITER_C, _W_LAYER, _W_ITER, _BIAS, _DST_LAYER,
                 _DST_ITER, _DST_ITER_C)
_PLANS = Cache(64)
_left2right = None  # see `_left_to_right`


def _user_descs(steps, batch, inputs, hidden):
    """Plain descriptors (in PyTorch's layouts) for every forward argument."""
    state = _dnnl.Desc.plain((1, 1, batch, hidden))
    gates = 4 * hidden

    def weights(width):  # (4H, width) as (1, 1, width, 4, H)
        return _dnnl.Desc((1, 1, width, 4, hidden),
                          (gates * width, gates * width, 1, hidden * width, width))

    return {_SRC_LAYER: _dnnl.Desc.plain((steps, batch, inputs)), _SRC_ITER: state,
            _SRC_ITER_C: state, _W_LAYER: weights(inputs), _W_ITER: weights(hidden),
            _BIAS: _dnnl.Desc.plain((1, 1, 4, hidden)),
            _DST_LAYER: _dnnl.Desc.plain((steps, batch, hidden)), _DST_ITER: state,
            _DST_ITER_C: state}


def _forward_descriptor(a, direction):
    pd = ctypes.c_void_p()
    status = _dnnl.lib.dnnl_lstm_forward_primitive_desc_create(
        ctypes.byref(pd), _dnnl.engine, _dnnl.FORWARD_TRAINING, direction, a[_SRC_LAYER],
        a[_SRC_ITER], a[_SRC_ITER_C], a[_W_LAYER], a[_W_ITER], None, None, a[_BIAS],
        a[_DST_LAYER], a[_DST_ITER], a[_DST_ITER_C], 0, None)
    return pd, status


def _left_to_right():
    """The value of dnnl_unidirectional_left2right in the loaded library: 0 before the enum
    gained `undef = 0`, 1 after. Probed once on a 1-unit problem, where 0 fails only as undef."""
    global _left2right
    if _left2right is None:
        users = _user_descs(1, 1, 1, 1)
        pd, status = _forward_descriptor({arg: d.handle for arg, d in users.items()}, 0)
        if status == 0:
            _dnnl.lib.dnnl_primitive_desc_destroy(pd)
        _left2right = 0 if status == 0 else 1
    return _left2right


def _descriptors(steps, batch, inputs, hidden, reverse):
    """(forward pd, backward pd, user descriptors), the weights' layouts left to oneDNN."""
    users = _user_descs(steps, batch, inputs, hidden)
    anys = {arg: users[arg].handle for arg in _FORWARD_ARGS}
    keep = [_dnnl.Desc(_dnnl_shape(arg, inputs, hidden)) for arg in (_W_LAYER, _W_ITER)]
    anys[_W_LAYER], anys[_W_ITER] = (d.handle for d in keep)
    direction = _left_to_right() + int(reverse)
    fwd, status = _forward_descriptor(anys, direction)
    _dnnl.check(status, "LSTM forward descriptor")
    a = {**anys, **{arg + _DIFF: anys[arg] for arg in _FORWARD_ARGS}}
    bwd = ctypes.c_void_p()
    status = _dnnl.lib.dnnl_lstm_backward_primitive_desc_create(
        ctypes.byref(bwd), _dnnl.engine, _dnnl.BACKWARD, direction, a[_SRC_LAYER],
        a[_SRC_ITER], a[_SRC_ITER_C], a[_W_LAYER], a[_W_ITER], None, None, a[_BIAS],
        a[_DST_LAYER], a[_DST_ITER], a[_DST_ITER_C], a[_SRC_LAYER + _DIFF],
        a[_SRC_ITER + _DIFF], a[_SRC_ITER_C + _DIFF], a[_W_LAYER + _DIFF], a[_W_ITER + _DIFF],
        None, None, a[_BIAS + _DIFF], a[_DST_LAYER + _DIFF], a[_DST_ITER + _DIFF],
        a[_DST_ITER_C + _DIFF], 0, fwd, None)
    if status != 0:
        _dnnl.lib.dnnl_primitive_desc_destroy(fwd)
        _dnnl.check(status, "LSTM backward descriptor")
    return fwd, bwd, users


def _dnnl_shape(arg, inputs, hidden):
    return (1, 1, inputs if arg == _W_LAYER else hidden, 4, hidden)


def _plans(steps, batch, inputs, hidden, reverse):
    """(forward plan, backward plan), or None."""
    def build():
        fwd, bwd, users = _descriptors(steps, batch, inputs, hidden, reverse)
        outputs = (_DST_LAYER, _DST_ITER, _DST_ITER_C)
        # oneDNN names its CPU RNN "ref:any", but it runs packed GEMMs (24.1 ms for the
        # benchmark's LSTM step against torch's 22.7), not reference loops.
        forward = Plan(fwd, {**{arg: (users[arg], arg in outputs) for arg in _FORWARD_ARGS},
                             _WORKSPACE: (None, True)}, allow_reference=True)
        backward_users = {arg: (users[arg], False) for arg in _FORWARD_ARGS}
        backward_users.update({arg + _DIFF: (users[arg], arg not in outputs)
                               for arg in _FORWARD_ARGS})
        backward_users[_WORKSPACE] = (None, False)
        return forward, Plan(bwd, backward_users, allow_reference=True)
    return _PLANS.get((steps, batch, inputs, hidden, reverse), build)


def forward(x, w_ih, w_hh, bias, h0, c0, reverse):
    """x (T, B, C), w_ih (4H, C), w_hh (4H, H), bias (4H,) = b_ih + b_hh, h0/c0 (B, H).
    Returns (out, h_n, workspace) with `out` flat: all steps' h (T*B*H) then the final c
    (B*H), as `rnn.recurrence` lays out an LSTM's output; or None when oneDNN can't plan it."""
    steps, batch, inputs = x.shape
    hidden = w_hh.shape[1]
    plans = _plans(steps, batch, inputs, hidden, reverse)
    if plans is None:
        return None
    plan = plans[0]
    out = np.empty(steps * batch * hidden + batch * hidden, np.float32)
    h_n = np.empty((batch, hidden), np.float32)
    workspace = buffer(plan.md(_WORKSPACE))
    plan.run({_SRC_LAYER: np.ascontiguousarray(x), _SRC_ITER: np.ascontiguousarray(h0),
              _SRC_ITER_C: np.ascontiguousarray(c0), _W_LAYER: np.ascontiguousarray(w_ih),
              _W_ITER: np.ascontiguousarray(w_hh),
              _BIAS: np.ascontiguousarray(bias)},
             {_DST_LAYER: out[:steps * batch * hidden], _DST_ITER: h_n,
              _DST_ITER_C: out[steps * batch * hidden:], _WORKSPACE: workspace})
    return out, h_n, workspace


def backward(x, w_ih, w_hh, bias, h0, c0, reverse, out, h_n, workspace, g_out):
    """Gradients (x, w_ih, w_hh, bias, h0, c0) of the layer from `g_out`, the gradient of the
    flat output `forward` returned (its h_n is a view of `out`, so its gradient is in there)."""
    steps, batch, inputs = x.shape
    hidden = w_hh.shape[1]
    plan = _plans(steps, batch, inputs, hidden, reverse)[1]
    n_out = steps * batch * hidden
    grads = {_SRC_LAYER: np.empty(x.shape, np.float32),
             _SRC_ITER: np.empty((batch, hidden), np.float32),
             _SRC_ITER_C: np.empty((batch, hidden), np.float32),
             _W_LAYER: np.empty(w_ih.shape, np.float32),
             _W_ITER: np.empty(w_hh.shape, np.float32), _BIAS: np.empty(bias.shape, np.float32)}
    plan.run({_SRC_LAYER: np.ascontiguousarray(x), _SRC_ITER: np.ascontiguousarray(h0),
              _SRC_ITER_C: np.ascontiguousarray(c0), _W_LAYER: np.ascontiguousarray(w_ih),
              _W_ITER: np.ascontiguousarray(w_hh),
              _BIAS: np.ascontiguousarray(bias), _DST_LAYER: out[:n_out], _DST_ITER: h_n,
              _DST_ITER_C: out[n_out:], _WORKSPACE: workspace,
              _DST_LAYER + _DIFF: np.ascontiguousarray(g_out[:n_out]),
              _DST_ITER + _DIFF: np.zeros((batch, hidden), np.float32),
              _DST_ITER_C + _DIFF: np.ascontiguousarray(g_out[n_out:])},
             {arg + _DIFF: array for arg, array in grads.items()},
             zero=(_W_LAYER + _DIFF, _W_ITER + _DIFF, _BIAS + _DIFF))
    return tuple(grads[arg] for arg in (_SRC_LAYER, _W_LAYER, _W_ITER, _BIAS, _SRC_ITER,
                                        _SRC_ITER_C))
