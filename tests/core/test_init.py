"""nn.init: gains, fan computation (vs PyTorch), and the statistics of each initialiser."""
import math

import numpy as np
import pytest
from ember_testing import torch_or_skip

import ember
from ember import nn
from ember.nn import init


def values(t):
    return t.detach().numpy().astype(np.float64)


@pytest.mark.parity
@pytest.mark.parametrize("name, param", [("linear", None), ("conv2d", None), ("sigmoid", None),
                                         ("tanh", None), ("relu", None), ("leaky_relu", None),
                                         ("leaky_relu", 0.2), ("selu", None)])
def test_calculate_gain_matches_torch(name, param):
    torch = torch_or_skip()
    assert init.calculate_gain(name, param) == torch.nn.init.calculate_gain(name, param)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)


@pytest.mark.parity
@pytest.mark.parametrize("shape", [(3, 5), (8, 4, 3), (16, 3, 3, 3), (2, 4, 1, 2, 3)])
def test_fan_in_fan_out_matches_torch(shape):
    torch = torch_or_skip()
    assert init._calculate_fan_in_and_fan_out(ember.empty(shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def test_fan_needs_two_dims():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(ember.empty(3))


def _stats_check(t, mean, std, tol=0.05):
    v = values(t)
    assert abs(v.mean() - mean) < tol * max(std, 1) and abs(v.std() - std) < tol * std


@pytest.mark.parametrize("fn, kwargs, bound_or_std, kind", [
    (init.uniform_, {"a": -2.0, "b": 3.0}, None, "uniform"),
    (init.normal_, {"mean": 1.0, "std": 2.0}, None, "normal"),
    (init.xavier_uniform_, {"gain": 2.0}, 2.0 * math.sqrt(6 / (200 + 300)), "ubound"),
    (init.xavier_normal_, {}, math.sqrt(2 / (200 + 300)), "std"),
    (init.kaiming_uniform_, {"a": math.sqrt(5)}, 1 / math.sqrt(300), "ubound"),
    (init.kaiming_uniform_, {"mode": "fan_out", "nonlinearity": "relu"},
     math.sqrt(2) * math.sqrt(3 / 200), "ubound"),
    (init.kaiming_normal_, {"nonlinearity": "relu"}, math.sqrt(2 / 300), "std"),
    (init.kaiming_normal_, {"mode": "fan_out"}, init.calculate_gain("leaky_relu") /
     math.sqrt(200), "std"),
])
def test_random_initialisers_statistics(fn, kwargs, bound_or_std, kind):
    ember.manual_seed(0)
    t = nn.Parameter(ember.empty(200, 300))
    assert fn(t, **kwargs) is t
    assert t.requires_grad and t.grad_fn is None
    v = values(t)
    if kind == "uniform":
        assert v.min() >= -2 and v.max() <= 3
        _stats_check(t, 0.5, 5 / math.sqrt(12))
    elif kind == "normal":
        _stats_check(t, 1.0, 2.0)
    elif kind == "ubound":
        assert np.abs(v).max() <= bound_or_std and np.abs(v).max() > 0.99 * bound_or_std
        _stats_check(t, 0.0, bound_or_std / math.sqrt(3))
    else:
        _stats_check(t, 0.0, bound_or_std)


def test_generator_makes_init_reproducible():
    g1, g2 = ember.Generator().manual_seed(3), ember.Generator().manual_seed(3)
    a = init.kaiming_normal_(ember.empty(4, 5), generator=g1)
    b = init.kaiming_normal_(ember.empty(4, 5), generator=g2)
    np.testing.assert_array_equal(values(a), values(b))
    ember.manual_seed(7)
    c = init.xavier_uniform_(ember.empty(4, 5))
    ember.manual_seed(7)
    np.testing.assert_array_equal(values(c), values(init.xavier_uniform_(ember.empty(4, 5))))


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.0, 1.0, 1.0, 1.5),
                                             (3.0, 0.5, 2.0, 5.0)])
def test_trunc_normal(mean, std, a, b):
    ember.manual_seed(0)
    t = init.trunc_normal_(ember.empty(100, 100), mean, std, a, b)
    v = values(t)
    assert v.min() >= a and v.max() <= b
    # Moments of the truncated normal, for comparison.
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = [math.exp(-z * z / 2) / math.sqrt(2 * math.pi) for z in (alpha, beta)]
    mass = (math.erf(beta / math.sqrt(2)) - math.erf(alpha / math.sqrt(2))) / 2
    expected_mean = mean + std * (pdf[0] - pdf[1]) / mass
    assert abs(v.mean() - expected_mean) < 0.03 * std


def test_constant_ones_zeros_eye_dirac():
    t = nn.Parameter(ember.empty(3, 4))
    version = t._version
    assert values(init.constant_(t, 2.5)).tolist() == [[2.5] * 4] * 3
    assert t._version > version and t.requires_grad
    assert values(init.ones_(t)).sum() == 12 and values(init.zeros_(t)).sum() == 0
    np.testing.assert_array_equal(values(init.eye_(t)), np.eye(3, 4))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        init.eye_(ember.empty(2, 2, 2))
    w = init.dirac_(ember.empty(4, 2, 3, 3), groups=2)
    v = values(w)
    assert v.sum() == 4 and v[0, 0, 1, 1] == 1 and v[1, 1, 1, 1] == 1 and v[2, 0, 1, 1] == 1
    with pytest.raises(ValueError, match="divisible by groups"):
        init.dirac_(ember.empty(3, 2, 3), groups=2)


@pytest.mark.parity
def test_dirac_matches_torch():
    torch = torch_or_skip()
    for shape, groups in [((6, 4, 3), 2), ((4, 4, 3, 5), 1), ((2, 3, 1, 3, 3), 1)]:
        np.testing.assert_array_equal(values(init.dirac_(ember.empty(shape), groups)),
                                      torch.nn.init.dirac_(torch.empty(shape), groups).numpy())


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (3, 2, 2)])
def test_orthogonal(shape):
    ember.manual_seed(0)
    t = init.orthogonal_(ember.empty(shape, dtype=ember.float64), gain=2.0)
    m = values(t).reshape(shape[0], -1)
    small = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    np.testing.assert_allclose(small, 4 * np.eye(small.shape[0]), atol=1e-10)


def test_sparse():
    ember.manual_seed(0)
    t = init.sparse_(ember.empty(10, 6), sparsity=0.3, std=0.5)
    zeros_per_column = (values(t) == 0).sum(0)
    assert (zeros_per_column == 3).all()


def test_kaiming_errors_and_zero_element_warning():
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(ember.empty(2, 2), mode="fan_avg")
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_normal_(ember.empty(0, 3))


def test_init_does_not_record_graph():
    p = nn.Parameter(ember.empty(3, 3))
    for fn in (init.uniform_, init.normal_, init.xavier_normal_, init.orthogonal_):
        assert fn(p).grad_fn is None and p.grad_fn is None
