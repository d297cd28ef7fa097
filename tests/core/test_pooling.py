"""Pooling ops and layers: gradcheck (incl. double backward), torch parity, indices, errors."""
import numpy as np
import pytest
from ember_testing import check_gradcheck, check_parity, rand

import ember
import ember.nn.functional as F
from ember import nn

MAX2D = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), dilation=(2, 1)),
]
AVG2D = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), divisor_override=5),
]


@pytest.mark.parametrize("kw", MAX2D)
def test_max_pool2d_gradcheck(kw):
    check_gradcheck(lambda x: F.max_pool2d(x, **kw), rand(2, 2, 7, 6))


@pytest.mark.parametrize("kw", AVG2D)
def test_avg_pool2d_gradcheck(kw):
    check_gradcheck(lambda x: F.avg_pool2d(x, **kw), rand(2, 2, 7, 6))


def test_pool_double_backward():
    check_gradcheck(lambda x: F.max_pool2d(x, 3, 2, 1), rand(1, 2, 5, 5), gradgrad=True)
    check_gradcheck(lambda x: F.avg_pool2d(x, 3, 2, 1, True, False), rand(1, 2, 5, 5),
                    gradgrad=True)


@pytest.mark.parametrize("size", [(3, 2), 1, (4, 5)])
def test_adaptive_gradcheck(size):
    check_gradcheck(lambda x: F.adaptive_avg_pool2d(x, size), rand(1, 2, 6, 5))
    check_gradcheck(lambda x: F.adaptive_max_pool2d(x, size), rand(1, 2, 6, 5))


def test_max_pool2d_tiled_gradcheck():
    # Windows that tile the input exactly take a direct-write backward.
    check_gradcheck(lambda x: F.max_pool2d(x, 2), rand(2, 2, 6, 4), gradgrad=True)
    check_gradcheck(lambda x: F.max_pool3d(x, (2, 1, 3)), rand(1, 2, 4, 3, 6))
    # Maxima taken one dimension at a time (3x1x3: 7 passes, not 9), a size-1 kernel included.
    check_gradcheck(lambda x: F.max_pool3d(x, (3, 1, 3), (2, 1, 1), (1, 0, 1)),
                    rand(1, 2, 5, 3, 6))
    check_gradcheck(lambda x: F.max_pool1d(x, 1), rand(1, 2, 5))


@pytest.mark.parity
@pytest.mark.parametrize("gfill", [1.0, np.inf, np.nan])
def test_max_pool2d_tiled_ties_and_nonfinite_grad(gfill):
    # Ties pick the first maximum; an inf/NaN output gradient reaches only the winners.
    import torch
    rng = np.random.default_rng(2)
    x = rng.integers(-1, 2, (2, 3, 6, 4)).astype(np.float32)
    x[rng.random(x.shape) < 0.1] = np.nan
    g = rng.standard_normal((2, 3, 3, 2)).astype(np.float32)
    g[0, 0, 0, 0] = gfill
    tx = torch.tensor(x, requires_grad=True)
    to, ti = torch.nn.functional.max_pool2d(tx, 2, return_indices=True)
    ex = ember.tensor(x, requires_grad=True)
    eo, ei = F.max_pool2d(ex, 2, return_indices=True)
    to.backward(torch.tensor(g))
    eo.backward(ember.tensor(g))
    np.testing.assert_array_equal(ei.numpy(), ti.numpy())
    np.testing.assert_array_equal(ex.grad.numpy(), tx.grad.numpy())


@pytest.mark.parity
@pytest.mark.parametrize("kw", MAX2D)
def test_max_pool2d_parity(kw):
    check_parity(lambda m, x: m.nn.functional.max_pool2d(x, return_indices=True, **kw),
                 rand(2, 3, 9, 8), grad=False)
    check_parity(lambda m, x: m.nn.functional.max_pool2d(x, **kw), rand(2, 3, 9, 8))


@pytest.mark.parity
@pytest.mark.parametrize("fill", [np.nan, -np.inf])
def test_max_pool2d_nan_and_lowest_indices(fill):
    # PyTorch's winners: the last NaN of a window, and never a padding position when the
    # in-bounds maximum is -inf.
    import torch
    x = np.random.default_rng(0).integers(-2, 3, (2, 3, 7, 6)).astype(np.float64)
    x[np.random.default_rng(1).random(x.shape) < 0.3] = fill
    tx = torch.tensor(x, requires_grad=True)
    to, ti = torch.nn.functional.max_pool2d(tx, 3, 2, 1, return_indices=True)
    ex = ember.tensor(x, requires_grad=True)
    eo, ei = F.max_pool2d(ex, 3, 2, 1, return_indices=True)
    to.sum().backward()
    eo.sum().backward()
    np.testing.assert_array_equal(ei.numpy(), ti.numpy())
    np.testing.assert_array_equal(ex.grad.numpy(), tx.grad.numpy())
    with ember.no_grad():
        np.testing.assert_array_equal(F.max_pool2d(ember.tensor(x), 3, 2, 1).numpy(),
                                      to.detach().numpy())


