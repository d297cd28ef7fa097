"""ember.amp.GradScaler on CPU tensors: scaling, unscaling, inf/nan skipping, scale schedule."""
import math

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.amp import GradScaler


def _model():
    ember.manual_seed(0)
    lin = ember.nn.Linear(4, 1)
    return lin, ember.optim.SGD(lin.parameters(), lr=0.1)


def _batch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 4)).astype("float32")
    return ember.tensor(x), ember.tensor(x @ np.array([[1.0], [-2.0], [0.5], [3.0]], "float32"))


def test_scale_unscale_matches_plain_gradients():
    lin, opt = _model()
    x, y = _batch()
    F.mse_loss(lin(x), y).backward()
    plain = lin.weight.grad.numpy().copy()
    opt.zero_grad()
    scaler = GradScaler("cpu", init_scale=1024.0)
    loss = scaler.scale(F.mse_loss(lin(x), y))
    loss.backward()
    np.testing.assert_allclose(lin.weight.grad.numpy(), plain * 1024, rtol=1e-5)
    scaler.unscale_(opt)
    np.testing.assert_allclose(lin.weight.grad.numpy(), plain, rtol=1e-5)
    with pytest.raises(RuntimeError, match="already been called"):
        scaler.unscale_(opt)
    before = lin.weight.detach().clone()
    scaler.step(opt)
    assert not np.allclose(before.numpy(), lin.weight.detach().numpy())
    scaler.update()
    assert scaler.get_scale() == 1024.0


@pytest.mark.parametrize("bad", [math.inf, math.nan])
def test_step_skipped_and_scale_backs_off(bad):
    lin, opt = _model()
    scaler = GradScaler("cpu", init_scale=8.0)
    x, y = _batch()
    scaler.scale(F.mse_loss(lin(x), y)).backward()
    lin.weight.grad[0, 0] = bad
    before = lin.weight.detach().clone()
    assert scaler.step(opt) is None
    np.testing.assert_array_equal(before.numpy(), lin.weight.detach().numpy())
    scaler.update()
    assert scaler.get_scale() == 4.0


def test_growth_every_interval():
    lin, opt = _model()
    scaler = GradScaler("cpu", init_scale=2.0, growth_interval=3)
    x, y = _batch()
    scales = []
    for _ in range(6):
        opt.zero_grad()
        scaler.scale(F.mse_loss(lin(x), y)).backward()
        scaler.step(opt)
        scaler.update()
        scales.append(scaler.get_scale())
    assert scales == [2.0, 2.0, 4.0, 4.0, 4.0, 8.0]


def test_training_loop_with_autocast_converges():
    lin, opt = _model()
    scaler = GradScaler("cpu")
    x, y = _batch()
    losses = []
    for _ in range(60):
        opt.zero_grad()
        with ember.autocast("cpu"):
            out = lin(x)
            loss = F.mse_loss(out, y)
        assert out.dtype is ember.bfloat16 and loss.dtype is ember.float32
        scaler.scale(loss).backward()
        assert lin.weight.grad.dtype is ember.float32
        scaler.step(opt)
        scaler.update()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]


def test_state_dict_roundtrip_and_disabled():
    s = GradScaler("cpu", init_scale=16.0, growth_interval=7)
    s._growth_tracker = 3
    t = GradScaler("cpu")
    t.load_state_dict(s.state_dict())
    assert t.state_dict() == s.state_dict() == {
        "scale": 16.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 7,
        "_growth_tracker": 3}
    off = GradScaler("cpu", enabled=False)
    loss = ember.tensor(2.0)
    assert off.scale(loss) is loss and off.get_scale() == 1.0 and off.state_dict() == {}
    with pytest.raises(RuntimeError, match="empty"):
        t.load_state_dict({})


def test_errors():
    with pytest.raises(ValueError, match="growth_factor"):
        GradScaler(growth_factor=1.0)
    with pytest.raises(ValueError, match="backoff_factor"):
        GradScaler(backoff_factor=1.5)
    with pytest.raises(TypeError, match="GradScaler.scale"):
        GradScaler("cpu").scale("loss")
    with pytest.raises(RuntimeError, match="No inf checks"):
        GradScaler("cpu").update()
    lin, opt = _model()
    with pytest.raises(RuntimeError, match="Closure"):
        GradScaler("cpu").step(opt, lambda: None)


def test_scale_nested_outputs():
    s = GradScaler("cpu", init_scale=4.0)
    a, b = s.scale([ember.tensor(1.0), (ember.tensor(2.0),)])
    assert a.item() == 4.0 and b[0].item() == 8.0


@pytest.mark.parity
def test_schedule_matches_torch():
    import torch
    ts = torch.amp.GradScaler("cpu", init_scale=4.0, growth_interval=2)
    es = GradScaler("cpu", init_scale=4.0, growth_interval=2)
    tp = torch.nn.Parameter(torch.ones(3))
    ep = ember.nn.Parameter(ember.ones(3))
    topt, eopt = torch.optim.SGD([tp], lr=0.1), ember.optim.SGD([ep], lr=0.1)
    for bad in [False, False, True, False, False, False]:
        for p, s, o in ((tp, ts, topt), (ep, es, eopt)):
            o.zero_grad()
            s.scale((p * p).sum()).backward()
            if bad:
                p.grad[1] = float("inf")
            s.step(o)
            s.update()
        assert ts.get_scale() == es.get_scale()
        np.testing.assert_allclose(tp.detach().numpy(), ep.detach().numpy(), rtol=1e-6)
