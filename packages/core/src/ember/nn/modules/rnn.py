"""Recurrent layers: RNN, LSTM, GRU (multi-layer, bidirectional, packed sequences) and cells.

Parameter names and shapes are PyTorch's, so its state_dicts load unchanged. Each layer and
direction is one `nn.functional.rnn.rnn_layer`: oneDNN's fused LSTM for float32 LSTMs when the
library is loaded, else the whole sequence's input projection in one `F.linear` and the fused
recurrence of `nn.functional.rnn`.
"""
import math

import numpy as np

from ... import _dtypes
from ..._device import array_module_of
from ...ops.creation import empty, zeros
from .. import functional as F
from .. import init
from ..functional.rnn import GATES, recurrence, rnn_layer
from ..parameter import Parameter
from ..utils.rnn import PackedSequence, _gather_rows, _host_ints, _with_pad_row
from .module import Module


def _factory(device, dtype):
    return {"device": device, "dtype": dtype if dtype is not None else
            _dtypes.get_default_dtype()}


def _packed_to_padded(data, batch_sizes):
    """Packed rows (N, *) to a time-major (T, B, *) batch in sorted order, its (T, B, 1) mask
    (as a 0/1 array of data's dtype) and the flat (T*B) positions of the packed rows."""
    steps, batch = batch_sizes.size, int(batch_sizes[0])
    valid = np.arange(batch)[None, :] < batch_sizes[:, None]  # (T, B)
    positions = np.flatnonzero(valid)  # time-major, so in packed order
    index = np.full(steps * batch, data.shape[0], dtype=np.int64)
    index[positions] = np.arange(positions.size)
    rows = _with_pad_row(data, 0.0)
    padded = _gather_rows(rows, index.reshape(steps, batch), data.device)
    mask = array_module_of(data._data).asarray(valid[:, :, None].astype(data._data.dtype))
    return padded, mask, positions


class RNNBase(Module):
    """Shared machinery of RNN, LSTM and GRU; `mode` is RNN_TANH, RNN_RELU, LSTM or GRU."""

    __constants__ = ["mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first",
                     "dropout", "bidirectional", "proj_size"]

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        if not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1 or \
                isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError(f"{name}: hidden_size must be a positive integer, got {hidden_size}")
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError(f"{name}: num_layers must be a positive integer, got {num_layers}")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        kw = _factory(device, dtype)
        gate_size = GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names = []
        for layer in range(num_layers):
            for suffix in ("", "_reverse")[:2 if bidirectional else 1]:
                layer_in = input_size if layer == 0 else real_hidden * (2 if bidirectional else 1)
                shapes = [("weight_ih", (gate_size, layer_in)),
                          ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                for kind, shape in shapes:
                    pname = f"{kind}_l{layer}{suffix}"
                    setattr(self, pname, Parameter(empty(shape, **kw)))
                    self._flat_weights_names.append(pname)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    def _layer_weights(self, layer, suffix):
        get = lambda kind: getattr(self, f"{kind}_l{layer}{suffix}", None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"), \
            get("weight_hr")

    def _check_input(self, input, batched_dims=3):
        name = type(self).__name__
        if input.ndim not in (batched_dims - 1, batched_dims):
            raise ValueError(f"{name}: Expected input to be {batched_dims - 1}D or "
                             f"{batched_dims}D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")
        if not input.dtype.is_floating_point:
            raise RuntimeError(f"{name}: expected a floating point input, got {input.dtype}")

    def _check_hidden(self, hx, expected, what="hidden"):
        if tuple(hx.shape) != tuple(expected):
            raise RuntimeError(f"{type(self).__name__}: Expected {what} size {tuple(expected)}, "
                               f"got {list(hx.shape)}")

    def forward(self, input, hx=None):
        packed = isinstance(input, PackedSequence)
        mask = positions = None
        if packed:
            batch_sizes = _host_ints(input.batch_sizes)
            self._check_input(input.data, batched_dims=2)
            x, mask, positions = _packed_to_padded(input.data, batch_sizes)
            batched = True
        else:
            self._check_input(input)
            batched = input.ndim == 3
            x = input if batched else input.unsqueeze(1)
            if self.batch_first and batched:
                x = x.transpose(0, 1)
        steps, batch = x.shape[:2]
        directions = 2 if self.bidirectional else 1
        h_out = self.proj_size or self.hidden_size
        is_lstm = self.mode == "LSTM"
        h0, c0 = self._initial_states(hx, batched, batch, directions, h_out, x, is_lstm)
        if packed and input.sorted_indices is not None:
            h0 = h0.index_select(1, input.sorted_indices)
            c0 = c0.index_select(1, input.sorted_indices) if is_lstm else None
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for d, suffix in enumerate(("", "_reverse")[:directions]):
                w_ih, w_hh, b_ih, b_hh, w_hr = self._layer_weights(layer, suffix)
                k = layer * directions + d
                out, h, c = rnn_layer(self.mode, x, w_ih, b_ih, w_hh, b_hh, h0[k],
                                      c0[k] if is_lstm else None, w_hr, mask, reverse=d == 1)
                outs.append(out)
                h_n.append(h)
                c_n.append(c)
            x = outs[0] if directions == 1 else _cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, training=True)
        h_n = _stack(h_n)
        c_n = _stack(c_n) if is_lstm else None
        if packed:
            output = _gather_rows(x.reshape(steps * batch, -1), positions, x.device)
            output = PackedSequence(output, input.batch_sizes, input.sorted_indices,
                                    input.unsorted_indices)
            if input.unsorted_indices is not None:
                h_n = h_n.index_select(1, input.unsorted_indices)
                c_n = c_n.index_select(1, input.unsorted_indices) if is_lstm else None
        else:
            output = x
            if self.batch_first and batched:
                output = output.transpose(0, 1)
            if not batched:
                output, h_n = output.squeeze(1), h_n.squeeze(1)
                c_n = c_n.squeeze(1) if is_lstm else None
        return output, ((h_n, c_n) if is_lstm else h_n)

    def _initial_states(self, hx, batched, batch, directions, h_out, x, is_lstm):
        layers = self.num_layers * directions
        h_shape, c_shape = (layers, batch, h_out), (layers, batch, self.hidden_size)
        if hx is None:
            kw = {"dtype": x.dtype, "device": x.device}
            return zeros(h_shape, **kw), zeros(c_shape, **kw) if is_lstm else None
        if is_lstm:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise RuntimeError("LSTM: expected hx to be a tuple (h_0, c_0)")
            h0, c0 = hx
        else:
            if isinstance(hx, (tuple, list)):
                raise RuntimeError(f"{type(self).__name__}: expected hx to be a Tensor, got a "
                                   "tuple")
            h0, c0 = hx, None
        if not batched:
            if h0.ndim != 2:
                raise RuntimeError(f"{type(self).__name__}: For unbatched 2-D input, hx should "
                                   f"also be 2-D but got {h0.ndim}-D tensor")
            h0 = h0.unsqueeze(1)
            c0 = c0.unsqueeze(1) if is_lstm else None
        self._check_hidden(h0, h_shape)
        if is_lstm:
            self._check_hidden(c0, c_shape, "cell")
        return h0, c0

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


def _cat(tensors, dim):
    from ...ops.joining import cat
    return cat(tensors, dim)


def _stack(tensors):
    from ...ops.joining import stack
    return stack(tensors)


class RNN(RNNBase):
    """Elman RNN: `h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)` (or relu)."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)

    def extra_repr(self):
        s = super().extra_repr()
        return s if self.nonlinearity == "tanh" else s + ", nonlinearity=relu"


class LSTM(RNNBase):
    """Long short-term memory; returns (output, (h_n, c_n)); gates i, f, g, o."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit; gates r, z, n."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)


