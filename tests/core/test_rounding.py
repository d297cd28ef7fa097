"""ember.ops.rounding: div rounding modes, floor_divide, remainder, fmod."""
import numpy as np
import pytest
from ember_testing import assert_close, check_gradcheck, check_parity, rand, torch_or_skip

import ember

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

A = np.array([[7, -7, 7, -7, 0, 5, -1], [3, 8, -9, 1, -4, 6, 2]])
B = np.array([2, 2, -3, -3, 5, 1, 4])


def _cases(torch):
    div_floor = ("floor", lambda m, a, b: m.div(a, b, rounding_mode="floor"))
    return [div_floor,
            ("trunc", lambda m, a, b: m.div(a, b, rounding_mode="trunc")),
            ("floor_divide", lambda m, a, b: m.floor_divide(a, b)),
            ("//", lambda m, a, b: a // b),
            ("remainder", lambda m, a, b: m.remainder(a, b)),
            ("%", lambda m, a, b: a % b),
            ("fmod", lambda m, a, b: m.fmod(a, b)),
            ("method", lambda m, a, b: a.div(b, rounding_mode="floor"))]


@pytest.mark.parity
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "int8", "float32", "float64"])
def test_integer_and_float_semantics(dtype):
    torch = torch_or_skip()
    a, b = A, B
    if dtype == "uint8":
        a, b = np.abs(A), np.abs(B)
    a, b = a.astype(dtype), b.astype(dtype)
    for name, fn in _cases(torch):
        e = fn(ember, ember.tensor(a), ember.tensor(b))
        t = fn(torch, torch.tensor(a), torch.tensor(b))
        assert e.dtype.name == str(t.dtype)[6:], name
        assert_close(e, t, what=name)
        if dtype != "uint8":
            for scalar in (3, -2.5):
                assert_close(fn(ember, ember.tensor(a), scalar), fn(torch, torch.tensor(a),
                                                                    scalar), what=name)
        if name not in ("fmod", "method"):  # PyTorch has no fmod(number, tensor)
            assert_close(fn(ember, 7, ember.tensor(b)), fn(torch, 7, torch.tensor(b)), what=name)


@pytest.mark.parity
def test_float_special_values():
    torch = torch_or_skip()
    a = np.array([5.0, -5.0, 0.0, -0.0, 3.0, -3.0, np.inf, np.nan, 1e308, 0.3])
    b = np.array([0.0, 0.0, 0.0, 2.0, -3.0, 3.0, 2.0, 1.0, 1e-308, 0.1])
    for name, fn in _cases(torch):
        e = fn(ember, ember.tensor(a), ember.tensor(b))
        t = fn(torch, torch.tensor(a), torch.tensor(b))
        assert_close(e, t, 0, 0, what=name)
        zero = t.numpy() == 0
        assert (np.signbit(e.numpy()[zero]) == np.signbit(t.numpy()[zero])).all(), \
            f"{name}: sign of zero"


@pytest.mark.parity
def test_broadcasting_and_noncontiguous():
    check_parity(lambda m, a, b: m.remainder(a, b), rand(3, 4), rand(4, seed=1, positive=True))
    check_parity(lambda m, a, b: m.fmod(a, b), rand(3, 1), rand(1, 4, seed=1, positive=True))
    check_parity(lambda m, a, b: m.div(a, b, rounding_mode="trunc"), rand(2, 3), rand(3, seed=1))


@pytest.mark.parametrize("name", ["remainder", "fmod"])
def test_gradcheck(name):
    # Keep x / y away from integers, where the remainder jumps.
    x = np.array([[0.7, -1.3, 2.2], [3.4, -0.6, 1.1]])
    y = np.array([0.9, 1.6, -0.7])
    check_gradcheck(getattr(ember, name), x, y)
    check_gradcheck(lambda t: getattr(ember, name)(t, 0.8), x)


@pytest.mark.parity
@pytest.mark.parametrize("name", ["remainder", "fmod"])
def test_gradient_parity(name):
    check_parity(lambda m, a, b: getattr(m, name)(a, b), np.array([[0.7, -1.3, 2.2]]),
                 np.array([[0.9], [-1.6]]))


def test_rounded_div_gradient_is_zero():
    x = ember.tensor([1.5, -2.5], requires_grad=True)
    y = ember.tensor([2.0, 2.0], requires_grad=True)
    out = ember.div(x, y, rounding_mode="floor")
    assert out.grad_fn.name() == "DivBackward2"
    out.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0] and y.grad.tolist() == [0.0, 0.0]


def test_floor_divide_has_no_derivative():
    x = ember.tensor([1.5], requires_grad=True)
    with pytest.raises(RuntimeError, match="floor_divide"):
        (x // 2).sum().backward()


def test_inplace_forms():
    x = ember.tensor([7, -7])
    x //= 2
    assert x.tolist() == [3, -4]
    x %= 3
    assert x.tolist() == [0, 2]
    y = ember.tensor([5.5, -5.5])
    y.fmod_(2)
    assert y.tolist() == [1.5, -1.5]
    y.remainder_(1)
    assert y.tolist() == [0.5, 0.5]
    i = ember.tensor([3])
    with pytest.raises(RuntimeError, match="floor_divide_"):
        i.floor_divide_(1.5)


def test_errors():
    i = ember.tensor([1, 2])
    for fn in [lambda: i // 0, lambda: i % ember.tensor([1, 0]), lambda: ember.fmod(i, 0),
               lambda: ember.div(i, 0, rounding_mode="trunc")]:
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            fn()
    with pytest.raises(ValueError, match="rounding_mode"):
        ember.div(i, 2, rounding_mode="round")
    with pytest.raises(RuntimeError, match="Bool"):
        ember.tensor([True]) // ember.tensor([True])
