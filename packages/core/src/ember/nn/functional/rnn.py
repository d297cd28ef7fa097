"""Recurrent layers' math: one fused op runs a whole (layer, direction) recurrence.

The caller computes the input projection of every time step in one matmul (`F.linear` on the
whole sequence); `recurrence` then loops over time on raw arrays, one gate matmul per step, and
records a single graph node whose backward is closed-form backpropagation through time, also on
raw arrays, with the weight gradients as one matmul over all steps. Python-level work per step is
a handful of array calls instead of a dozen autograd nodes.

Variable-length batches (packed sequences) come as a (T, B) mask: at a masked step the state is
carried unchanged, so the output at the last processed step is every sequence's final state.
Gate order follows PyTorch: LSTM i, f, g, o; GRU r, z, n with `n = tanh(x_n + r * (W_hn h + b_hn))`.
"""
from ..._device import array_module_of
from ..._onednn.gemm import matmul as _gemm
from ...autograd.grad_mode import state as _grad_state
from ...autograd.graph import Node
from ...ops._common import attach, requires_grad

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _sigmoid(x, xp):
    return 0.5 * xp.tanh(0.5 * x) + 0.5  # overflow-free form of 1 / (1 + exp(-x))


def _steps(steps, reverse):
    return range(steps - 1, -1, -1) if reverse else range(steps)


class RnnLayerBackward0(Node):
    # `present`: which of (xproj, w_hh, b_hh, h0, c0, w_hr) exist; all present ones are saved
    # (double backward recomputes the layer from them).
    __slots__ = ("mode", "reverse", "mask", "cache", "hidden", "out_shape", "present")

    def _inputs(self):
        saved = iter(self.unpack())
        return [next(saved) if p else None for p in self.present]

    def backward(self, grad):
        if self.cache is None:
            self.unpack()  # raises PyTorch's "backward through the graph a second time" error
        inputs = self._inputs()
        if _grad_state.enabled:
            return self._backward_with_graph(inputs, grad)
        w_hh, w_hr = inputs[1]._data, None if inputs[5] is None else inputs[5]._data
        g_y, g_c = grad._data, None
        if self.mode == "LSTM":  # the output is flat: all steps' h, then the final c
            steps, batch, h_out = self.out_shape
            n_out = steps * batch * h_out
            g_y, g_c = g_y[:n_out].reshape(self.out_shape), g_y[n_out:].reshape(batch, -1)
        grads = _BACKWARD[self.mode](self, g_y, g_c, w_hh, w_hr)
        return tuple(None if a is None or e is None else _wrap(a)
                     for a, e in zip(grads, self.inputs))

    def _backward_with_graph(self, inputs, grad):
        """create_graph=True: differentiate the layer recomputed with ember ops (see
        `_rnn_composite`), so the returned gradients carry a graph."""
        from ._rnn_composite import composite_output, grads_with_graph
        out = composite_output(self.mode, *inputs[:5], inputs[5], self.mask, self.reverse)
        return grads_with_graph(out, inputs, self.inputs, grad)

    def release(self):
        super().release()
        self.cache = None  # the per-step activations go with the saved tensors


def _wrap(arr):
    from ..._tensor import Tensor
    return Tensor._make(arr)


def recurrence(mode, xproj, w_hh, b_hh, h0, c0=None, w_hr=None, mask=None, reverse=False):
    """Run one layer in one direction.

    xproj (T, B, G*H): input projections `x @ W_ih.T + b_ih`; w_hh (G*H, H_out); b_hh (G*H,) or
    None; h0 (B, H_out); c0 (B, H) for LSTM; w_hr (H_out, H) for an LSTM with projections;
    mask: a (T, B, 1) 0/1 array of xproj's dtype, or None. Returns (output (T, B, H_out),
    h_n (B, H_out), c_n (B, H) or None).
    """
    x = xproj._data
    xp = array_module_of(x)
    steps, batch = x.shape[:2]
    hidden = w_hh.shape[0] // GATES[mode]
    h_out = w_hh.shape[1]
    cache = {}
    out = _FORWARD[mode](xp, x, w_hh._data, None if b_hh is None else b_hh._data, h0._data,
                         None if c0 is None else c0._data, None if w_hr is None else w_hr._data,
                         mask, reverse, cache)
    inputs = (xproj, w_hh, b_hh, h0, c0, w_hr)
    node = None
    if requires_grad(*inputs):
        node = RnnLayerBackward0(None)
        node.mode, node.reverse, node.mask, node.cache = mode, reverse, mask, cache
        node.hidden, node.out_shape = hidden, (steps, batch, h_out)
        node.present = tuple(t is not None for t in inputs)
        node.save(*(t for t in inputs if t is not None))
    result = attach(out, node, inputs)
    c_n = None
    if mode == "LSTM":
        n_out = steps * batch * h_out
        result, c_n = (result[:n_out].reshape(steps, batch, h_out),
                       result[n_out:].reshape(batch, hidden))
    return result, result[0 if reverse else steps - 1], c_n


