"""ember.ops.special (lgamma, digamma, polygamma, mvlgamma, i0) and the new pointwise ops
(sinc, deg2rad, rad2deg, logaddexp(2), copysign, heaviside, nextafter, ldexp, frexp, gcd, lcm,
shifts): float64 accuracy, gradients, PyTorch parity, errors."""
import math

import numpy as np
import pytest
from ember_testing import check_gradcheck, check_parity, rand, randint

import ember

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

# Points across both branches of every series (reflection, shift, asymptotic) and the poles.
GRID = np.concatenate([np.linspace(-20.3, 40, 401), [1e-8, 0.5, 1, 2, 14.9, 15.1, 100.5, 1e5,
                                                    -1e5 - 0.3, 0.0, -0.0, -1, -2]])


def _ref(name, x):
    torch = pytest.importorskip("torch")
    return getattr(torch, name)(torch.tensor(x)).numpy()


@pytest.mark.parity
@pytest.mark.parametrize("name", ["lgamma", "digamma", "i0"])
def test_float64_accuracy_matches_torch(name):
    x = GRID if name != "i0" else GRID[np.isfinite(GRID)]
    ours = getattr(ember, name)(ember.tensor(x)).numpy()
    np.testing.assert_allclose(ours, _ref(name, x), rtol=1e-12, atol=1e-13)


@pytest.mark.parity
@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_polygamma_matches_torch(n):
    torch = pytest.importorskip("torch")
    # At the poles PyTorch's trigamma is a huge finite number; ours is inf (checked below).
    x = GRID[(GRID > -21) & ~((GRID <= 0) & (GRID == np.round(GRID)))]
    ours = ember.polygamma(n, ember.tensor(x)).numpy()
    ref = torch.polygamma(n, torch.tensor(x)).numpy()
    # PyTorch's own values lose ~1e-10 relative at negative x (ours sum positive terms there).
    np.testing.assert_allclose(ours, ref, rtol=1e-9)


def test_known_values():
    x = ember.tensor([0.5, 1.0, 5.0], dtype=ember.float64)
    np.testing.assert_allclose(ember.lgamma(x).numpy(), [0.5 * math.log(math.pi), 0, math.log(24)],
                               atol=1e-14)
    np.testing.assert_allclose(ember.digamma(ember.tensor([1.0], dtype=ember.float64)).numpy(),
                               [-0.5772156649015329], rtol=1e-15)
    np.testing.assert_allclose(ember.polygamma(1, ember.tensor([1.0], dtype=ember.float64))
                               .numpy(), [math.pi ** 2 / 6], rtol=1e-15)
    assert ember.lgamma(ember.tensor([0.0, -3.0, float("inf")])).tolist() == [math.inf] * 3
    assert ember.digamma(ember.tensor([0.0, -0.0])).tolist() == [-math.inf, math.inf]
    assert math.isnan(ember.digamma(ember.tensor([-2.0])).item())
    assert ember.i0(ember.tensor([0.0])).item() == 1.0
    assert ember.polygamma(1, ember.tensor([-1.0, 0.0])).tolist() == [math.inf, math.inf]
    assert ember.polygamma(2, ember.tensor([-1.0])).tolist() == [-math.inf]


def test_dtypes():
    assert ember.lgamma(ember.tensor([1, 2])).dtype is ember.float32
    assert ember.digamma(ember.rand(2, dtype=ember.float64)).dtype is ember.float64
    assert ember.polygamma(2, ember.rand(2)).dtype is ember.float32


@pytest.mark.parametrize("fn", [ember.lgamma, ember.digamma, ember.i0,
                                lambda x: ember.polygamma(2, x), lambda x: x.mvlgamma(3)])
def test_gradcheck_special(fn):
    check_gradcheck(fn, rand(3, 4, low=1.2, high=4.0), gradgrad=True)


def test_gradcheck_negative_arguments():
    x = rand(5, low=-3.9, high=-3.1)
    check_gradcheck(ember.lgamma, x)
    check_gradcheck(ember.digamma, x)


@pytest.mark.parity
@pytest.mark.parametrize("fn", [lambda m, x: m.lgamma(x), lambda m, x: m.digamma(x),
                                lambda m, x: m.polygamma(3, x), lambda m, x: m.i0(x),
                                lambda m, x: m.mvlgamma(x, 2), lambda m, x: x.lgamma_() * 1])
def test_parity_special(fn):
    check_parity(lambda m, x: fn(m, x + 0), rand(3, 4, low=1.1, high=6.0))


