"""Losses: gradcheck, parity with torch (values and gradients over reductions, weights,
ignore_index, label smoothing, K-dim inputs, non-contiguous), module reprs and errors."""
import numpy as np
import pytest
from ember_testing import check_gradcheck, check_parity, rand, randint, torch_or_skip

import ember
import ember.nn.functional as F
from ember import nn

REDUCTIONS = ["mean", "sum", "none"]


def _targets(shape, c, ignore=False, seed=0):
    t = randint(*shape, high=c, seed=seed)
    if ignore:
        t.reshape(-1)[::3] = -100
    return t


CE_CASES = [((4, 5), (4,)), ((2, 5, 3), (2, 3)), ((2, 5, 3, 2), (2, 3, 2)), ((5,), ())]


@pytest.mark.parity
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("x_shape, t_shape", CE_CASES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_class_index_parity(fn, reduction, x_shape, t_shape, weighted, smoothing):
    if fn == "nll_loss" and smoothing:
        pytest.skip("nll_loss has no label smoothing")
    kw = {"reduction": reduction} | ({"label_smoothing": smoothing} if smoothing else {})
    t = _targets(t_shape, 5, ignore=len(t_shape) > 0)
    w = rand(5, positive=True, seed=4)

    def call(m, x):  # class weights take no gradient in PyTorch: pass them as constants
        weight = m.tensor(w, dtype=x.dtype) if weighted else None
        return getattr(m.nn.functional, fn)(x, m.from_numpy(t.copy()), weight, **kw)
    # PyTorch's own nll_loss2d backward rejects a non-contiguous input.
    layouts = ("contiguous",) if len(x_shape) == 4 else ("contiguous", "noncontiguous")
    check_parity(call, rand(*x_shape), layouts=layouts)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("x_shape, t_shape", CE_CASES[:3])
def test_cross_entropy_gradcheck(reduction, x_shape, t_shape):
    t = ember.tensor(_targets(t_shape, 5, ignore=True))
    w = ember.tensor(rand(5, positive=True))
    check_gradcheck(lambda x: F.cross_entropy(x, t.to(x.device), w.to(x.device),
                                              reduction=reduction, label_smoothing=0.1),
                    rand(*x_shape), gradgrad=True)
    check_gradcheck(lambda x: F.nll_loss(x, t.to(x.device), w.to(x.device), reduction=reduction),
                    rand(*x_shape))


@pytest.mark.parity
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_probabilities_parity(reduction, smoothing):
    p = np.random.default_rng(0).dirichlet(np.ones(5), size=(4, 3)).transpose(0, 2, 1)
    w = rand(5, positive=True, seed=2)
    check_parity(lambda m, x, p: m.nn.functional.cross_entropy(
        x, p, m.tensor(w, dtype=x.dtype), reduction=reduction, label_smoothing=smoothing),
        rand(4, 5, 3), np.ascontiguousarray(p))


def test_cross_entropy_single_node_and_all_ignored():
    x = ember.tensor(rand(3, 4), requires_grad=True)
    loss = F.cross_entropy(x, ember.tensor([1, 2, 3]))
    assert loss.grad_fn.name() == "CrossEntropyLossBackward0"
    assert loss.grad_fn.next_functions[0][0].variable is x
    assert np.isnan(F.cross_entropy(x, ember.tensor([-100] * 3)).item())


def _const(m, array, like):
    """A tensor that takes no gradient (PyTorch refuses gradients for weights and targets)."""
    return m.tensor(array, dtype=like.dtype)


# (name, ember/torch call, inputs, differentiable inputs are all float arrays)
def _pointwise_cases():
    x, y = rand(3, 4), rand(3, 4, seed=1)
    prob = rand(3, 4, low=0.05, high=0.95, seed=2)
    target01 = (rand(3, 4, seed=3) > 0).astype("float64")
    sign = np.where(rand(3, 4, seed=5) > 0, 1.0, -1.0)
    pos = rand(3, 4, positive=True, seed=6)
    w = rand(4, positive=True, seed=7)
    lp = np.log(np.random.default_rng(0).dirichlet(np.ones(4), size=3))
    return [
        ("mse_loss", lambda m, a, b, r: m.nn.functional.mse_loss(a, b, reduction=r), [x, y]),
        ("l1_loss", lambda m, a, b, r: m.nn.functional.l1_loss(a, b, reduction=r), [x, y]),
        ("smooth_l1", lambda m, a, b, r: m.nn.functional.smooth_l1_loss(a, b, reduction=r,
                                                                         beta=0.7), [x, y]),
        ("huber", lambda m, a, b, r: m.nn.functional.huber_loss(a, b, reduction=r, delta=0.6),
         [x, y]),
        ("bce", lambda m, a, b, r: m.nn.functional.binary_cross_entropy(
            a, b, _const(m, w, a), reduction=r), [prob, target01]),
        ("bce_logits", lambda m, a, b, r: m.nn.functional.binary_cross_entropy_with_logits(
            a, b, _const(m, w, a), reduction=r, pos_weight=_const(m, w[::-1].copy(), a)),
         [x, prob]),
        ("kl_div", lambda m, a, b, r: m.nn.functional.kl_div(a, b, reduction=r), [lp, prob]),
        ("kl_div_log", lambda m, a, b, r: m.nn.functional.kl_div(a, b, reduction=r,
                                                                  log_target=True), [lp, lp[::-1]
                                                                                     .copy()]),
        ("poisson", lambda m, a, b, r: m.nn.functional.poisson_nll_loss(a, b, reduction=r),
         [x, pos]),
        ("poisson_full", lambda m, a, b, r: m.nn.functional.poisson_nll_loss(
            a, b, log_input=False, full=True, reduction=r), [pos, pos * 2]),
        ("gaussian", lambda m, a, b, v, r: m.nn.functional.gaussian_nll_loss(
            a, b, v, full=True, reduction=r), [x, y, pos]),
        ("soft_margin", lambda m, a, r: m.nn.functional.soft_margin_loss(
            a, _const(m, sign, a), reduction=r), [x]),
        ("multilabel_soft_margin", lambda m, a, b, w, r: m.nn.functional
         .multilabel_soft_margin_loss(a, b, w, reduction=r), [x, target01, w]),
        ("margin_ranking", lambda m, a, b, s, r: m.nn.functional.margin_ranking_loss(
            a, b, s, margin=0.3, reduction=r), [x, y, sign]),
        ("hinge_embedding", lambda m, a, s, r: m.nn.functional.hinge_embedding_loss(
            a, s, margin=0.8, reduction=r), [x, sign]),
        ("cosine_embedding", lambda m, a, b, r: m.nn.functional.cosine_embedding_loss(
            a, b, m.tensor([1.0, -1.0, 1.0], dtype=a.dtype), margin=0.1, reduction=r), [x, y]),
        ("triplet", lambda m, a, b, c, r: m.nn.functional.triplet_margin_loss(
            a, b, c, margin=2.0, reduction=r), [x, y, pos]),
        ("triplet_swap_p1", lambda m, a, b, c, r: m.nn.functional.triplet_margin_loss(
            a, b, c, margin=2.0, p=1, swap=True, reduction=r), [x, y, pos]),
        ("triplet_distance", lambda m, a, b, c, r: m.nn.functional
         .triplet_margin_with_distance_loss(a, b, c, margin=2.0, swap=True, reduction=r),
         [x, y, pos]),
    ]


POINTWISE = _pointwise_cases()


@pytest.mark.parity
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, fn, inputs", POINTWISE, ids=[c[0] for c in POINTWISE])
def test_pointwise_parity(name, fn, inputs, reduction):
    check_parity(lambda m, *a: fn(m, *a, reduction), *inputs)


@pytest.mark.parametrize("name, fn, inputs", POINTWISE, ids=[c[0] for c in POINTWISE])
def test_pointwise_gradcheck(name, fn, inputs):
    check_gradcheck(lambda *a: fn(ember, *a, "sum"), *inputs)


@pytest.mark.parity
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multi_margin_parity(p, reduction):
    t = randint(4, high=5)
    w = rand(5, positive=True, seed=2)
    check_parity(lambda m, x: m.nn.functional.multi_margin_loss(
        x, m.from_numpy(t.copy()), p=p, margin=0.7, weight=m.tensor(w, dtype=x.dtype),
        reduction=reduction), rand(4, 5))


@pytest.mark.parity
def test_kl_div_batchmean_and_logits_extremes():
    check_parity(lambda m, a, b: m.nn.functional.kl_div(a, b, reduction="batchmean"),
                 rand(3, 4), rand(3, 4, positive=True, seed=1))
    x = np.array([-200.0, -30.0, 0.0, 30.0, 200.0])
    check_parity(lambda m, a, b: m.nn.functional.binary_cross_entropy_with_logits(a, b), x,
                 np.array([1.0, 0.0, 0.5, 1.0, 0.0]))
    check_parity(lambda m, a, b: m.nn.functional.binary_cross_entropy(a, b),
                 np.array([0.0, 1.0, 0.5]), np.array([1.0, 0.0, 0.5]), grad=False)


@pytest.mark.parity
def test_module_reprs_and_forward():
    torch = torch_or_skip()
    for name in nn.modules.loss.__all__:
        if name != "TripletMarginWithDistanceLoss":  # torch shows its default distance module
            assert repr(getattr(nn, name)()) == repr(getattr(torch.nn, name)())
    w = rand(5, positive=True).astype("float32")
    x, t = rand(4, 5).astype("float32"), randint(4, high=5)
    e = nn.CrossEntropyLoss(weight=ember.tensor(w), label_smoothing=0.1)(ember.tensor(x),
                                                                          ember.tensor(t))
    r = torch.nn.CrossEntropyLoss(weight=torch.tensor(w), label_smoothing=0.1)(
        torch.tensor(x), torch.tensor(t))
    assert e.item() == pytest.approx(r.item(), rel=1e-5)
    assert list(dict(nn.NLLLoss(weight=ember.tensor(w)).named_buffers())) == ["weight"]


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.cross_entropy(ember.zeros(4, 5), ember.tensor([0, 1, 2])), ValueError,
     r"cross_entropy: Expected input batch_size \(4\) to match target batch_size \(3\)\."),
    (lambda: F.cross_entropy(ember.zeros(2, 5), ember.tensor([0, 7])), IndexError,
     "cross_entropy: Target 7 is out of bounds."),
    (lambda: F.nll_loss(ember.zeros(2, 5), ember.tensor([-1, 0])), IndexError,
     "nll_loss: Target -1 is out of bounds."),
    (lambda: F.nll_loss(ember.zeros(2, 5, 3), ember.tensor([[0, 1], [1, 1]])), RuntimeError,
     r"nll_loss: Expected target size \[2, 3\], got \[2, 2\]"),
    (lambda: F.cross_entropy(ember.zeros(2, 5), ember.tensor([0, 1]), ember.ones(4)),
     RuntimeError, "cross_entropy: weight tensor should be defined either for all 5 classes"),
    (lambda: F.mse_loss(ember.zeros(2), ember.zeros(2), reduction="avg"), ValueError,
     "mse_loss: avg is not a valid value for reduction"),
    (lambda: F.binary_cross_entropy(ember.tensor([1.5]), ember.tensor([1.0])), RuntimeError,
     "binary_cross_entropy: all elements of input should be between 0 and 1"),
    (lambda: F.binary_cross_entropy(ember.zeros(2, 1), ember.zeros(2)), ValueError,
     "binary_cross_entropy: Using a target size"),
    (lambda: F.gaussian_nll_loss(ember.zeros(2, 3), ember.zeros(2, 3), ember.zeros(3)),
     ValueError, "gaussian_nll_loss: var is of incorrect size"),
    (lambda: F.cross_entropy(ember.zeros(2, 3), ember.zeros(2, 4)), RuntimeError,
     "cross_entropy: Expected floating point target to have the same shape"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
