"""softmax / log_softmax: gradcheck (incl. second order), parity with torch, stability, errors."""
import numpy as np
import pytest
from ember_testing import check_gradcheck, check_parity, rand

import ember

OPS = ["softmax", "log_softmax"]


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("shape, dim", [((3, 4), 1), ((2, 3, 4), 0), ((5,), -1), ((), 0)])
def test_gradcheck(op, shape, dim):
    check_gradcheck(lambda x: getattr(ember, op)(x, dim), rand(*shape), gradgrad=True)


@pytest.mark.parity
@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("shape, dim", [((3, 4), 1), ((2, 3, 4), 1), ((2, 3, 4), -1), ((5,), 0)])
def test_parity(op, shape, dim):
    check_parity(lambda m, x: getattr(m, op)(x, dim), rand(*shape))
    check_parity(lambda m, x: getattr(x, op)(dim), rand(*shape))


@pytest.mark.parity
@pytest.mark.parametrize("op", OPS)
def test_dtype_argument_parity(op):
    check_parity(lambda m, x: getattr(m, op)(x, 1, dtype=m.float64), rand(3, 4),
                 dtypes=("float32",))


@pytest.mark.parity
@pytest.mark.parametrize("op", OPS)
def test_extreme_values_parity(op):
    x = np.array([[1000.0, 0.0, -1000.0], [-np.inf, 0.0, 1.0], [-np.inf, -np.inf, -np.inf],
                  [np.inf, 0.0, 1.0]])
    check_parity(lambda m, x: getattr(m, op)(x, 1), x, grad=False)


def test_single_node_and_names():
    x = ember.tensor(rand(3, 4), requires_grad=True)
    y = ember.softmax(x, 1)
    assert y.grad_fn.name() == "SoftmaxBackward0"
    assert y.grad_fn.next_functions[0][0].variable is x
    assert ember.log_softmax(x, 1).grad_fn.name() == "LogSoftmaxBackward0"


def test_inplace_change_of_result_is_caught():
    x = ember.tensor(rand(3, 4), requires_grad=True)
    y = ember.softmax(x, 1)
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_dtype_cast_gradient_dtype():
    x = ember.tensor(rand(3, 4).astype("float32"), requires_grad=True)
    y = ember.softmax(x, 1, dtype=ember.float64)
    assert y.dtype == ember.float64
    (y * ember.tensor(rand(3, 4))).sum().backward()
    assert x.grad.dtype == ember.float32


def test_empty():
    assert ember.softmax(ember.zeros(0, 3), 1).shape == (0, 3)


@pytest.mark.parametrize("op", OPS)
def test_errors(op):
    with pytest.raises(TypeError, match=f"{op}\\(\\): missing required argument 'dim'"):
        getattr(ember, op)(ember.zeros(3))
    with pytest.raises(IndexError, match=f"{op}: Dimension out of range"):
        getattr(ember, op)(ember.zeros(3), 2)
    with pytest.raises(RuntimeError, match=f"{op}: not implemented for 'int64'"):
        getattr(ember, op)(ember.tensor([1, 2]), 0)
