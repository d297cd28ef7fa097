"""F.linear / F.bilinear and the Identity, Linear, Bilinear, Flatten, Unflatten layers."""
import math

import numpy as np
import pytest
from ember_testing import check_gradcheck, check_parity, rand, torch_or_skip

import ember
import ember.nn.functional as F
from ember import nn


@pytest.mark.parametrize("x_shape", [(4, 3), (3,), (2, 5, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck(x_shape, bias):
    args = [rand(*x_shape), rand(2, 3, seed=1)] + ([rand(2, seed=2)] if bias else [])
    check_gradcheck(F.linear, *args, gradgrad=True)


def test_bilinear_gradcheck():
    check_gradcheck(F.bilinear, rand(4, 2), rand(4, 3, seed=1), rand(5, 2, 3, seed=2),
                    rand(5, seed=3))


@pytest.mark.parity
@pytest.mark.parametrize("x_shape", [(4, 3), (3,), (2, 5, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_parity(x_shape, bias):
    args = [rand(*x_shape), rand(2, 3, seed=1)] + ([rand(2, seed=2)] if bias else [])
    check_parity(lambda m, *a: m.nn.functional.linear(*a), *args)


@pytest.mark.parity
@pytest.mark.parametrize("shapes", [((4, 2), (4, 3)), ((2), (3)), ((2, 4, 2), (2, 4, 3))])
def test_bilinear_parity(shapes):
    s1, s2 = (s if isinstance(s, tuple) else (s,) for s in shapes)
    check_parity(lambda m, *a: m.nn.functional.bilinear(*a), rand(*s1), rand(*s2, seed=1),
                 rand(5, 2, 3, seed=2), rand(5, seed=3))


def test_linear_grad_fn_names():
    x, w, b = (ember.ones(2, 3, requires_grad=True), ember.ones(4, 3, requires_grad=True),
               ember.ones(4, requires_grad=True))
    assert F.linear(x, w, b).grad_fn.name() == "AddmmBackward0"
    assert F.linear(x, w).grad_fn.name() == "MmBackward0"


def test_linear_broadcast_bias():
    x, w = ember.tensor(rand(2, 3)), ember.tensor(rand(4, 3))
    b = ember.tensor(rand(1), requires_grad=True)
    out = F.linear(x, w, b)
    np.testing.assert_allclose(out.detach().numpy(), x.numpy() @ w.numpy().T + b.detach().numpy())
    out.sum().backward()
    assert b.grad.shape == (1,) and b.grad.item() == pytest.approx(8)


@pytest.mark.parametrize("args, message", [
    ((rand(2, 3), rand(5, 4)),
     r"linear: mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    ((rand(2, 3), rand(5, 3).astype("float32")), "linear: expected m1 and m2 to have the same "
                                                 "dtype, but got: double != float"),
    ((rand(2, 3), rand(3)), "linear: weight must be 2-D"),
])
def test_linear_errors(args, message):
    with pytest.raises(RuntimeError, match=message):
        F.linear(*(ember.tensor(a) for a in args))


@pytest.mark.parametrize("args, message", [
    ((rand(2, 3), rand(3, 4), rand(5, 3, 4)), "input batch dimensions do not match at dim 0: "
                                              "got 2 and 3"),
    ((rand(2, 3), rand(2, 4), rand(5, 2, 4)), "input1 size does not match weight size: got 3 "
                                              "but expected 2"),
    ((rand(2, 3), rand(2, 4), rand(5, 3, 4), rand(4)), "bias size does not match weight size: "
                                                       "got 4 but expected 5"),
])
def test_bilinear_errors(args, message):
    with pytest.raises(RuntimeError, match="bilinear\\(\\): " + message):
        F.bilinear(*(ember.tensor(a) for a in args))


def test_linear_module_init_bounds_and_factory_kwargs():
    ember.manual_seed(0)
    m = nn.Linear(50, 20, dtype=ember.float64)
    assert m.weight.dtype == ember.float64 and m.weight.shape == (20, 50)
    bound = 1 / math.sqrt(50)  # kaiming_uniform_(a=sqrt(5)) reduces to U(-1/sqrt(fan_in), ...)
    w = m.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(m.bias.detach().numpy()).max() <= bound
    assert nn.Linear(2, 3, bias=False).bias is None
    assert nn.Linear(2, 3, device="cpu").weight.device.type == "cpu"
    bl = nn.Bilinear(4, 3, 2)
    assert bl.weight.shape == (2, 4, 3)
    assert np.abs(bl.weight.detach().numpy()).max() <= 1 / math.sqrt(4)


def test_linear_module_trains_and_identity():
    m = nn.Linear(3, 1)
    x = ember.tensor(rand(8, 3, dtype="float32"))
    m(x).sum().backward()
    np.testing.assert_allclose(m.weight.grad.numpy()[0], x.numpy().sum(0), rtol=1e-6)
    assert m.bias.grad.item() == 8
    assert nn.Identity(1, unused=2)(x) is x


@pytest.mark.parity
@pytest.mark.parametrize("kind", ["linear", "bilinear"])
def test_modules_with_torch_weights_match_torch(kind):
    torch = torch_or_skip()
    torch.manual_seed(0)
    t = torch.nn.Linear(6, 3) if kind == "linear" else torch.nn.Bilinear(6, 2, 3)
    e = nn.Linear(6, 3) if kind == "linear" else nn.Bilinear(6, 2, 3)
    e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    xs = [rand(4, 6, dtype="float32")] + ([rand(4, 2, dtype="float32")] if kind != "linear"
                                          else [])
    out_e = e(*(ember.tensor(x) for x in xs))
    out_t = t(*(torch.tensor(x) for x in xs))
    np.testing.assert_allclose(out_e.detach().numpy(), out_t.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    out_e.sum().backward()
    out_t.sum().backward()
    np.testing.assert_allclose(e.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-5,
                               atol=1e-5)


@pytest.mark.parity
def test_flatten_unflatten_parity():
    check_parity(lambda m, x: m.nn.Flatten()(x), rand(2, 3, 4))
    check_parity(lambda m, x: m.nn.Flatten(0, 1)(x), rand(2, 3, 4))
    check_parity(lambda m, x: m.nn.Unflatten(1, (3, 2))(x), rand(4, 6))


def test_unflatten_errors():
    with pytest.raises(TypeError, match="must be a tuple of ints"):
        nn.Unflatten(1, 5)
    with pytest.raises(TypeError, match="found element of type float at pos 1"):
        nn.Unflatten(1, (2, 2.0))
