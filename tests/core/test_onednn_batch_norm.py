"""Batch norm's training backward through oneDNN (ember._onednn.batch_norm) against ember's
NumPy formula: same gradients for every input rank, with and without affine parameters."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember._onednn import available, batch_norm, library

pytestmark = pytest.mark.skipif(not available(), reason="oneDNN (ember[onednn]) not installed")


def _grads(use_onednn, monkeypatch, shape, weight, bias, op):
    monkeypatch.setattr(library, "enabled", use_onednn)
    rng = np.random.default_rng(0)
    x = ember.tensor((rng.standard_normal(shape) * 3 + 1).astype(np.float32), requires_grad=True)
    c = shape[1]
    w = ember.tensor(rng.standard_normal(c).astype(np.float32), requires_grad=True) \
        if weight else None
    b = ember.tensor(rng.standard_normal(c).astype(np.float32), requires_grad=True) \
        if bias else None
    out = op(x, w, b)
    out.backward(ember.tensor(rng.standard_normal(shape).astype(np.float32)))
    return [t.grad.numpy() for t in (x, w, b) if t is not None]


def _batch_norm(x, w, b):
    return F.batch_norm(x, None, None, w, b, training=True, eps=1e-3)


def _instance_norm(x, w, b):
    return F.instance_norm(x, weight=w, bias=b)


@pytest.mark.parametrize("shape", [(16, 5), (4, 3, 7), (2, 6, 5, 4), (2, 3, 2, 3, 4)])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("op", [_batch_norm, _instance_norm])
def test_matches_the_numpy_backward(shape, affine, op, monkeypatch):
    if op is _instance_norm and len(shape) < 3:
        pytest.skip("instance norm needs spatial dims")
    calls = []
    real = batch_norm.backward
    monkeypatch.setattr(batch_norm, "backward", lambda *a: calls.append(1) or real(*a))
    ours = _grads(True, monkeypatch, shape, affine, affine, op)
    reference = _grads(False, monkeypatch, shape, affine, affine, op)
    assert calls
    for got, want in zip(ours, reference):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_weight_without_bias_keeps_the_numpy_formula(monkeypatch):
    monkeypatch.setattr(batch_norm, "backward", lambda *a: pytest.fail("reached oneDNN"))
    _grads(True, monkeypatch, (4, 3, 5), True, False, _batch_norm)


def test_module_training_step_uses_it(monkeypatch):
    calls = []
    real = batch_norm.backward
    monkeypatch.setattr(batch_norm, "backward", lambda *a: calls.append(1) or real(*a))
    bn = ember.nn.BatchNorm2d(3)
    bn(ember.randn(4, 3, 5, 5)).sum().backward()
    assert calls and bn.weight.grad is not None and bn.bias.grad is not None
