"""ember.autocast: per-op cast policy (PyTorch's CPU lists), nesting, decorator, cache, grads."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F

B16 = ember.bfloat16


def _x(*shape, seed=0):
    return ember.tensor(np.random.default_rng(seed).standard_normal(shape).astype("float32"))


# (name, fn(module, F, x), input shape): fn is written once for ember and torch.
LOW = [
    ("linear", lambda m, F, x, w: F.linear(x, w), (4, 8)),
    ("matmul", lambda m, F, x, w: x @ w.T, (4, 8)),
    ("mm", lambda m, F, x, w: m.mm(x, w.T), (4, 8)),
    ("bmm", lambda m, F, x, w: m.bmm(x[None], w.T[None]), (4, 8)),
    ("addmm", lambda m, F, x, w: m.addmm(m.ones(4, 6), x, w.T), (4, 8)),
    ("baddbmm", lambda m, F, x, w: m.baddbmm(m.ones(1, 4, 6), x[None], w.T[None]), (4, 8)),
    ("einsum", lambda m, F, x, w: m.einsum("ij,kj->ik", x, w), (4, 8)),
    ("conv2d", lambda m, F, x, w: F.conv2d(x.reshape(1, 2, 4, 4), w.reshape(3, 2, 2, 4)[..., :2]),
     (4, 8)),
]
# Ops whose result dtype follows the input under CPU autocast (bf16 in -> bf16 out, f32 stays).
PASS = [
    ("softmax", lambda m, F, t: F.softmax(t, -1)),
    ("log_softmax", lambda m, F, t: F.log_softmax(t, -1)),
    ("layer_norm", lambda m, F, t: F.layer_norm(t, (8,))),
    ("sum", lambda m, F, t: t.sum()),
    ("exp", lambda m, F, t: m.exp(t)),
    ("pow", lambda m, F, t: t.pow(2)),
    ("gelu", lambda m, F, t: F.gelu(t)),
    ("batch_norm", lambda m, F, t: F.batch_norm(t, None, None, training=True)),
]
# Losses run in float32 under CPU autocast.
FP32 = [
    ("mse_loss", lambda m, F, t: F.mse_loss(t, m.zeros_like(t))),
    ("l1_loss", lambda m, F, t: F.l1_loss(t, m.zeros_like(t))),
    ("smooth_l1_loss", lambda m, F, t: F.smooth_l1_loss(t, m.zeros_like(t))),
    ("cross_entropy", lambda m, F, t: F.cross_entropy(t, m.zeros(4, dtype=m.long))),
    ("nll_loss", lambda m, F, t: F.nll_loss(t, m.zeros(4, dtype=m.long))),
    ("bce_with_logits", lambda m, F, t: F.binary_cross_entropy_with_logits(t, m.ones_like(t))),
    ("kl_div", lambda m, F, t: F.kl_div(t, m.zeros_like(t), reduction="sum")),
    ("prod", lambda m, F, t: t.prod()),
]


@pytest.mark.parametrize("name,fn,shape", LOW, ids=[c[0] for c in LOW])
@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_lower_precision_ops(name, fn, shape, dtype):
    x, w = _x(*shape), _x(6, 8, seed=1)
    low = getattr(ember, dtype)
    with ember.autocast("cpu", dtype=low):
        out = fn(ember, F, x, w)
    assert out.dtype is low
    ref = fn(ember, F, x, w)
    np.testing.assert_allclose(out.float().numpy(), ref.numpy(), rtol=0.05, atol=0.1)


@pytest.mark.parametrize("name,fn", PASS + FP32, ids=[c[0] for c in PASS + FP32])
def test_other_ops_on_cpu(name, fn):
    x = _x(4, 8)
    with ember.autocast("cpu"):
        out16, out32 = fn(ember, F, x.to(B16)), fn(ember, F, x)
    assert out32.dtype is ember.float32
    assert out16.dtype is (ember.float32 if (name, fn) in FP32 else B16)


@pytest.mark.parity
def test_dtypes_match_torch_cpu_autocast():
    import torch
    import torch.nn.functional as TF
    x = np.random.default_rng(0).standard_normal((4, 8)).astype("float32")
    w = np.random.default_rng(1).standard_normal((6, 8)).astype("float32")
    for name, fn, _ in LOW:
        with ember.autocast("cpu"):
            e = fn(ember, F, ember.tensor(x), ember.tensor(w))
        with torch.autocast("cpu"):
            t = fn(torch, TF, torch.tensor(x), torch.tensor(w))
        assert e.dtype.name == str(t.dtype).split(".")[1], name
    for name, fn in PASS + FP32:
        for arr in (ember.tensor(x), ember.tensor(x).to(B16)):
            tarr = torch.tensor(x) if arr.dtype is ember.float32 else torch.tensor(x).bfloat16()
            with ember.autocast("cpu"):
                e = fn(ember, F, arr)
            with torch.autocast("cpu"):
                t = fn(torch, TF, tarr)
            assert e.dtype.name == str(t.dtype).split(".")[1], name


def test_float64_and_integers_untouched():
    with ember.autocast("cpu"):
        assert (_x(2, 3).double() @ _x(3, 2).double()).dtype is ember.float64
        assert (ember.ones(2, 2, dtype=ember.int64) @ ember.ones(2, 2, dtype=ember.int64)).dtype \
            is ember.int64


def test_gradients_flow_back_in_parameter_dtype():
    w = _x(6, 8).requires_grad_()
    x = _x(4, 8)
    with ember.autocast("cpu"):
        y = F.linear(x, w)
        loss = F.mse_loss(y, ember.zeros(4, 6))
    assert y.dtype is B16 and loss.dtype is ember.float32
    loss.backward()
    assert w.grad.dtype is ember.float32 and w.grad.shape == w.shape
    expected = (2 / 24) * (y.float().detach().T @ x)
    np.testing.assert_allclose(w.grad.numpy(), expected.numpy(), rtol=0.05, atol=0.02)


def test_nesting_disable_and_state():
    x, w = _x(4, 8), _x(6, 8)
    assert not ember.is_autocast_enabled("cpu")
    with ember.autocast("cpu"):
        assert ember.is_autocast_enabled("cpu") and not ember.is_autocast_enabled("cuda")
        assert ember.get_autocast_dtype("cpu") is B16
        with ember.autocast("cpu", enabled=False):
            assert F.linear(x, w).dtype is ember.float32
        assert F.linear(x, w).dtype is B16
    assert F.linear(x, w).dtype is ember.float32
    assert not ember.is_autocast_enabled("cpu")


def test_cuda_region_leaves_cpu_tensors_alone():
    with ember.amp.autocast("cuda"):
        assert F.linear(_x(4, 8), _x(6, 8)).dtype is ember.float32


def test_decorator_and_exception_restores_state():
    @ember.autocast("cpu", dtype=ember.float16)
    def f(x, w):
        return x @ w.T
    assert f(_x(4, 8), _x(6, 8)).dtype is ember.float16
    with pytest.raises(ValueError):
        with ember.autocast("cpu"):
            raise ValueError("boom")
    assert not ember.is_autocast_enabled("cpu") and not ember.amp.autocast_mode.state.on


def test_parameter_cast_is_cached_within_region():
    w = _x(6, 8).requires_grad_()
    state = ember.amp.autocast_mode.state
    with ember.autocast("cpu"):
        F.linear(_x(4, 8), w)
        first = state.cache[id(w)][2]
        F.linear(_x(4, 8), w)
        assert state.cache[id(w)][2] is first
    assert not state.cache
    with ember.autocast("cpu", cache_enabled=False):
        F.linear(_x(4, 8), w)
        assert not state.cache


def test_bad_arguments():
    with pytest.raises(RuntimeError, match="device_type"):
        ember.autocast("tpu")
    with pytest.raises(RuntimeError, match="dtype"):
        ember.autocast("cpu", dtype=ember.float64)


def test_autocast_is_per_thread():
    import threading
    seen = []
    with ember.autocast("cpu", dtype=ember.bfloat16):
        t = threading.Thread(target=lambda: seen.append(
            (ember.ones(2, 2) @ ember.ones(2, 2)).dtype))
        t.start()
        t.join()
        assert (ember.ones(2, 2) @ ember.ones(2, 2)).dtype == ember.bfloat16
    assert seen == [ember.float32]
