"""cumsum, cumprod, cummax, cummin, logcumsumexp."""
import numpy as np
import pytest

import ember
from ember_testing import check_gradcheck, check_parity, rand

# logcumsumexp's backward reverses along the dim with `flip` from ops/shape.py.
needs_flip = pytest.mark.skipif(not hasattr(ember.Tensor, "flip"), reason="flip not available")

X = rand(3, 4, 5)

DIFFERENTIABLE = [
    ("cumsum", lambda m, x: m.cumsum(x, 1)),
    ("cumsum_neg", lambda m, x: x.cumsum(-1)),
    ("cumprod", lambda m, x: m.cumprod(x, 2)),
    ("cumprod_dim0", lambda m, x: x.cumprod(0)),
    ("cummax", lambda m, x: m.cummax(x, 1)),
    ("cummin", lambda m, x: x.cummin(-1)),
    pytest.param("logcumsumexp", lambda m, x: m.logcumsumexp(x, 2), marks=needs_flip),
]
NAMES = [p.values[0] if hasattr(p, "marks") else p[0] for p in DIFFERENTIABLE]


@pytest.mark.parametrize("name,call", DIFFERENTIABLE, ids=NAMES)
def test_gradcheck(name, call):
    check_gradcheck(lambda x: call(ember, x), X)


@pytest.mark.parity
@pytest.mark.parametrize("name,call", DIFFERENTIABLE, ids=NAMES)
def test_parity(name, call):
    check_parity(call, X)


def test_gradgrad():
    check_gradcheck(lambda x: x.cumsum(1), rand(3, 4), gradgrad=True)
    check_gradcheck(lambda x: x.cumprod(1), rand(3, 4), gradgrad=True)


ZEROS = np.array([[1.5, 0.0, 2.0, -1.0, 0.5], [0.0, 3.0, 0.0, 2.0, 1.0],
                  [2.0, 0.5, -1.5, 0.0, 0.0], [1.0, 2.0, 3.0, 4.0, 0.0]])


@pytest.mark.parity
def test_cumprod_gradient_with_zeros():
    check_parity(lambda m, x: (x.cumprod(1), x.cumprod(0)), ZEROS)


def test_cumprod_gradcheck_with_zeros():
    check_gradcheck(lambda x: x.cumprod(1), ZEROS)


@pytest.mark.parity
@needs_flip
def test_logcumsumexp_is_stable():
    x = np.array([[-1000.0, 0.0, 1000.0, -5.0], [3.0, 2.0, 1.0, 800.0]])
    check_parity(lambda m, t: m.logcumsumexp(t, 1), x)


@pytest.mark.parity
def test_ties_nan_and_dtypes():
    x = np.array([[1.0, 3.0, 3.0, 2.0, np.nan, 5.0], [4.0, 4.0, 1.0, 4.0, 0.0, 6.0]])
    check_parity(lambda m, t: (t.cummax(1), t.cummin(1)), x, grad=False)
    ints = np.array([[3, 1, 4, 1], [5, 9, 2, 6]], dtype=np.int32)
    check_parity(lambda m, t: (t.cumsum(1), t.cumprod(0), t.cummax(1), t.cummin(0),
                               m.cumsum(t, 1, dtype=m.float64),
                               (t > 2).cumsum(1)), ints, grad=False)


@pytest.mark.parity
def test_zero_dim():
    check_parity(lambda m, x: (x.cumsum(0), x.cumprod(-1), x.cummax(0), m.logcumsumexp(x, 0)),
                 np.array(1.5), layouts=("contiguous",))


def test_inplace_cumsum():
    x = ember.tensor([1.0, 2.0, 3.0])
    x.cumsum_(0)
    assert x.tolist() == [1.0, 3.0, 6.0]


@pytest.mark.parametrize("call,text", [
    (lambda x: x.cumsum(2), "cumsum: Dimension out of range"),
    (lambda x: x.cumprod(-3), "cumprod: Dimension out of range"),
    (lambda x: x.cummax(5), "cummax: Dimension out of range"),
    (lambda x: ember.logcumsumexp(x, 2), "logcumsumexp: Dimension out of range"),
])
def test_errors(call, text):
    with pytest.raises(IndexError, match=text):
        call(ember.ones(2, 3))
    with pytest.raises(RuntimeError, match="logcumsumexp: expected a floating point"):
        ember.logcumsumexp(ember.tensor([1, 2]), 0)


@pytest.mark.parity
def test_long_scans():
    # Odd lengths past several doubling steps of the scan, with repeated values for ties.
    x = np.round(rand(3, 37), 1)
    check_parity(lambda m, t: (t.cummax(1), t.cummin(1), m.logcumsumexp(t, 1)), x)
    # mode's index (and so its gradient) among many equal values is unspecified in PyTorch.
    check_parity(lambda m, t: t.mode(1).values, x, grad=False)
