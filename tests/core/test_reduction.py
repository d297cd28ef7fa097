"""sum, mean, nansum, nanmean, prod, max/min family, logsumexp, norm, all/any, count_nonzero."""
import math

import numpy as np
import pytest

import ember
from ember_testing import check_gradcheck, check_parity, rand

X = rand(3, 4, 5)
INF = math.inf

# (name, call) pairs: `call(m, x)` works for m = ember and m = torch.
DIFFERENTIABLE = [
    ("sum", lambda m, x: m.sum(x)),
    ("sum_dim", lambda m, x: x.sum(1)),
    ("sum_dims_keepdim", lambda m, x: m.sum(x, (0, -1), keepdim=True)),
    ("mean", lambda m, x: x.mean()),
    ("mean_dims", lambda m, x: m.mean(x, (2, 0), keepdim=True)),
    ("nansum", lambda m, x: m.nansum(x, 1)),
    ("nanmean", lambda m, x: m.nanmean(x, (0, 2))),
    ("prod", lambda m, x: x.prod()),
    ("prod_dim", lambda m, x: m.prod(x, 1, keepdim=True)),
    ("amax", lambda m, x: m.amax(x, (0, 2))),
    ("amin", lambda m, x: x.amin(-1, keepdim=True)),
    ("max", lambda m, x: m.max(x)),
    ("max_dim", lambda m, x: m.max(x, 1)),
    ("min_dim_keepdim", lambda m, x: x.min(dim=2, keepdim=True)),
    ("aminmax", lambda m, x: m.aminmax(x, dim=1)),
    ("logsumexp", lambda m, x: m.logsumexp(x, (0, 1))),
    ("norm", lambda m, x: x.norm()),
    ("norm_dim", lambda m, x: m.norm(x, dim=1, keepdim=True)),
    ("norm_p3", lambda m, x: m.norm(x, 3, dim=(0, 2))),
    ("norm_p1", lambda m, x: x.norm(p=1, dim=0)),
    ("norm_p1_5", lambda m, x: x.norm(p=1.5)),
    ("norm_inf", lambda m, x: m.norm(x, INF, dim=2)),
    ("norm_ninf", lambda m, x: m.norm(x, -INF)),
    ("norm_0", lambda m, x: m.norm(x, 0, dim=1)),
]


@pytest.mark.parametrize("name,call", DIFFERENTIABLE, ids=[n for n, _ in DIFFERENTIABLE])
def test_gradcheck(name, call):
    check_gradcheck(lambda x: call(ember, x), X)


@pytest.mark.parity
@pytest.mark.parametrize("name,call", DIFFERENTIABLE, ids=[n for n, _ in DIFFERENTIABLE])
def test_parity(name, call):
    # Older torch (2.11 among them) has no aminmax derivative: test_gradcheck covers it.
    check_parity(call, X, grad=name != "aminmax")


def test_gradgrad():
    check_gradcheck(lambda x: ember.logsumexp(x, 1), rand(3, 4), gradgrad=True)
    check_gradcheck(lambda x: x.prod(1), rand(3, 4), gradgrad=True)
    check_gradcheck(lambda x: x.norm(dim=1), rand(3, 4), gradgrad=True)


@pytest.mark.parity
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_prod_gradient_with_zeros(dim):
    one_zero = np.array([[1.5, 0.0, 2.0], [3.0, -1.0, 0.5]])
    two_zeros = np.array([[0.0, 0.0, 2.0], [3.0, 0.0, 0.5]])
    for x in (one_zero, two_zeros):
        check_parity(lambda m, t: t.prod() if dim is None else t.prod(dim), x)


@pytest.mark.parity
def test_ties_share_gradient_and_nan():
    ties = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    check_parity(lambda m, x: (m.max(x), m.amax(x, 1), m.amin(x, 0), m.max(x, 1)), ties)
    with_nan = np.array([[1.0, np.nan, 3.0], [2.0, 5.0, np.nan]])
    check_parity(lambda m, x: (m.nansum(x), m.nanmean(x, 1), m.max(x, 1), m.argmax(x, 1),
                               m.amax(x, 0)), with_nan, grad=False)


@pytest.mark.parity
def test_norm_gradient_at_zero():
    check_parity(lambda m, x: (x.norm(), x.norm(dim=1), x.norm(3)), np.zeros((2, 3)))


