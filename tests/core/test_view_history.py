"""Views created before an in-place write take the base's new history, as PyTorch regenerates a
stale view's grad_fn: writing through one view, or into the base, must not leave other views
differentiating the old values."""
import numpy as np
import pytest
from ember_testing import torch_or_skip

import ember

# Each case: (setup on a framework `m` and a leaf `x` of 4 values) -> the tensor to sum.
CASES = {
    "sibling_write": lambda m, x: (lambda b: (b[:2].mul_(2), b[1:])[1])(x.clone()),
    "base_write": lambda m, x: (lambda b, v: (b.mul_(3), v)[1])(*(lambda b: (b, b[1:]))(
        x.clone())),
    "write_into_plain_base": lambda m, x: (lambda buf, v: (buf.copy_(x), v)[1])(
        *(lambda buf: (buf, buf[:3]))(m.zeros(4, dtype=x.dtype))),
    "view_of_view": lambda m, x: (lambda b, v: (b[2:].add_(x[:2] * x[:2]), v)[1])(
        *(lambda b: (b, b.reshape(2, 2)[1]))(x.clone())),
    "two_writes": lambda m, x: (lambda b, v: (b[0:1].mul_(5), b[3:].mul_(x[:1]), v)[2])(
        *(lambda b: (b, b[::3]))(x.clone())),
}


def _grad(m, name):
    x = m.tensor([1.0, 2.0, 3.0, 4.0], dtype=m.float64, requires_grad=True)
    out = CASES[name](m, x)
    (out * m.arange(1.0, out.numel() + 1, dtype=m.float64).reshape(out.shape)).sum().backward()
    return out.detach().numpy(), x.grad.numpy()


EXPECTED = {  # d/dx of sum(out * [1, 2, ...]), worked by hand
    "sibling_write": [0.0, 2.0, 2.0, 3.0],
    "base_write": [0.0, 3.0, 6.0, 9.0],
    "write_into_plain_base": [1.0, 2.0, 3.0, 0.0],
    "view_of_view": [2.0, 8.0, 1.0, 2.0],
    "two_writes": [5.0 + 2 * 4.0, 0.0, 0.0, 2.0],
}


@pytest.mark.parametrize("name", CASES)
def test_stale_views_follow_the_new_history(name):
    _, grad = _grad(ember, name)
    np.testing.assert_allclose(grad, EXPECTED[name])


@pytest.mark.parity
@pytest.mark.parametrize("name", CASES)
def test_stale_views_parity(name):
    torch = torch_or_skip()
    out, grad = _grad(ember, name)
    t_out, t_grad = _grad(torch, name)
    np.testing.assert_allclose(out, t_out)
    np.testing.assert_allclose(grad, t_grad)


def test_views_of_a_parameter_are_not_tracked():
    # A leaf that requires grad never needs regenerated views: nothing accumulates on it.
    w = ember.ones(3, requires_grad=True)
    for _ in range(100):
        w[1:]
    assert "_live_views" not in w.__dict__
