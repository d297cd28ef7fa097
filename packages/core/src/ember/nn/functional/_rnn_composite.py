"""The recurrence written with ember ops, for double backward through a fused RNN layer.

The fused op (`rnn.recurrence`) backpropagates on raw arrays, which gives no graph to
differentiate again. Under `create_graph=True` its node instead recomputes the layer here, as
ordinary differentiable ops on the very input tensors, and differentiates that with
`create_graph`: slower, but the gradients it returns have a graph of their own (PyTorch's CPU
RNNs allow double backward the same way, being composite there).
"""


def composite_output(mode, xproj, w_hh, b_hh, h0, c0, w_hr, mask, reverse):
    """The fused op's output for the same inputs, as a differentiable function of them: all
    steps' h (T, B, H), or for an LSTM all steps' h flattened followed by the final c."""
    from ... import Tensor, cat, relu, sigmoid, stack, tanh
    steps = xproj.shape[0]
    h, c = h0, c0
    outs = [None] * steps
    w_t = w_hh.t()
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        x = xproj[t]
        hh = h @ w_t
        if b_hh is not None:
            hh = hh + b_hh
        if mode == "LSTM":
            i, f, g, o = (x + hh).chunk(4, -1)
            c_new = sigmoid(f) * c + sigmoid(i) * tanh(g)
            h_new = sigmoid(o) * tanh(c_new)
            if w_hr is not None:
                h_new = h_new @ w_hr.t()
        elif mode == "GRU":
            xr, xz, xn = x.chunk(3, -1)
            hr, hz, hn = hh.chunk(3, -1)
            r, z = sigmoid(xr + hr), sigmoid(xz + hz)
            n = tanh(xn + r * hn)
            h_new = n + z * (h - n)
        else:
            pre = x + hh
            h_new = relu(pre) if mode == "RNN_RELU" else tanh(pre)
        if mask is not None:
            m = Tensor._make(mask[t])
            h_new = h + m * (h_new - h)
            if mode == "LSTM":
                c_new = c + m * (c_new - c)
        h = outs[t] = h_new
        if mode == "LSTM":
            c = c_new
    ys = stack(outs)
    return cat([ys.reshape(-1), c.reshape(-1)]) if mode == "LSTM" else ys


def grads_with_graph(out, inputs, edges, grad):
    """The gradients of `out` (given `grad`) with respect to each of `inputs` that exists and has
    an edge in `edges` (a node's `inputs`), None for the others, all carrying a graph."""
    from ...autograd import grad as autograd_grad
    wanted = [t for t, e in zip(inputs, edges) if t is not None and e is not None]
    found = iter(autograd_grad(out, wanted, grad, create_graph=True, allow_unused=True))
    return tuple(next(found) if t is not None and e is not None else None
                 for t, e in zip(inputs, edges))
