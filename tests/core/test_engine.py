"""Engine semantics that PyTorch's AccumulateGrad defines: a leaf reached by several edges."""
import numpy as np

import ember


def test_leaf_hooks_run_once_on_the_summed_gradient():
    b = ember.ones(3, requires_grad=True)
    calls = []
    b.register_hook(lambda g: calls.append(g.detach().numpy().copy()))
    b.register_post_accumulate_grad_hook(lambda t: calls.append("post"))
    ((b * 2).sum() + (b * 3).sum()).backward()
    assert len(calls) == 2 and calls[1] == "post"
    np.testing.assert_array_equal(calls[0], [5.0, 5.0, 5.0])
    np.testing.assert_array_equal(b.grad.numpy(), [5.0, 5.0, 5.0])


def test_summed_gradient_does_not_alias_an_edge_gradient():
    # add passes the same gradient to both inputs; summing into `a` must not touch `b`'s.
    a = ember.ones(3, requires_grad=True)
    b = ember.ones(3, requires_grad=True)
    (a + b + a).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0, 1.0])


def test_grad_of_a_leaf_used_twice_and_as_an_output():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    (gx,) = ember.autograd.grad([y.sum(), x.sum()], [x])
    np.testing.assert_array_equal(gx.numpy(), [3.0, 5.0])


def test_create_graph_through_a_summed_leaf_gradient():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    (x * x * x + x * x).sum().backward(create_graph=True)
    g = x.grad
    np.testing.assert_allclose(g.detach().numpy(), [5.0, 16.0])
    (gg,) = ember.autograd.grad(g.sum(), [x])
    np.testing.assert_allclose(gg.numpy(), [8.0, 14.0])