@pytest.mark.parity
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_integer_dtypes(dtype):
    x = (np.arange(12).reshape(3, 4) % 5).astype(dtype)
    check_parity(lambda m, t: (m.sum(t), t.sum(1), m.prod(t, 0), m.nansum(t), t.max(),
                               t.max(1), t.amin(0), m.all(t), t.any(1), m.count_nonzero(t, (0, 1)),
                               m.count_nonzero(t, 0), m.sum(t, dtype=m.float64),
                               m.logsumexp(t, 1) if dtype != "bool" else t.sum()),
                 x, grad=False, dtypes=("float32",))  # ints aren't cast: float32 tolerances
    # suit logsumexp's float32 result (a GPU's expf/logf may differ from the CPU's by an ulp)
    if dtype != "bool":
        check_parity(lambda m, t: (m.argmax(t), t.argmin(1, keepdim=True)), x, grad=False)


@pytest.mark.parity
def test_zero_dim_and_empty():
    check_parity(lambda m, x: (x.sum(), x.sum(0), x.mean(-1), x.max(), x.max(0), x.argmax(),
                               x.argmax(0, keepdim=True), x.amax(), x.prod(0), x.norm(),
                               m.logsumexp(x, 0), x.all(), x.count_nonzero()),
                 np.array(1.5), layouts=("contiguous",))
    check_parity(lambda m, x: (x.sum(), x.mean(), x.prod(), m.nansum(x), x.norm(), x.amax(1),
                               x.max(1), x.argmax(1), x.sum(0), x.all(), x.any()),
                 np.zeros((0, 3)), layouts=("contiguous",), grad=False)


@pytest.mark.parity
def test_argmax_and_keepdim_shapes():
    check_parity(lambda m, x: (m.argmax(x, keepdim=True), m.argmin(x, dim=-1), x.argmax(0),
                               m.amax(x, ()), m.sum(x, ()), m.mean(x, [])),
                 X, grad=False)


def test_return_types_and_methods():
    x = ember.tensor([[1.0, 5.0], [7.0, 2.0]])
    r = x.max(1)
    assert r.values.tolist() == [5.0, 7.0] and r.indices.tolist() == [1, 0]
    assert isinstance(r, tuple) and type(r).__name__ == "max"
    mm = ember.aminmax(x)
    assert (mm.min.item(), mm.max.item()) == (1.0, 7.0)


def test_binary_max_delegates_to_maximum():
    pytest.importorskip("ember.ops.comparison")
    if not hasattr(ember, "maximum"):
        pytest.skip("ember.maximum not written yet")
    a, b = ember.tensor([1.0, 4.0]), ember.tensor([3.0, 2.0])
    assert ember.max(a, b).tolist() == [3.0, 4.0]
    assert ember.min(a, b).tolist() == [1.0, 2.0]


@pytest.mark.parametrize("call,exc,text", [
    (lambda x: x.max(2), IndexError, "max: Dimension out of range (expected to be in range of "
                                     "[-2, 1], but got 2)"),
    (lambda x: x.sum((0, 0)), RuntimeError, "sum: dim [0, 0] appears multiple times"),
    (lambda x: ember.zeros(0).max(), RuntimeError, "max(): Expected reduction dim to be "
                                                   "specified"),
    (lambda x: ember.zeros(0, 3).amax(0), IndexError, "amax(): Expected reduction dim 0"),
    (lambda x: ember.zeros(0).argmax(), IndexError, "argmax(): Expected reduction dim"),
    (lambda x: ember.zeros(0).aminmax(), RuntimeError, "aminmax(): cannot compute"),
    (lambda x: ember.tensor([1, 2]).mean(), RuntimeError, "mean(): could not infer"),
    (lambda x: ember.tensor([1, 2]).norm(), RuntimeError, "linalg.vector_norm: Expected a "
                                                          "floating point"),
    (lambda x: x.norm("nuc"), RuntimeError, "norm: p='nuc'"),
    (lambda x: x.bool().argmax(), RuntimeError, "argmax(): does not support bool"),
    (lambda x: x.argmin(5), IndexError, "argmin: Dimension out of range"),
])
def test_errors(call, exc, text):
    with pytest.raises(exc) as info:
        call(ember.ones(2, 3))
    assert text in str(info.value)