def rnn_layer(mode, x, w_ih, b_ih, w_hh, b_hh, h0, c0=None, w_hr=None, mask=None, reverse=False):
    """One layer in one direction from its input sequence x (T, B, C), returning what
    `recurrence` does: oneDNN's fused LSTM where it applies (see `_lstm_onednn`), else the
    input projection of every step in one `linear` followed by `recurrence`."""
    if mode == "LSTM" and w_hr is None and mask is None:
        from ._lstm_onednn import lstm_layer
        result = lstm_layer(x, w_ih, b_ih, w_hh, b_hh, h0, c0, reverse)
        if result is not None:
            return result
    from .linear import linear
    return recurrence(mode, linear(x, w_ih, b_ih), w_hh, b_hh, h0, c0, w_hr, mask, reverse)


def _blend(new, old, m):
    """The state after a step: `new` where the sequence runs, `old` where it has ended."""
    return new if m is None else old + m * (new - old)


# ------------------------------------------------------------------------------ forward passes
def _step_weight(xp, w_hh):
    """W_hh transposed into its own contiguous array, once per sequence: every step multiplies
    by it, and OpenBLAS runs (B, H) @ (H, G*H) faster on a contiguous operand than on the
    transposed view (32 x 256 @ 256 x 1024: 155 vs 190 us, 50 times per LSTM layer)."""
    return xp.ascontiguousarray(w_hh.T)


def _lstm_forward(xp, x, w_hh, b_hh, h, c, w_hr, mask, reverse, cache):
    steps, batch = x.shape[:2]
    hid, h_out = w_hh.shape[0] // 4, w_hh.shape[1]
    dt = x.dtype
    out = xp.empty(steps * batch * h_out + batch * hid, dtype=dt)
    ys = out[:steps * batch * h_out].reshape(steps, batch, h_out)
    acts = xp.empty((steps, batch, 4 * hid), dtype=dt)  # i, f, g, o after activation
    cells = xp.empty((steps, batch, hid), dtype=dt)  # c_t (after masking)
    tanh_c = xp.empty((steps, batch, hid), dtype=dt)
    pre_proj = xp.empty((steps, batch, hid), dtype=dt) if w_hr is not None else None
    # All four activations in one pass: sigmoid(x) = 0.5 * tanh(0.5 x) + 0.5 on i, f, o and
    # plain tanh on g, as `tanh(a * scale) * scale + offset`. The inner scale is folded into
    # W_hh^T's columns and the input projections once per sequence rather than once per step.
    scale = xp.full(4 * hid, 0.5, dtype=dt)
    scale[2 * hid:3 * hid] = 1
    offset = scale.copy()
    offset[2 * hid:3 * hid] = 0
    xb = (x + b_hh if b_hh is not None else x) * scale
    # A contiguous scaled copy of W_hh^T (see `_step_weight`); written into a new array so the
    # weight itself is never scaled, whatever its layout.
    w_t = xp.empty((h_out, 4 * hid), dtype=dt)
    xp.multiply(w_hh.T, scale, out=w_t)
    c0, h0 = c, h
    # Each step writes its states straight into the outputs; scratch only where a mask blends
    # them with the previous state or the projection follows.
    c_new = xp.empty((batch, hid), dtype=dt) if mask is not None else None
    h_new = xp.empty((batch, hid), dtype=dt) if mask is not None or w_hr is not None else None
    ig = xp.empty((batch, hid), dtype=dt)
    for t in _steps(steps, reverse):
        a = acts[t]
        _gemm(h, w_t, out=a)
        a += xb[t]
        xp.tanh(a, out=a)
        a *= scale
        a += offset
        cn = cells[t] if c_new is None else c_new
        xp.multiply(a[:, hid:2 * hid], c, out=cn)
        xp.multiply(a[:, :hid], a[:, 2 * hid:3 * hid], out=ig)
        cn += ig
        tc = tanh_c[t]
        xp.tanh(cn, out=tc)
        hn = ys[t] if h_new is None else h_new
        xp.multiply(a[:, 3 * hid:], tc, out=hn)
        if w_hr is not None:
            pre_proj[t] = hn
            hn = _gemm(hn, w_hr.T)
        if mask is not None:
            cells[t] = _blend(cn, c, mask[t])
        if h_new is not None:
            ys[t] = _blend(hn, h, None if mask is None else mask[t])
        h, c = ys[t], cells[t]
    out[steps * batch * h_out:] = c.reshape(-1)
    # The state entering each step, for W_hh's gradient: one shifted copy of the outputs.
    cache.update(acts=acts, cells=cells, c0=c0, tanh_c=tanh_c,
                 h_prev=_shifted(ys, h0, reverse), pre_proj=pre_proj)
    return out