@pytest.mark.parity
@pytest.mark.parametrize("kw", AVG2D)
def test_avg_pool2d_parity(kw):
    check_parity(lambda m, x: m.nn.functional.avg_pool2d(x, **kw), rand(2, 3, 9, 8))


@pytest.mark.parity
@pytest.mark.parametrize("fn,shape,args", [
    ("max_pool1d", (2, 3, 11), (3, 2, 1)),
    ("max_pool1d", (3, 11), (2,)),  # unbatched
    ("max_pool3d", (1, 2, 5, 4, 5), (2, 2, 1)),
    ("avg_pool1d", (2, 3, 11), (3, 2, 1, True, False)),
    ("avg_pool3d", (1, 2, 5, 4, 5), (3, 2, 1)),
    ("lp_pool2d", (2, 3, 8, 7), (2, 3, 2)),
    ("lp_pool1d", (2, 3, 8), (3.0, 2)),
])
def test_pool_family_parity(fn, shape, args):
    x = rand(*shape, positive=fn.startswith("lp"))
    check_parity(lambda m, t: getattr(m.nn.functional, fn)(t, *args), x)


@pytest.mark.parity
@pytest.mark.parametrize("size", [(3, 4), (4, 3), 1, (5, None), (2, 8)])
def test_adaptive_parity(size):
    x = rand(2, 3, 9, 8)
    check_parity(lambda m, t: m.nn.functional.adaptive_avg_pool2d(t, size), x)
    check_parity(lambda m, t: m.nn.functional.adaptive_max_pool2d(t, size, True), x, grad=False)
    check_parity(lambda m, t: m.nn.functional.adaptive_max_pool2d(t, size), x)
    check_parity(lambda m, t: m.nn.functional.adaptive_avg_pool1d(t, 4), rand(2, 3, 10))


@pytest.mark.parity
def test_max_pool_nan_and_unpool():
    torch = pytest.importorskip("torch")
    x = rand(1, 1, 4, 4, dtype="float32")
    x[0, 0, 1, 1] = np.nan
    e = F.max_pool2d(ember.from_numpy(x), 2)
    t = torch.nn.functional.max_pool2d(torch.from_numpy(x), 2)
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    check_parity(lambda m, t: m.nn.functional.max_unpool2d(
        *m.nn.functional.max_pool2d(t, 2, return_indices=True), 2, output_size=(5, 4)),
        rand(2, 3, 5, 4))


@pytest.mark.parity
@pytest.mark.parametrize("cls,args", [
    ("MaxPool2d", (2,)), ("MaxPool1d", (3, 2, 1)), ("AvgPool1d", (3,)), ("AvgPool2d", (3, 2, 1)),
    ("AdaptiveAvgPool2d", ((5, 7),)), ("AdaptiveMaxPool2d", (3,)), ("LPPool2d", (2, 3)),
    ("MaxUnpool2d", (2,)), ("MaxPool3d", (2, 1)), ("AdaptiveAvgPool1d", (4,)),
])
def test_pool_module_repr(cls, args):
    torch = pytest.importorskip("torch")
    assert repr(getattr(nn, cls)(*args)) == repr(getattr(torch.nn, cls)(*args))


def test_pool_modules_forward():
    x = ember.randn(2, 3, 8, 8)
    assert nn.MaxPool2d(2)(x).shape == (2, 3, 4, 4)
    out, idx = nn.MaxPool2d(2, return_indices=True)(x)
    assert idx.dtype == ember.int64
    assert nn.MaxUnpool2d(2)(out, idx).shape == (2, 3, 8, 8)
    assert nn.AdaptiveAvgPool2d((1, 1))(x).shape == (2, 3, 1, 1)


def test_pool_errors():
    with pytest.raises(RuntimeError, match=r"max_pool2d: expected input with 3 \(unbatched\) or "
                                           r"4 dims"):
        F.max_pool2d(ember.randn(4, 4), 2)
    with pytest.raises(RuntimeError, match="max_pool2d: pad should be at most half"):
        F.max_pool2d(ember.randn(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(RuntimeError, match="avg_pool2d: .*Output size is too small"):
        F.avg_pool2d(ember.randn(1, 1, 2, 2), 3)
    with pytest.raises(RuntimeError, match="adaptive_avg_pool2d: output_size must be positive"):
        F.adaptive_avg_pool2d(ember.randn(1, 1, 4, 4), 0)
