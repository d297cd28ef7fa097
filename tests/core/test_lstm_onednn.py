"""nn.LSTM through oneDNN's fused LSTM (nn/functional/_lstm_onednn.py): equal to ember's own
NumPy recurrence for every layout the module offers, double backward through the composite
path, and the cases that must keep the NumPy recurrence."""
import numpy as np
import pytest

import ember
from ember._onednn import available, library
from ember.nn.functional import _lstm_onednn

pytestmark = pytest.mark.skipif(not available(), reason="oneDNN (ember[onednn]) not installed")


def _arr(seed, shape):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _run(use_onednn, monkeypatch, layers, bidirectional, bias, batch_first):
    monkeypatch.setattr(library, "enabled", use_onednn)
    ember.manual_seed(0)
    lstm = ember.nn.LSTM(6, 5, num_layers=layers, bidirectional=bidirectional, bias=bias,
                         batch_first=batch_first)
    states = layers * (2 if bidirectional else 1)
    x = ember.tensor(_arr(0, (4, 3, 6)), requires_grad=True)
    h0 = ember.tensor(_arr(1, (states, 4 if batch_first else 3, 5)), requires_grad=True)
    c0 = ember.tensor(_arr(2, h0.shape), requires_grad=True)
    y, (h, c) = lstm(x, (h0, c0))
    loss = sum((t * ember.tensor(_arr(3 + i, t.shape))).sum() for i, t in enumerate((y, h, c)))
    loss.backward()
    return ([t.detach().numpy() for t in (y, h, c)] +
            [t.grad.numpy() for t in (x, h0, c0)] + [p.grad.numpy() for p in lstm.parameters()])


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, False), (1, True), (2, True)])
def test_matches_the_numpy_recurrence(layers, bidirectional, bias, batch_first, monkeypatch):
    ours = _run(True, monkeypatch, layers, bidirectional, bias, batch_first)
    reference = _run(False, monkeypatch, layers, bidirectional, bias, batch_first)
    for got, want in zip(ours, reference):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_forward_and_backward_run_in_onednn(monkeypatch):
    calls = []
    for name in ("forward", "backward"):
        real = getattr(_lstm_onednn._onednn_lstm, name)
        monkeypatch.setattr(_lstm_onednn._onednn_lstm, name,
                            lambda *a, _real=real, _name=name: calls.append(_name) or _real(*a))
    y, _ = ember.nn.LSTM(3, 4, num_layers=2)(ember.randn(2, 1, 3))
    y.sum().backward()
    assert calls == ["forward", "forward", "backward", "backward"]


def test_double_backward_matches_the_numpy_recurrence(monkeypatch):
    def grad_of_grad(use_onednn):
        monkeypatch.setattr(library, "enabled", use_onednn)
        ember.manual_seed(0)
        lstm = ember.nn.LSTM(3, 4)
        x = ember.tensor(_arr(0, (3, 2, 3)), requires_grad=True)
        y, _ = lstm(x)
        (gx,) = ember.autograd.grad((y ** 2).sum(), x, create_graph=True)
        (gx ** 2).sum().backward()
        return gx.detach().numpy(), lstm.weight_hh_l0.grad.numpy()

    for got, want in zip(grad_of_grad(True), grad_of_grad(False)):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("make", [
    lambda: (ember.nn.LSTM(3, 4, proj_size=2), ember.randn(2, 1, 3)),
    lambda: (ember.nn.LSTM(3, 4).double(), ember.randn(2, 1, 3, dtype=ember.float64)),
    lambda: (ember.nn.LSTM(3, 4), ember.nn.utils.rnn.pack_padded_sequence(
        ember.randn(3, 2, 3), [3, 2])),
    lambda: (ember.nn.GRU(3, 4), ember.randn(2, 1, 3)),
])
def test_other_layers_keep_the_numpy_recurrence(make, monkeypatch):
    monkeypatch.setattr(_lstm_onednn._onednn_lstm, "forward",
                        lambda *a: pytest.fail("reached oneDNN's LSTM"))
    module, x = make()
    module(x)
