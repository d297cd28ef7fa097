"""batch_norm, layer_norm, group_norm, instance_norm, rms_norm, local_response_norm and their
modules: gradcheck, parity with PyTorch (forward, gradients, running statistics), reprs,
state_dict, errors."""
import numpy as np
import pytest
from ember_testing import assert_close, check_gradcheck, check_parity, rand, torch_or_skip

import ember
import ember.nn as nn
import ember.nn.functional as F


def _stats(c, dtype="float64"):
    return (ember.from_numpy(np.linspace(-0.5, 0.5, c).astype(dtype)),
            ember.from_numpy(np.linspace(0.5, 2.0, c).astype(dtype)))


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (3, 2, 5), (2, 3, 2, 3)])
def test_batch_norm_gradcheck(training, shape):
    c = shape[1]
    rm, rv = _stats(c)
    check_gradcheck(lambda x, w, b: F.batch_norm(x, rm.to(x.device), rv.to(x.device), w, b,
                                                 training), rand(*shape),
                    rand(c), rand(c), gradgrad=True)


def test_batch_norm_gradcheck_no_affine():
    check_gradcheck(lambda x: F.batch_norm(x, None, None, training=True), rand(3, 2, 4),
                    gradgrad=True)


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (2, 2, 3)])
def test_layer_norm_gradcheck(shape):
    ns = shape[1:]
    check_gradcheck(lambda x, w, b: F.layer_norm(x, ns, w, b), rand(*shape), rand(*ns),
                    rand(*ns), gradgrad=True)


def test_group_instance_rms_lrn_gradcheck():
    check_gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), rand(2, 4, 3), rand(4), rand(4))
    check_gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), rand(2, 3, 4),
                    rand(3), rand(3))
    check_gradcheck(lambda x, w: F.rms_norm(x, (4,), w), rand(3, 4), rand(4))
    check_gradcheck(lambda x: F.local_response_norm(x, 3), rand(2, 5, 3))


@pytest.mark.parity
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 5), (2, 3, 2, 2, 3)])
def test_batch_norm_parity(training, shape):
    c = shape[1]

    def fn(m, x, w, b):
        rm = m.arange(c, dtype=x.dtype) * 0.2 - 0.1
        rv = m.ones(c, dtype=x.dtype) * 1.5
        F_ = m.nn.functional
        out = F_.batch_norm(x, rm, rv, w, b, training, 0.1, 1e-5)
        return out, rm, rv
    check_parity(fn, rand(*shape), rand(c), rand(c))


@pytest.mark.parity
@pytest.mark.parametrize("ns", [(5,), (3, 5)])
def test_layer_norm_parity(ns):
    check_parity(lambda m, x, w, b: m.nn.functional.layer_norm(x, ns, w, b, 1e-5),
                 rand(2, 3, 5), rand(*ns), rand(*ns))
    check_parity(lambda m, x: m.nn.functional.layer_norm(x, ns), rand(2, 3, 5))


@pytest.mark.parity
def test_other_norms_parity():
    check_parity(lambda m, x, w, b: m.nn.functional.group_norm(x, 3, w, b), rand(2, 6, 4),
                 rand(6), rand(6))
    check_parity(lambda m, x, w, b: m.nn.functional.instance_norm(x, weight=w, bias=b),
                 rand(2, 3, 4, 3), rand(3), rand(3))
    check_parity(lambda m, x, w: m.nn.functional.rms_norm(x, (4,), w), rand(3, 4), rand(4))
    check_parity(lambda m, x: m.nn.functional.rms_norm(x, (4,), eps=1e-3), rand(3, 4))
    check_parity(lambda m, x: m.nn.functional.local_response_norm(x, 3), rand(2, 5, 3))
    check_parity(lambda m, x: m.nn.functional.local_response_norm(x, 2, 0.1, 0.5, 2.0),
                 rand(2, 4, 2, 2))


@pytest.mark.parity
@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batchnorm_module_steps_parity(momentum, dtype):
    torch = torch_or_skip()
    e = nn.BatchNorm2d(3, momentum=momentum, dtype=getattr(ember, dtype))
    t = torch.nn.BatchNorm2d(3, momentum=momentum, dtype=getattr(torch, dtype))
    for step in range(4):
        x = rand(4, 3, 5, 5, seed=step, dtype=dtype)
        ex, tx = ember.from_numpy(x).requires_grad_(), torch.from_numpy(x).requires_grad_()
        eo, to = e(ex), t(tx)
        (eo * eo).sum().backward()
        (to * to).sum().backward()
        tol = 1e-4 if dtype == "float32" else 1e-9
        assert_close(eo, to, tol, tol)
        assert_close(ex.grad, tx.grad, tol * 10, tol * 10)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        assert_close(getattr(e, name), getattr(t, name), 1e-5, 1e-6, name)
    assert_close(e.weight.grad, t.weight.grad, 1e-4, 1e-4)
    e.eval()
    t.eval()
    x = rand(2, 3, 5, 5, seed=9, dtype=dtype)
    assert_close(e(ember.from_numpy(x)), t(torch.from_numpy(x)), 1e-5, 1e-6)


