"""Activation functions and layers: gradcheck, parity with torch (values, gradients, in-place
forms), module reprs and errors."""
import numpy as np
import pytest
from ember_testing import check_gradcheck, check_parity, rand, torch_or_skip

import ember
import ember.nn.functional as F
from ember import nn

# (name, kwargs) of F.<name>(x, **kwargs); inputs span the kinks at 0, +-0.5, +-3 and 6.
CASES = [
    ("relu", {}), ("relu6", {}), ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.2}),
    ("elu", {}), ("elu", {"alpha": 0.5}), ("celu", {"alpha": 2.0}), ("selu", {}),
    ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}), ("mish", {}),
    ("hardswish", {}), ("hardsigmoid", {}), ("hardtanh", {}), ("hardtanh", {"min_val": -2.0,
                                                                            "max_val": 3.0}),
    ("hardshrink", {}), ("hardshrink", {"lambd": 1.5}), ("softshrink", {}), ("tanhshrink", {}),
    ("threshold", {"threshold": 0.3, "value": -2.0}), ("sigmoid", {}), ("logsigmoid", {}),
    ("tanh", {}), ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 3.0}),
    ("softsign", {}), ("rrelu", {}), ("glu", {}), ("glu", {"dim": 0}),
    ("softmax", {"dim": 1}), ("log_softmax", {"dim": 0}), ("softmin", {"dim": 1}),
]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw in CASES]


def _x(shape=(4, 6)):
    return rand(*shape, low=-7.0, high=7.0)


@pytest.mark.parametrize("name, kwargs", CASES, ids=IDS)
def test_gradcheck(name, kwargs):
    check_gradcheck(lambda x: getattr(F, name)(x, **kwargs), _x())


@pytest.mark.parity
@pytest.mark.parametrize("name, kwargs", CASES, ids=IDS)
def test_parity(name, kwargs):
    check_parity(lambda m, x: getattr(m.nn.functional, name)(x, **kwargs), _x())


@pytest.mark.parity
@pytest.mark.parametrize("name", ["relu", "relu6", "elu", "selu", "celu", "leaky_relu",
                                  "hardtanh", "silu", "mish", "hardswish", "hardsigmoid",
                                  "rrelu"])
def test_inplace_parity(name):
    def fn(m, x):
        y = x * 1  # a non-leaf, so the in-place write is allowed
        out = getattr(m.nn.functional, name)(y, inplace=True)
        assert out is y
        return y
    check_parity(fn, _x())


@pytest.mark.parity
@pytest.mark.parametrize("name, args", [("relu_", ()), ("elu_", ()), ("leaky_relu_", (0.3,)),
                                        ("hardtanh_", (-0.5, 0.5)), ("threshold_", (0.1, 9.0)),
                                        ("rrelu_", ()), ("selu_", ()), ("celu_", ())])
def test_underscore_functions_parity(name, args):
    check_parity(lambda m, x: getattr(m.nn.functional, name)(x * 1, *args), _x())


@pytest.mark.parametrize("name", ["relu", "elu", "hardtanh"])
def test_inplace_without_graph(name):
    # No graph recorded: the result is written straight into the input (a view included), the
    # version bumps, and a node that saved the input still refuses the modified value.
    x = ember.tensor(_x())
    expected = getattr(F, name)(x).numpy()
    with ember.no_grad():
        y = x.clone()
        v = y[1:]
        assert getattr(F, name)(v, inplace=True) is v
    np.testing.assert_array_equal(y[1:].numpy(), expected[1:])
    np.testing.assert_array_equal(y[0].numpy(), x[0].numpy())
    w = ember.ones(_x().shape, requires_grad=True)
    z = x.clone()
    out = (w * z).sum()
    getattr(F, name)(z, inplace=True)
    np.testing.assert_array_equal(z.numpy(), expected)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()
    with ember.no_grad(), pytest.raises(RuntimeError, match="unsupported operation"):
        getattr(F, name)(ember.zeros(3).expand(2, 3), inplace=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        getattr(F, name)(w, inplace=True)


def test_inplace_relu_with_graph_writes_without_a_copy():
    # relu_ on a graph keeps the written array for its mask: gradients equal the out-of-place
    # op's, also through a view of a base and with double backward; a node that saved the
    # pre-ReLU values still refuses them.
    data = _x()
    x = ember.tensor(data, requires_grad=True)
    (F.relu(x * 2) * ember.tensor(data)).sum().backward()
    expected = x.grad.numpy()
    x.grad = None
    y = x * 2
    storage = y._data
    assert F.relu(y, inplace=True) is y and y._data is storage
    (y * ember.tensor(data)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), expected)

    x.grad = None
    base = x * 2
    F.relu(base[1:], inplace=True)
    base.sum().backward()
    want = np.full(data.shape, 2.0, np.float32)
    want[1:] *= data[1:] > 0
    np.testing.assert_array_equal(x.grad.numpy(), want)

    y = x * 1
    (g,) = ember.autograd.grad((F.relu(y, inplace=True) ** 2).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 2 * np.maximum(data, 0), rtol=1e-6)

    y = x * 1
    saved = y.sigmoid()
    F.relu(y, inplace=True)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        saved.sum().backward()