def _gru_forward(xp, x, w_hh, b_hh, h, c, w_hr, mask, reverse, cache):
    steps, batch = x.shape[:2]
    hid = w_hh.shape[0] // 3
    ys = xp.empty((steps, batch, hid), dtype=x.dtype)
    acts = xp.empty((steps, batch, 3 * hid), dtype=x.dtype)  # r, z, n after activation
    hn_lin = xp.empty((steps, batch, hid), dtype=x.dtype)  # W_hn h + b_hn
    h_prev = xp.empty((steps, batch, hid), dtype=x.dtype)
    w_t = _step_weight(xp, w_hh)
    for t in _steps(steps, reverse):
        h_prev[t] = h
        hh = _gemm(h, w_t)
        if b_hh is not None:
            hh += b_hh
        a = acts[t]
        a[:, :2 * hid] = _sigmoid(x[t, :, :2 * hid] + hh[:, :2 * hid], xp)
        hn_lin[t] = hh[:, 2 * hid:]
        n = a[:, 2 * hid:] = xp.tanh(x[t, :, 2 * hid:] + a[:, :hid] * hh[:, 2 * hid:])
        h_new = n + a[:, hid:2 * hid] * (h - n)
        h = _blend(h_new, h, None if mask is None else mask[t])
        ys[t] = h
    cache.update(acts=acts, hn_lin=hn_lin, h_prev=h_prev)
    return ys


def _simple_forward(relu):
    def forward(xp, x, w_hh, b_hh, h, c, w_hr, mask, reverse, cache):
        steps, batch = x.shape[:2]
        hid = w_hh.shape[0]
        ys = xp.empty((steps, batch, hid), dtype=x.dtype)
        h_new_all = xp.empty((steps, batch, hid), dtype=x.dtype)
        h_prev = xp.empty((steps, batch, hid), dtype=x.dtype)
        w_t = _step_weight(xp, w_hh)
        for t in _steps(steps, reverse):
            h_prev[t] = h
            pre = x[t] + _gemm(h, w_t)
            if b_hh is not None:
                pre += b_hh
            h_new = h_new_all[t] = xp.maximum(pre, 0) if relu else xp.tanh(pre)
            h = _blend(h_new, h, None if mask is None else mask[t])
            ys[t] = h
        cache.update(h_new=h_new_all, h_prev=h_prev)
        return ys
    return forward


# ----------------------------------------------------------------------------- backward passes
def _split_carry(dh, m):
    """Gradient into a step's new state, and the part that skips a masked step."""
    if m is None:
        return dh, None
    new = m * dh
    return new, dh - new


def _hidden_grads(node, d_pre):
    """Gradients of w_hh and b_hh from the (T, B, G*H) gradients of `h @ W_hh.T + b_hh`, as one
    matmul over all steps."""
    h_prev = node.cache["h_prev"]
    g_w = g_b = None
    if node.inputs[1] is not None:
        g_w = _gemm(d_pre.reshape(-1, d_pre.shape[-1]).T, h_prev.reshape(-1, h_prev.shape[-1]))
    if node.inputs[2] is not None:
        g_b = d_pre.sum((0, 1))
    return g_w, g_b


