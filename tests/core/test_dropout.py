"""Dropout family: statistics, 1/(1-p) scaling, eval identity, channel masks, reproducibility
under ember.manual_seed, gradients, in-place, errors, module reprs."""
import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_statistics_and_scaling(p):
    ember.manual_seed(0)
    y = F.dropout(ember.ones(200000), p).numpy()
    assert abs((y == 0).mean() - p) < 0.01
    np.testing.assert_allclose(y[y != 0], 1 / (1 - p), rtol=1e-6)


def test_eval_identity_and_edge_probabilities():
    x = ember.randn(4, 5)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert not F.dropout(x, 1.0).numpy().any()
    m = nn.Dropout(0.5).eval()
    assert m(x) is x


def test_reproducible_under_manual_seed():
    ember.manual_seed(123)
    a = F.dropout(ember.ones(50, 50))
    ember.manual_seed(123)
    b = F.dropout(ember.ones(50, 50))
    assert (a == b).all()
    assert not (F.dropout(ember.ones(50, 50)) == a).all()


def test_gradient_is_the_mask():
    x = ember.ones(1000, requires_grad=True)
    y = F.dropout(x, 0.3)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.detach().numpy())


def test_inplace():
    x = ember.ones(100)
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x and (x.numpy() == 0).any()


@pytest.mark.parametrize("fn,shape", [(F.dropout1d, (4, 6, 10)), (F.dropout1d, (6, 10)),
                                      (F.dropout2d, (4, 6, 3, 3)), (F.dropout3d, (4, 6, 2, 2, 2)),
                                      (F.dropout3d, (6, 2, 2, 2))])
def test_channel_dropout_drops_whole_channels(fn, shape):
    ember.manual_seed(1)
    y = fn(ember.ones(*shape), 0.5).numpy()
    lead = 2 if len(shape) in (3, 4) and fn is not F.dropout3d or len(shape) == 5 else 1
    flat = y.reshape(int(np.prod(shape[:lead])), -1)
    assert ((flat == 0).all(1) | (flat == 2).all(1)).all()
    assert (flat == 0).all(1).any() and (flat == 2).all(1).any()


def test_alpha_dropout_keeps_statistics():
    ember.manual_seed(0)
    x = ember.randn(400000)
    y = F.alpha_dropout(x, 0.3, training=True)
    assert abs(float(y.mean())) < 0.01 and abs(float(y.std()) - 1) < 0.01
    assert F.alpha_dropout(x, 0.3) is x  # training defaults to False
    y = F.feature_alpha_dropout(ember.ones(8, 100, 4), 0.5, training=True).numpy()
    assert (y == y[..., :1]).all() and len(np.unique(y)) == 2  # whole channels share a value


def test_errors_and_reprs():
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but "
                                         "got 1.5"):
        F.dropout(ember.ones(3), 1.5)
    with pytest.raises(ValueError, match="but got -0.1"):
        nn.Dropout(-0.1)
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input"):
        F.dropout1d(ember.ones(2, 3, 4, 5))
    with pytest.warns(UserWarning, match="dropout2d"):
        F.dropout2d(ember.ones(2, 3, 4))
    assert repr(nn.Dropout(0.2)) == "Dropout(p=0.2, inplace=False)"
    assert repr(nn.Dropout2d(0.5, inplace=True)) == "Dropout2d(p=0.5, inplace=True)"
    assert repr(nn.AlphaDropout()) == "AlphaDropout(p=0.5, inplace=False)"