def test_inplace_on_leaf_errors():
    x = ember.tensor(_x(), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F.elu(x, inplace=True)


@pytest.mark.parity
@pytest.mark.parametrize("shape, n", [((2, 3, 4), 3), ((2, 3), 1), ((3,), 1), ((5, 3), 3),
                                      ((), 1)])
def test_prelu_parity(shape, n):
    check_parity(lambda m, x, w: m.nn.functional.prelu(x, w), _x(shape), rand(n, seed=3))


def test_prelu_gradcheck():
    check_gradcheck(F.prelu, _x((2, 3, 4)), rand(3, seed=3))


def test_prelu_module():
    m = nn.PReLU(3, init=0.1)
    assert m.weight.shape == (3,) and np.allclose(m.weight.detach().numpy(), 0.1)
    out = m(ember.tensor(-np.ones((2, 3, 4), dtype="float32")))
    assert np.allclose(out.detach().numpy(), -0.1)
    assert [n for n, _ in m.named_parameters()] == ["weight"]


def test_rrelu_training_slopes_in_range():
    x = ember.tensor(-np.ones(1000))
    y = F.rrelu(x, 0.1, 0.3, training=True).numpy()
    assert (y <= -0.1).all() and (y >= -0.3).all() and y.std() > 0.01
    m = nn.RReLU(0.1, 0.3).eval()
    assert np.allclose(m(x).numpy(), -0.2)


@pytest.mark.parity
@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (3, 4, 5)])
def test_softmax2d_parity(shape):
    check_parity(lambda m, x: m.nn.Softmax2d()(x), _x(shape))


MODULES = [("ReLU", {}), ("ReLU", {"inplace": True}), ("RReLU", {}), ("RReLU", {"lower": 0.2}),
           ("Hardtanh", {}), ("Hardtanh", {"min_val": -2.0, "inplace": True}), ("ReLU6", {}),
           ("ReLU6", {"inplace": True}), ("Sigmoid", {}), ("Hardsigmoid", {}), ("Tanh", {}),
           ("SiLU", {}), ("SiLU", {"inplace": True}), ("Mish", {}), ("Hardswish", {}),
           ("ELU", {}), ("ELU", {"alpha": 0.5, "inplace": True}), ("CELU", {}), ("SELU", {}),
           ("SELU", {"inplace": True}), ("GLU", {}), ("GELU", {}),
           ("GELU", {"approximate": "tanh"}),
           ("Hardshrink", {}), ("LeakyReLU", {}), ("LeakyReLU", {"negative_slope": 0.2}),
           ("LogSigmoid", {}), ("Softplus", {}), ("Softplus", {"beta": 2}), ("Softshrink", {}),
           ("PReLU", {}), ("PReLU", {"num_parameters": 4}), ("Softsign", {}), ("Tanhshrink", {}),
           ("Softmin", {"dim": 1}), ("Softmax", {"dim": 1}), ("Softmax2d", {}),
           ("LogSoftmax", {"dim": 1}), ("Threshold", {"threshold": 0.1, "value": 20.0})]


@pytest.mark.parity
@pytest.mark.parametrize("name, kwargs", MODULES)
def test_module_repr_and_forward_parity(name, kwargs):
    torch = torch_or_skip()
    e, t = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(e) == repr(t)
    if name in ("RReLU",):
        e.eval(), t.eval()
    shape = (2, 4, 3, 2)
    x = _x(shape).astype("float32")
    np.testing.assert_allclose(e(ember.tensor(x)).detach().numpy(),
                               t(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_errors():
    with pytest.raises(RuntimeError, match="glu: Halving dimension must be even"):
        F.glu(ember.zeros(3, 5))
    with pytest.raises(RuntimeError, match="gelu: approximate argument must be either none or "
                                           "tanh"):
        F.gelu(ember.zeros(3), approximate="fast")
    with pytest.raises(RuntimeError, match="prelu: Mismatch of parameter numbers and input "
                                           "channel size"):
        F.prelu(ember.zeros(2, 3), ember.zeros(4))
    with pytest.raises(TypeError, match="softmax\\(\\): missing required argument 'dim'"):
        nn.Softmax()(ember.zeros(3))
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D"):
        nn.Softmax2d()(ember.zeros(3))
    with pytest.raises(ValueError, match="Hardtanh: max_val must be larger than min_val"):
        nn.Hardtanh(1.0, 0.0)