def _lstm_backward(node, g_y, g_c, w_hh, w_hr):
    cache = node.cache
    acts, tanh_c = cache["acts"], cache["tanh_c"]
    steps, batch, h_out = g_y.shape
    hid = node.hidden
    xp = array_module_of(g_y)
    # Everything that does not depend on the incoming gradient, for all steps at once:
    # d(gate pre-activation) = dcn * coef for i, f, g and dh * coef for o; dc_t += dh * dc_coef.
    i, f, g, o = (acts[..., k * hid:(k + 1) * hid] for k in range(4))
    c_prev = _shifted(cache["cells"], cache["c0"], node.reverse)
    coef = xp.empty((steps, batch, 4, hid), dtype=acts.dtype)
    coef[:, :, 0] = g * i * (1 - i)
    coef[:, :, 1] = c_prev * f * (1 - f)
    coef[:, :, 2] = i * (1 - g * g)
    coef[:, :, 3] = tanh_c * o * (1 - o)
    dc_coef = o * (1 - tanh_c * tanh_c)
    d_gates = xp.empty_like(acts)
    d_proj = xp.empty((steps, batch, h_out), dtype=g_y.dtype) if w_hr is not None else None
    dh = xp.zeros((batch, h_out), dtype=g_y.dtype)
    dc = g_c.copy()
    for t in _steps(steps, not node.reverse):
        m = None if node.mask is None else node.mask[t]
        dh_new, dh_carry = _split_carry(dh + g_y[t], m)
        dc_new, dc_carry = _split_carry(dc, m)
        if w_hr is not None:
            d_proj[t] = dh_new
            dh_new = _gemm(dh_new, w_hr)
        dcn = dh_new * dc_coef[t]
        dcn += dc_new
        d = d_gates[t].reshape(batch, 4, hid)
        xp.multiply(dcn[:, None, :], coef[t, :, :3], out=d[:, :3])
        xp.multiply(dh_new, coef[t, :, 3], out=d[:, 3])
        dc = dcn * f[t]
        dh = _gemm(d_gates[t], w_hh)
        if m is not None:
            dh += dh_carry
            dc += dc_carry
    g_wr = None
    if node.inputs[5] is not None:
        g_wr = _gemm(d_proj.reshape(-1, h_out).T, cache["pre_proj"].reshape(-1, hid))
    return (d_gates,) + _hidden_grads(node, d_gates) + (dh, dc, g_wr)


def _shifted(states, first, reverse):
    """The state entering each step: `first` at the first processed step, then the previous
    step's state."""
    prev = states.copy()
    if reverse:
        prev[:-1], prev[-1] = states[1:], first
    else:
        prev[1:], prev[0] = states[:-1], first
    return prev


def _gru_backward(node, g_y, g_c, w_hh, w_hr):
    cache = node.cache
    acts, hn_lin, h_prev = cache["acts"], cache["hn_lin"], cache["h_prev"]
    steps, batch, hid = g_y.shape
    xp = array_module_of(g_y)
    d_x = xp.empty_like(acts)
    d_hh = xp.empty_like(acts)
    dh = xp.zeros((batch, hid), dtype=g_y.dtype)
    for t in _steps(steps, not node.reverse):
        m = None if node.mask is None else node.mask[t]
        dh_new, dh_carry = _split_carry(dh + g_y[t], m)
        a = acts[t]
        r, z, n = a[:, :hid], a[:, hid:2 * hid], a[:, 2 * hid:]
        dn = dh_new * (1 - z) * (1 - n * n)
        dx, dhh = d_x[t], d_hh[t]
        dx[:, :hid] = dhh[:, :hid] = dn * hn_lin[t] * r * (1 - r)
        dx[:, hid:2 * hid] = dhh[:, hid:2 * hid] = dh_new * (h_prev[t] - n) * z * (1 - z)
        dx[:, 2 * hid:] = dn
        dhh[:, 2 * hid:] = dn * r
        dh = _gemm(dhh, w_hh) + dh_new * z
        if m is not None:
            dh += dh_carry
    return (d_x,) + _hidden_grads(node, d_hh) + (dh, None, None)


def _simple_backward(relu):
    def backward(node, g_y, g_c, w_hh, w_hr):
        h_new = node.cache["h_new"]
        steps, batch, hid = g_y.shape
        xp = array_module_of(g_y)
        d_pre = xp.empty_like(h_new)
        dh = xp.zeros((batch, hid), dtype=g_y.dtype)
        for t in _steps(steps, not node.reverse):
            m = None if node.mask is None else node.mask[t]
            dh_new, dh_carry = _split_carry(dh + g_y[t], m)
            hn = h_new[t]
            d = d_pre[t] = dh_new * (hn > 0) if relu else dh_new * (1 - hn * hn)
            dh = _gemm(d, w_hh)
            if m is not None:
                dh += dh_carry
        return (d_pre,) + _hidden_grads(node, d_pre) + (dh, None, None)
    return backward


_FORWARD = {"LSTM": _lstm_forward, "GRU": _gru_forward,
            "RNN_TANH": _simple_forward(False), "RNN_RELU": _simple_forward(True)}
_BACKWARD = {"LSTM": _lstm_backward, "GRU": _gru_backward,
             "RNN_TANH": _simple_backward(False), "RNN_RELU": _simple_backward(True)}

__all__ = []
