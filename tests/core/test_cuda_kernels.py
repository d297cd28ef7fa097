"""Fused CuPy kernels against the generic ops on the same GPU and against the CPU; the
node machinery (fused first-order backward, generic replay under create_graph) on the CPU."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import _kernels

gpu = pytest.mark.skipif(not ember.cuda.is_available(), reason="needs a CUDA device")


# ----------------------------------------------------------------------- CPU: the machinery
def _square(x):
    """x ** 2 recorded as a fused node whose first-order backward is raw NumPy."""
    return _kernels.record(x._data ** 2, "PowBackward0", (x,),
                           lambda g, ctx: (2 * ctx * g,), lambda t: t * t, x._data)


def test_fused_node_first_order_and_replay():
    x = ember.tensor([1.0, -2.0, 3.0], dtype=ember.float64, requires_grad=True)
    y = _square(x)
    assert y.grad_fn.name() == "PowBackward0"
    (g,) = ember.autograd.grad(y.sum(), x, create_graph=True)
    assert g.tolist() == [2.0, -4.0, 6.0] and g.requires_grad
    (gg,) = ember.autograd.grad(g.sum(), x)  # second order comes from the generic replay
    assert gg.tolist() == [2.0, 2.0, 2.0]
    z = _square(x)
    z.sum().backward()
    assert x.grad.tolist() == [2.0, -4.0, 6.0]
    assert _kernels.enabled


def test_available_is_false_for_numpy():
    assert not _kernels.available(np.ones(3, np.float32))


# ------------------------------------------------------------------------------ GPU parity
def _both(fn, *arrays, requires_grad=True):
    """fn on CUDA tensors with fused kernels, without them, and on the CPU; each result is
    (output, input gradients) as NumPy arrays (gradients of sum(out * w) for a fixed w)."""
    results = []
    for device, fused in (("cuda", True), ("cuda", False), ("cpu", False)):
        _kernels.enabled = fused
        try:
            ins = [ember.tensor(a, device=device, requires_grad=requires_grad and
                                a.dtype.kind == "f") for a in arrays]
            out = fn(*ins)
            w = ember.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(out.shape).astype(
                "float32"), device=device).to(out.dtype)
            grads = []
            if requires_grad:
                (out * w).sum().backward()
                grads = [t.grad.cpu().numpy() for t in ins if t.grad is not None]
            results.append((out.detach().cpu().float().numpy(), grads))
        finally:
            _kernels.enabled = True
    return results


def _close(results, rtol=1e-5, atol=1e-6):
    (fo, fg), (go, gg), (co, cg) = results
    for other_o, other_g in ((go, gg), (co, cg)):
        np.testing.assert_allclose(fo, other_o, rtol=rtol, atol=atol)
        assert len(fg) == len(other_g)
        for a, b in zip(fg, other_g):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def _randn(*shape, seed=0, dtype="float32"):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@gpu
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu(approximate):
    _close(_both(lambda x: F.gelu(x, approximate=approximate), _randn(64, 257)))


@gpu
def test_silu_and_grad_fn_names():
    _close(_both(F.silu, _randn(33, 65)))
    x = ember.randn(4, device="cuda", requires_grad=True)
    assert F.silu(x).grad_fn.name() == "SiluBackward0"
    assert F.gelu(x).grad_fn.name() == "GeluBackward0"


@gpu
@pytest.mark.parametrize("dim", [-1, 0, 1])
@pytest.mark.parametrize("log", [False, True])
def test_softmax(dim, log):
    f = F.log_softmax if log else F.softmax
    x = _randn(7, 1000, 3) * 4
    # The log_softmax gradient g - exp(y) * sum(g) cancels terms near 1 where exp(y) carries
    # the float32 rounding of the log-sum-exp (~13 here, ulp ~1e-6) in every path alike: the
    # absolute floor follows those terms, not the small result.
    _close(_both(lambda t: f(t, dim), x), atol=1e-5)


@gpu
def test_softmax_float16_and_extremes():
    x = _randn(16, 300).astype("float16")
    _close(_both(lambda t: F.softmax(t, -1), x), rtol=2e-3, atol=1e-3)
    big = np.array([[1e30, 0.0, -np.inf], [np.nan, 1.0, 2.0]], "float32")
    outs = _both(lambda t: F.log_softmax(t, -1), big, requires_grad=False)
    np.testing.assert_array_equal(outs[0][0], outs[1][0])


@gpu
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy(reduction):
    x = _randn(128, 1000) * 3
    t = np.random.default_rng(1).integers(0, 1000, 128)
    t[::7] = -100
    _close(_both(lambda a, b: F.cross_entropy(a, b, reduction=reduction), x, t), rtol=1e-4)
    y = F.cross_entropy(ember.tensor(x, device="cuda", requires_grad=True),
                        ember.tensor(t, device="cuda"))
    assert y.grad_fn.name() == "NllLossBackward0"


@gpu
def test_cross_entropy_out_of_range_target_raises():
    with pytest.raises((IndexError, RuntimeError)):
        F.cross_entropy(ember.randn(2, 3, device="cuda"), ember.tensor([0, 5], device="cuda"))


@gpu
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm(affine):
    x = _randn(8, 50, 768) + 3
    if affine:
        w, b = _randn(768, seed=1), _randn(768, seed=2)
        _close(_both(lambda a, c, d: F.layer_norm(a, (768,), c, d), x, w, b), rtol=1e-4,
               atol=1e-4)
    else:
        _close(_both(lambda a: F.layer_norm(a, (768,)), x), rtol=1e-4, atol=1e-4)


@gpu
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm(training):
    x = _randn(16, 32, 9, 9) * 2 + 1
    w, b = _randn(32, seed=1), _randn(32, seed=2)
    rm, rv = _randn(32, seed=3) * 0.1, np.abs(_randn(32, seed=4)) + 0.5
    stats = []

    def fn(a, c, d):
        m, v = ember.tensor(rm, device=a.device), ember.tensor(rv, device=a.device)
        stats.append((m, v))
        return F.batch_norm(a, m, v, c, d, training=training)
    _close(_both(fn, x, w, b), rtol=1e-4, atol=1e-4)
    fused, generic = stats[0], stats[1]
    for a, c in zip(fused, generic):
        np.testing.assert_allclose(a.cpu().numpy(), c.cpu().numpy(), rtol=1e-5, atol=1e-6)


@gpu
def test_double_backward_replays_generic_ops():
    x = ember.randn(5, 7, device="cuda", dtype=ember.float32, requires_grad=True)
    for f in (F.gelu, F.silu, lambda t: F.softmax(t, -1), lambda t: F.layer_norm(t, (7,))):
        (g,) = ember.autograd.grad((f(x) ** 2).sum(), x, create_graph=True)
        (gg,) = ember.autograd.grad(g.sum(), x)
        _kernels.enabled = False
        try:
            (g2,) = ember.autograd.grad((f(x) ** 2).sum(), x, create_graph=True)
            (gg2,) = ember.autograd.grad(g2.sum(), x)
        finally:
            _kernels.enabled = True
        np.testing.assert_allclose(gg.cpu().numpy(), gg2.cpu().numpy(), rtol=1e-4, atol=1e-5)


@gpu
def test_dropout_matches_generic_draws():
    x = ember.randn(1000, 100, device="cuda", requires_grad=True)
    outs = []
    for fused in (True, False):
        _kernels.enabled = fused
        try:
            ember.manual_seed(3)
            outs.append(F.dropout(x, 0.3).detach().cpu().numpy())
        finally:
            _kernels.enabled = True
    np.testing.assert_array_equal(outs[0], outs[1])
    assert abs((outs[0] == 0).mean() - 0.3) < 0.01


def _train(opt_cls, device, fused, **kw):
    _kernels.enabled = fused
    try:
        rng = np.random.default_rng(0)
        ps = [ember.tensor(rng.standard_normal(s).astype("float32"), device=device,
                           requires_grad=True) for s in ((64, 32), (32,), (5, 7, 3))]
        opt = opt_cls(ps, **kw)
        for _ in range(5):
            for p in ps:
                p.grad = ember.tensor(rng.standard_normal(p.shape).astype("float32"),
                                      device=device)
            opt.step()
        state = [{k: (v.cpu().numpy() if isinstance(v, ember.Tensor) else v)
                  for k, v in opt.state[p].items()} for p in ps]
        return [p.detach().cpu().numpy() for p in ps], state
    finally:
        _kernels.enabled = True


@gpu
@pytest.mark.parametrize("opt_cls,kw", [
    (ember.optim.SGD, dict(lr=0.1)),
    (ember.optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=1e-2)),
    (ember.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True)),
    (ember.optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.3)),
    (ember.optim.Adam, dict(lr=1e-2)),
    (ember.optim.Adam, dict(lr=1e-2, weight_decay=0.1, maximize=True)),
    (ember.optim.AdamW, dict(lr=1e-2, weight_decay=0.1)),
    (ember.optim.Adam, dict(lr=1e-2, amsgrad=True)),
])
def test_optimizer_steps(opt_cls, kw):
    runs = [_train(opt_cls, d, f, **kw) for d, f in (("cuda", True), ("cuda", False),
                                                      ("cpu", False))]
    for params, state in runs[1:]:
        for a, b in zip(runs[0][0], params):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        for sa, sb in zip(runs[0][1], state):
            assert sa.keys() == sb.keys()
            for k in sa:
                np.testing.assert_allclose(sa[k], sb[k], rtol=1e-5, atol=1e-6)


@gpu
def test_autocast_on_cuda():
    x = ember.randn(8, 16, device="cuda")
    w = ember.randn(4, 16, device="cuda", requires_grad=True)
    with ember.autocast("cuda"):
        y = F.linear(x, w)
        assert y.dtype is ember.float16
        assert F.softmax(y, -1).dtype is ember.float32  # CUDA's float32 list
        assert ember.exp(y).dtype is ember.float32 and y.sum().dtype is ember.float32
        loss = F.cross_entropy(y, ember.zeros(8, dtype=ember.int64, device="cuda"))
    assert loss.dtype is ember.float32
    scaler = ember.amp.GradScaler()
    scaler.scale(loss).backward()
    assert w.grad.dtype is ember.float32 and w.grad.is_cuda
