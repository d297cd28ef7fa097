"""var/std (+ _mean forms), median, nanmedian, mode, quantile, nanquantile."""
import numpy as np
import pytest

import ember
from ember_testing import check_gradcheck, check_parity, rand

X = rand(3, 4, 5)

DIFFERENTIABLE = [
    ("var", lambda m, x: x.var()),
    ("var_dim", lambda m, x: m.var(x, 1)),
    ("var_dims_keepdim", lambda m, x: m.var(x, (0, 2), keepdim=True)),
    ("var_correction0", lambda m, x: m.var(x, 1, correction=0)),
    ("var_unbiased_false", lambda m, x: x.var(2, False, True)),
    ("var_bool_first", lambda m, x: x.var(False)),
    ("std", lambda m, x: m.std(x)),
    ("std_dim", lambda m, x: x.std(dim=-1, correction=2)),
    ("var_mean", lambda m, x: m.var_mean(x, 1, keepdim=True)),
    ("std_mean", lambda m, x: m.std_mean(x, (0, 1))),
    ("median", lambda m, x: x.median()),
    ("median_dim", lambda m, x: m.median(x, 1)),
    ("nanmedian_dim", lambda m, x: x.nanmedian(2, keepdim=True)),
    ("mode", lambda m, x: m.mode(x, 1)),
    ("quantile", lambda m, x: m.quantile(x, 0.3)),
    ("quantile_dim", lambda m, x: x.quantile(0.75, dim=1, keepdim=True)),
    ("nanquantile", lambda m, x: m.nanquantile(x, 0.4, dim=-1)),
]


@pytest.mark.parametrize("name,call", DIFFERENTIABLE, ids=[n for n, _ in DIFFERENTIABLE])
def test_gradcheck(name, call):
    check_gradcheck(lambda x: call(ember, x), X)


@pytest.mark.parity
@pytest.mark.parametrize("name,call", DIFFERENTIABLE, ids=[n for n, _ in DIFFERENTIABLE])
def test_parity(name, call):
    check_parity(call, X)


def test_gradgrad_var_std():
    check_gradcheck(lambda x: x.var(1), rand(3, 4), gradgrad=True)
    check_gradcheck(lambda x: x.std(0), rand(3, 4), gradgrad=True)


@pytest.mark.parity
@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_tensor_q(interpolation):
    q = np.array([0.0, 0.25, 0.5, 0.9, 1.0])

    def call(m, x):
        qt = m.tensor(q, dtype=x.dtype)
        return (m.quantile(x, qt, dim=1, interpolation=interpolation),
                m.quantile(x, qt, keepdim=True, interpolation=interpolation),
                m.nanquantile(x, qt, dim=0, keepdim=True, interpolation=interpolation))
    check_parity(call, rand(4, 6))


@pytest.mark.parity
def test_nan_handling():
    x = np.array([[1.0, np.nan, 3.0, 0.5], [2.0, 5.0, 4.0, -1.0], [np.nan] * 4])
    check_parity(lambda m, t: (t.median(1), m.nanmedian(t[:2], 1), m.nanmedian(t, 1).values,
                               t.median(), m.nanmedian(t),
                               m.quantile(t, 0.5, dim=1), m.nanquantile(t, 0.3, dim=1)),
                 x, grad=False)


@pytest.mark.parity
def test_median_mode_ties_and_ints():
    x = np.array([[2, 1, 1, 2, 3], [0, 4, 4, 1, 1], [5, 5, 5, 5, 5]])
    check_parity(lambda m, t: (t.median(1), t.median(), t.mode(1), m.mode(t, 0, keepdim=True),
                               m.nanmedian(t, 0)), x, grad=False)
    check_parity(lambda m, t: (t.median(1), t.mode(1), t.median()), x.astype("float64"))


@pytest.mark.parity
@pytest.mark.filterwarnings("ignore:.*degrees of freedom")
def test_zero_dim_and_degenerate():
    check_parity(lambda m, x: (x.median(), x.median(0), x.mode(), x.var(correction=0)),
                 np.array(2.5), layouts=("contiguous",))
    check_parity(lambda m, x: (x.median(), x.var(), x.std(0)), np.zeros((0,)),
                 layouts=("contiguous",), grad=False)


@pytest.mark.parametrize("call,exc,text", [
    (lambda x: x.long().var(), RuntimeError, "std and var only support floating point"),
    (lambda x: x.var(3), IndexError, "var: Dimension out of range"),
    (lambda x: x.var(0, unbiased=True, correction=0), RuntimeError, "var: cannot specify both"),
    (lambda x: x.median(2), IndexError, "median: Dimension out of range"),
    (lambda x: ember.zeros(0, 2).median(0), IndexError, "median(): Expected reduction dim 0"),
    (lambda x: ember.zeros(0, 2).mode(0), IndexError, "mode(): Expected reduction dim 0"),
    (lambda x: x.quantile(1.5), RuntimeError, "quantile() q values must be in the range"),
    (lambda x: x.long().quantile(0.5), RuntimeError, "quantile() input tensor must be either"),
    (lambda x: x.quantile(0.5, interpolation="cubic"), ValueError, "interpolation must be"),
    (lambda x: ember.zeros(0).quantile(0.5), RuntimeError, "quantile() input tensor must be "
                                                          "non-empty"),
])
def test_errors(call, exc, text):
    with pytest.raises(exc) as info:
        call(ember.ones(2, 3))
    assert text in str(info.value)