def test_errors():
    with pytest.raises(RuntimeError, match="polygamma"):
        ember.polygamma(-1, ember.rand(2))
    with pytest.raises(RuntimeError, match="mvlgamma"):
        ember.mvlgamma(ember.tensor([0.2]), 2)
    with pytest.raises(RuntimeError, match="lgamma"):
        ember.lgamma(ember.tensor([1j]))


# ----------------------------------------------------------------------------- pointwise
BINARY = ["logaddexp", "logaddexp2", "copysign"]


@pytest.mark.parametrize("name", BINARY)
def test_gradcheck_binary(name):
    x, y = rand(3, 4, seed=1), rand(4, seed=2)
    check_gradcheck(lambda a, b: getattr(ember, name)(a, b), x, y, gradgrad=name != "copysign")


@pytest.mark.parametrize("name", ["sinc", "deg2rad", "rad2deg"])
def test_gradcheck_unary(name):
    check_gradcheck(getattr(ember, name), rand(3, 4), gradgrad=True)


def test_sinc_at_zero():
    x = ember.tensor([0.0, 1.0], dtype=ember.float64, requires_grad=True)
    y = ember.sinc(x)
    y.sum().backward()
    assert y[0].item() == 1.0 and x.grad[0].item() == 0.0


@pytest.mark.parity
@pytest.mark.parametrize("fn,grad", [
    (lambda m, x, y: m.logaddexp(x, y), True), (lambda m, x, y: m.logaddexp2(x, y), True),
    (lambda m, x, y: m.copysign(x, y), True), (lambda m, x, y: x.copysign(-1.5), True),
    (lambda m, x, y: m.sinc(x), True), (lambda m, x, y: m.deg2rad(x), True),
    (lambda m, x, y: x.rad2deg(), True), (lambda m, x, y: m.ldexp(x, m.tensor([1, 2, 3, 4])), True),
    (lambda m, x, y: m.heaviside(x, y), False), (lambda m, x, y: m.nextafter(x, y), False),
])
def test_parity_pointwise(fn, grad):
    check_parity(fn, rand(3, 4, seed=3), rand(4, seed=4), grad=grad)


@pytest.mark.parity
def test_parity_integer_ops():
    torch = pytest.importorskip("torch")
    a, b = randint(6, low=-20, high=20, seed=1), randint(6, low=-20, high=20, seed=2)
    for name in ("gcd", "lcm"):
        ours = getattr(ember, name)(ember.tensor(a), ember.tensor(b))
        assert ours.tolist() == getattr(torch, name)(torch.tensor(a), torch.tensor(b)).tolist()
    s = np.array([0, 1, 3, 63, 64, 70])
    for op in ("bitwise_left_shift", "bitwise_right_shift"):
        ours = getattr(ember, op)(ember.tensor(a), ember.tensor(s))
        assert ours.tolist() == getattr(torch, op)(torch.tensor(a), torch.tensor(s)).tolist()
    u = ember.tensor([1, 2], dtype=ember.uint8)
    assert (u << 7).tolist() == (torch.tensor([1, 2], dtype=torch.uint8) << 7).tolist()
    assert (2 << ember.tensor([1])).tolist() == [4] and (ember.tensor([-8]) >> 1).tolist() == [-4]
    m, e = ember.frexp(ember.tensor([8.0, 0.3, -5.0]))
    tm, te = torch.frexp(torch.tensor([8.0, 0.3, -5.0]))
    assert m.tolist() == tm.tolist() and e.tolist() == te.tolist() and e.dtype is ember.int32


def test_inplace_shift_and_copysign():
    x = ember.tensor([3])
    x <<= 2
    assert x.tolist() == [12]
    y = ember.tensor([1.0, -2.0])
    y.copysign_(-1.0)
    assert y.tolist() == [-1.0, -2.0]


def test_pointwise_errors():
    with pytest.raises(RuntimeError, match="logaddexp"):
        ember.logaddexp(ember.tensor([1]), ember.tensor([2]))
    with pytest.raises(RuntimeError, match="heaviside"):
        ember.heaviside(ember.tensor([1.0]), ember.tensor([1]))
    with pytest.raises(RuntimeError, match="gcd"):
        ember.gcd(ember.tensor([1.0]), ember.tensor([2.0]))
    with pytest.raises(RuntimeError, match="bitwise_left_shift"):
        ember.tensor([1.5]) << 1
    with pytest.raises(RuntimeError, match="frexp"):
        ember.frexp(ember.tensor([1]))
    x = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="heaviside"):
        ember.heaviside(x, ember.tensor([0.5])).sum().backward()
