"""An LSTM layer (one direction, no projection, no packed-sequence mask) as one op over
oneDNN's fused LSTM primitive (`ember._onednn.lstm`): the input projection, the recurrence and
their backward in one call each, as PyTorch's CPU LSTM runs. `rnn.rnn_layer` takes this path for
float32 NumPy tensors when oneDNN is loaded, and `recurrence` otherwise."""
import numpy as np

from ..._onednn import library as _onednn, lstm as _onednn_lstm
from ..._tensor import Tensor
from ...autograd.grad_mode import state as _grad_state
from ...autograd.graph import Node
from ...ops._common import attach, requires_grad


class MkldnnRnnLayerBackward0(Node):
    # Inputs (x, w_ih, b_ih, w_hh, b_hh, h0, c0); `present` marks the biases that exist.
    # `arrays`: the forward's bias (b_ih + b_hh), flat output, h_n and workspace, which
    # oneDNN's backward reads.
    __slots__ = ("reverse", "present", "arrays")

    def _inputs(self):
        saved = iter(self.unpack())
        return [next(saved) if p else None for p in self.present]

    def backward(self, grad):
        inputs = self._inputs()
        if _grad_state.enabled:
            return self._backward_with_graph(inputs, grad)
        x, w_ih, b_ih, w_hh, _, h0, c0 = (None if t is None else t._data for t in inputs)
        bias, out, h_n, workspace = self.arrays
        gx, gw_ih, gw_hh, gb, gh0, gc0 = _onednn_lstm.backward(
            x, w_ih, w_hh, bias, h0, c0, self.reverse, out, h_n, workspace, grad._data)
        grads = (gx, gw_ih, gb, gw_hh, gb.copy() if b_ih is not None else gb, gh0, gc0)
        return tuple(None if e is None or t is None else Tensor._make(g)
                     for g, t, e in zip(grads, inputs, self.inputs))

    def _backward_with_graph(self, inputs, grad):
        """create_graph=True: differentiate the layer recomputed with ember ops, so the
        gradients carry a graph (as `rnn.RnnLayerBackward0` does)."""
        from ._rnn_composite import composite_output, grads_with_graph
        from .linear import linear
        x, w_ih, b_ih, w_hh, b_hh, h0, c0 = inputs
        out = composite_output("LSTM", linear(x, w_ih, b_ih), w_hh, b_hh, h0, c0, None, None,
                               self.reverse)
        return grads_with_graph(out, inputs, self.inputs, grad)

    def release(self):
        super().release()
        self.arrays = None


def _bias(b_ih, b_hh, w_hh):
    """oneDNN's single bias: b_ih + b_hh, zeros for a layer without biases."""
    if b_ih is None:
        return np.zeros(w_hh.shape[0], np.float32)
    return b_ih + b_hh


def lstm_layer(x, w_ih, b_ih, w_hh, b_hh, h0, c0, reverse):
    """(output (T, B, H), h_n (B, H), c_n (B, H)) like `rnn.recurrence`, or None when oneDNN
    does not take these tensors."""
    tensors = (x, w_ih, b_ih, w_hh, b_hh, h0, c0)
    if not _onednn.takes(*(t._data for t in tensors if t is not None)):
        return None
    arrays = [None if t is None else t._data for t in tensors]
    bias = _bias(arrays[2], arrays[4], arrays[3])
    result = _onednn_lstm.forward(arrays[0], arrays[1], arrays[3], bias, arrays[5], arrays[6],
                                  reverse)
    if result is None:
        return None
    out, h_n, workspace = result
    node = None
    if requires_grad(*tensors):
        node = MkldnnRnnLayerBackward0(None)
        node.reverse, node.arrays = reverse, (bias, out, h_n, workspace)
        node.present = tuple(t is not None for t in tensors)
        node.save(*(t for t in tensors if t is not None))
    result = attach(out, node, tensors)
    steps, batch = x.shape[:2]
    hidden = w_hh.shape[1]
    n_out = steps * batch * hidden
    ys = result[:n_out].reshape(steps, batch, hidden)
    return ys, ys[0 if reverse else steps - 1], result[n_out:].reshape(batch, hidden)