@pytest.mark.parity
def test_batchnorm_no_tracking_and_no_affine_parity():
    torch = torch_or_skip()
    for kw in ({"track_running_stats": False}, {"affine": False}):
        e, t = nn.BatchNorm1d(3, **kw), torch.nn.BatchNorm1d(3, **kw)
        x = rand(5, 3, dtype="float32")
        for mode in ("train", "eval"):
            getattr(e, mode)()
            getattr(t, mode)()
            assert_close(e(ember.from_numpy(x)), t(torch.from_numpy(x)), 1e-5, 1e-6)


@pytest.mark.parity
def test_instancenorm_module_running_stats_parity():
    torch = torch_or_skip()
    e = nn.InstanceNorm1d(3, affine=True, track_running_stats=True)
    t = torch.nn.InstanceNorm1d(3, affine=True, track_running_stats=True)
    x = rand(2, 3, 6, dtype="float32")
    assert_close(e(ember.from_numpy(x)), t(torch.from_numpy(x)), 1e-5, 1e-6)
    assert_close(e.running_mean, t.running_mean, 1e-5, 1e-6)
    assert_close(e.running_var, t.running_var, 1e-5, 1e-6)
    e.eval()
    t.eval()
    assert_close(e(ember.from_numpy(x[0])), t(torch.from_numpy(x[0])), 1e-5, 1e-6)


@pytest.mark.parity
def test_load_torch_batchnorm_state_dict():
    torch = torch_or_skip()
    t = torch.nn.BatchNorm2d(4)
    t(torch.randn(3, 4, 2, 2))
    sd = {k: ember.from_numpy(v.numpy().copy()) for k, v in t.state_dict().items()}
    e = nn.BatchNorm2d(4)
    e.load_state_dict(sd)
    assert int(e.num_batches_tracked) == 1
    assert_close(e.running_var, t.running_var)
    old = {k: v for k, v in sd.items() if k != "num_batches_tracked"}
    old = type(e.state_dict())(old)
    old._metadata = {"": {"version": 1}}
    nn.BatchNorm2d(4).load_state_dict(old)  # pre-version-2 checkpoints lack the counter


def test_reprs_and_state_dict_keys():
    assert repr(nn.BatchNorm2d(16)) == ("BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, "
                                        "track_running_stats=True)")
    assert repr(nn.LayerNorm((4, 5), bias=False)) == ("LayerNorm((4, 5), eps=1e-05, "
                                                      "elementwise_affine=True)")
    assert repr(nn.GroupNorm(2, 4)) == "GroupNorm(2, 4, eps=1e-05, affine=True)"
    assert repr(nn.InstanceNorm1d(3)) == ("InstanceNorm1d(3, eps=1e-05, momentum=0.1, "
                                          "affine=False, track_running_stats=False)")
    assert repr(nn.RMSNorm(4)) == "RMSNorm((4,), eps=None, elementwise_affine=True)"
    assert repr(nn.LocalResponseNorm(2)) == "LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)"
    m = nn.BatchNorm1d(3)
    assert list(m.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                    "num_batches_tracked"]
    assert m.num_batches_tracked.dtype == ember.int64
    assert list(nn.LayerNorm(4, bias=False).state_dict()) == ["weight"]
    assert list(nn.BatchNorm1d(3, affine=False, track_running_stats=False).state_dict()) == []


def test_double_backward_matches_composed():
    x = ember.from_numpy(rand(4, 3)).requires_grad_()
    (g,) = ember.autograd.grad(F.layer_norm(x, (3,)).pow(3).sum(), x, create_graph=True)
    (gg,) = ember.autograd.grad(g.sum(), x)
    x2 = ember.from_numpy(rand(4, 3)).requires_grad_()
    m = x2.mean(-1, keepdim=True)
    y = (x2 - m) / ((x2 - m).pow(2).mean(-1, keepdim=True) + 1e-5).sqrt()
    (g2,) = ember.autograd.grad(y.pow(3).sum(), x2, create_graph=True)
    (gg2,) = ember.autograd.grad(g2.sum(), x2)
    assert_close(gg, gg2, 1e-6, 1e-8)


def test_errors():
    x = ember.ones(2, 3)
    with pytest.raises(ValueError, match=r"more than 1 value per channel when training, got "
                                         r"input size \[1, 3\]"):
        F.batch_norm(ember.ones(1, 3), None, None, training=True)
    with pytest.raises(RuntimeError, match="batch_norm: running_mean should contain 3 elements "
                                           "not 4"):
        F.batch_norm(x, ember.zeros(4), ember.ones(3))
    with pytest.raises(RuntimeError, match=r"layer_norm: Given normalized_shape=\[4\]"):
        F.layer_norm(x, (4,))
    with pytest.raises(RuntimeError, match="layer_norm: Expected weight"):
        F.layer_norm(x, (3,), ember.ones(2))
    with pytest.raises(RuntimeError, match="group_norm: Expected number of channels"):
        F.group_norm(ember.ones(2, 6, 4), 4)
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.BatchNorm2d(3)(x)
    with pytest.raises(ValueError, match="spatial element"):
        F.instance_norm(ember.ones(2, 3, 1))
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(3, 4)