class RNNCellBase(Module):
    """One time step of a recurrent layer: parameters weight_ih, weight_hh, bias_ih, bias_hh."""

    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, mode, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        kw = _factory(device, dtype)
        self.mode, self.input_size, self.hidden_size, self.bias = mode, input_size, hidden_size, \
            bias
        gate_size = GATES[mode] * hidden_size
        self.weight_ih = Parameter(empty((gate_size, input_size), **kw))
        self.weight_hh = Parameter(empty((gate_size, hidden_size), **kw))
        if bias:
            self.bias_ih = Parameter(empty(gate_size, **kw))
            self.bias_hh = Parameter(empty(gate_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    reset_parameters = RNNBase.reset_parameters

    def _step(self, input, hx):
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        is_lstm = self.mode == "LSTM"
        shape = (x.shape[0], self.hidden_size)
        if hx is None:
            h0 = zeros(shape, dtype=x.dtype, device=x.device)
            c0 = zeros(shape, dtype=x.dtype, device=x.device) if is_lstm else None
        else:
            h0, c0 = hx if is_lstm else (hx, None)
            if not batched:
                h0 = h0.unsqueeze(0)
                c0 = c0.unsqueeze(0) if is_lstm else None
            for what, t in (("hidden", h0), ("cell", c0)):
                if t is not None and tuple(t.shape) != shape:
                    raise RuntimeError(f"{name}: Expected {what} size {shape}, got "
                                       f"{list(t.shape)}")
        xproj = F.linear(x, self.weight_ih, self.bias_ih).unsqueeze(0)
        _, h, c = recurrence(self.mode, xproj, self.weight_hh, self.bias_hh, h0, c0)
        if not batched:
            h = h.squeeze(0)
            c = c.squeeze(0) if is_lstm else None
        return (h, c) if is_lstm else h

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class RNNCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        return self._step(input, hx)


class LSTMCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        return self._step(input, hx)


class GRUCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        return self._step(input, hx)


__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]
