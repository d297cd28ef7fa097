import numpy as np
import pytest

import ember
from ember.autograd import Function


def leaf(values, dtype=ember.float64, device="cpu"):
    return ember.tensor(values, dtype=dtype, device=device, requires_grad=True)


def host(t):
    return t.detach().cpu().numpy()


def test_backward_accumulates_into_leaves(device):
    x = leaf([1.0, 2.0, 3.0], device=device)
    (x * x).sum().backward()
    np.testing.assert_allclose(host(x.grad), [2, 4, 6])
    (x * 3).sum().backward()
    np.testing.assert_allclose(host(x.grad), [5, 7, 9])
    assert x.grad.requires_grad is False and x.grad.grad_fn is None
    assert x.grad.device == x.device


def test_shared_subgraph_gets_summed_gradient(device):
    x = leaf([2.0], device=device)
    y = x * x
    z = y * y + y  # d/dx (x^4 + x^2) = 4x^3 + 2x
    z.sum().backward()
    np.testing.assert_allclose(host(x.grad), [36.0])


def test_non_scalar_backward_needs_gradient(device):
    x = leaf([1.0, 2.0], device=device)
    with pytest.raises(RuntimeError, match="implicitly created only for scalar"):
        (x * 2).backward()
    (x * 2).backward(ember.tensor([1.0, 0.5], dtype=ember.float64, device=device))
    np.testing.assert_allclose(host(x.grad), [2.0, 1.0])


def test_gradient_shape_mismatch_is_named():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output has a shape of \[3\]"):
        (x * 2).backward(ember.ones(3, dtype=ember.float64))


def test_backward_on_tensor_without_grad_fails():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ember.tensor([1.0]).sum().backward()


def test_second_backward_needs_retain_graph():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4, 8])
    z = (x * x).sum()
    z.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        z.backward()


def test_grad_returns_without_accumulating():
    x = leaf([1.0, 2.0])
    y = leaf([3.0, 4.0])
    gx, gy = ember.autograd.grad((x * y).sum(), [x, y])
    np.testing.assert_allclose(gx.numpy(), [3, 4])
    np.testing.assert_allclose(gy.numpy(), [1, 2])
    assert x.grad is None and y.grad is None


def test_grad_of_non_leaf_input():
    x = leaf([1.0, 2.0])
    h = x * 2
    (gh,) = ember.autograd.grad((h * h).sum(), h)
    np.testing.assert_allclose(gh.numpy(), [4, 8])


def test_grad_unused_input():
    x, y = leaf([1.0]), leaf([2.0])
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        ember.autograd.grad((x * 2).sum(), [x, y])
    gx, gy = ember.autograd.grad((x * 2).sum(), [x, y], allow_unused=True)
    assert gy is None
    gx, gy = ember.autograd.grad((x * 2).sum(), [x, y], materialize_grads=True)
    np.testing.assert_allclose(gy.numpy(), [0.0])


def test_higher_order_gradients(device):
    x = leaf([1.5, -2.0], device=device)
    (g,) = ember.autograd.grad((x * x * x).sum(), x, create_graph=True)
    assert g.requires_grad
    np.testing.assert_allclose(host(g), 3 * np.array([1.5, -2.0]) ** 2)
    (h,) = ember.autograd.grad(g.sum(), x, create_graph=True)
    np.testing.assert_allclose(host(h), 6 * np.array([1.5, -2.0]))
    (k,) = ember.autograd.grad(h.sum(), x)
    np.testing.assert_allclose(host(k), [6.0, 6.0])


def test_backward_with_inputs_only_fills_those():
    x, y = leaf([1.0]), leaf([2.0])
    (x * y).sum().backward(inputs=[x])
    np.testing.assert_allclose(x.grad.numpy(), [2.0])
    assert y.grad is None


def test_branch_without_gradient_does_not_block_others():
    # y's history is reached by an edge that gets no gradient; x's must still arrive.
    x = leaf([1.0, 2.0])
    y = x * 3

    class FirstOnly(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * 1

        @staticmethod
        def backward(ctx, g):
            return g, None

    out = FirstOnly.apply(y, y * 2) + y
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])


# ------------------------------------------------------------------------- grad modes
def test_no_grad_and_enable_grad():
    x = leaf([1.0])
    with ember.no_grad():
        y = x * 2
        with ember.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad
    assert ember.is_grad_enabled()


def test_grad_mode_decorators():
    @ember.no_grad()
    def f(t):
        return t * 2

    @ember.set_grad_enabled(False)
    def g(t):
        return t * 2

    x = leaf([1.0])
    assert not f(x).requires_grad
    assert not g(x).requires_grad
    assert ember.is_grad_enabled(), "decorating must not switch grad mode off globally"
    assert (x * 2).requires_grad


def test_set_grad_enabled_as_call_and_context():
    x = leaf([1.0])
    ember.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        ember.set_grad_enabled(True)
    with ember.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad


def test_inference_mode():
    x = leaf([1.0])
    with ember.inference_mode():
        assert not (x * 2).requires_grad
    with ember.inference_mode(False):
        assert (x * 2).requires_grad


# ------------------------------------------------------------------------- hooks
def test_leaf_hook_can_replace_gradient():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    h = x.register_hook(lambda g: g * 10)
    (x * 1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [10, 10])
    np.testing.assert_allclose(seen[0], [1, 1])
    h.remove()
    x.grad = None
    (x * 1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1, 1])


def test_non_leaf_hook_and_retain_grad():
    x = leaf([1.0, 2.0])
    y = x * 3
    y.retain_grad()
    y.register_hook(lambda g: g * 2)
    (y * y).sum().backward()
    # y's hook doubles the gradient flowing into y's history; retain_grad saw it first.
    np.testing.assert_allclose(y.grad.numpy(), [6, 12])
    np.testing.assert_allclose(x.grad.numpy(), [36, 72])
    assert y.retains_grad and not x.retains_grad


def test_hook_on_tensor_without_grad_fails():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ember.tensor([1.0]).register_hook(lambda g: g)


def test_post_accumulate_grad_hook():
    x = leaf([1.0])
    calls = []
    x.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad.item()))
    (x * 4).sum().backward()
    assert calls == [4.0]


# ------------------------------------------------------------------------- in-place safety
def test_modified_saved_tensor_raises():
    x = leaf([1.0, 2.0])
    a = x * 1
    b = a * a  # saves a
    with ember.no_grad():
        a.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()


def test_inplace_on_leaf_requiring_grad_raises():
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1)
    with ember.no_grad():
        x.add_(1)  # allowed without recording
    assert x.item() == 2.0 and x._version == 1


def test_inplace_on_non_leaf_rebases_graph():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.add_(1)
    y.mul_(3)
    assert y.grad_fn.name() == "MulBackward0"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6, 6])
    np.testing.assert_allclose(y.detach().numpy(), [9, 15])


def test_detach_shares_storage_and_version():
    x = leaf([1.0, 2.0])
    d = x.detach()
    assert not d.requires_grad
    d.add_(1)
    np.testing.assert_allclose(x.detach().numpy(), [2, 3])
    assert x._version == 1


# ------------------------------------------------------------------------- custom Function
class Cube(Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x * x * x * scale

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x * ctx.scale, None


def test_custom_function_forward_backward_and_name():
    x = leaf([1.0, 2.0])
    y = Cube.apply(x, 2.0)
    assert y.grad_fn.name() == "CubeBackward"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6, 24])
    assert ember.autograd.gradcheck(lambda t: Cube.apply(t, 0.5), (leaf([0.3, -1.2]),))


def test_custom_function_needs_input_grad_and_no_record_without_grad():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, a, b):
            seen["needs"] = ctx.needs_input_grad
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g, g

    out = Probe.apply(leaf([1.0]), ember.tensor([2.0], dtype=ember.float64))
    assert seen["needs"] == (True, False)
    assert out.requires_grad
    plain = Probe.apply(ember.tensor([1.0]), ember.tensor([2.0]))
    assert not plain.requires_grad and plain.grad_fn is None


def test_custom_function_multiple_outputs_and_non_differentiable():
    class SplitArgmax(Function):
        @staticmethod
        def forward(ctx, x):
            idx = ember.tensor([int(np.argmax(x.detach().numpy()))])
            ctx.mark_non_differentiable(idx)
            return x * 2, x * 3, idx

        @staticmethod
        def backward(ctx, g2, g3, gidx):
            return g2 * 2 + g3 * 3

    x = leaf([1.0, 5.0])
    a, b, idx = SplitArgmax.apply(x)
    assert not idx.requires_grad
    (a.sum() + b.sum() * 2).backward()
    np.testing.assert_allclose(x.grad.numpy(), [8, 8])
    x.grad = None
    a, b, _ = SplitArgmax.apply(x)
    a.sum().backward()  # the unused output's gradient is materialised as zeros
    np.testing.assert_allclose(x.grad.numpy(), [2, 2])


def test_custom_function_wrong_number_of_gradients():
    class Bad(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return (g,)

    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(leaf([1.0]), leaf([2.0])).sum().backward()


def test_custom_function_saved_tensor_modified_raises():
    x = leaf([1.0])
    y = x * 1
    out = Cube.apply(y, 1.0)
    with ember.no_grad():
        y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


# ------------------------------------------------------------------------- gradcheck
def test_gradcheck_detects_a_wrong_gradient():
    class Wrong(Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            return g * 1.0

    assert not ember.autograd.gradcheck(Wrong.apply, (leaf([1.0, 2.0]),), raise_exception=False)
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        ember.autograd.gradcheck(Wrong.apply, (leaf([1.0, 2.0]),))


def test_gradgradcheck_on_products():
    inputs = (leaf([1.0, 2.0]), leaf([3.0, 1.0]))
    assert ember.autograd.gradgradcheck(lambda a, b: a * a * b, inputs)


def test_grad_fn_introspection():
    x = leaf([1.0])
    y = x * 2 + 1
    assert y.grad_fn.name() == "AddBackward0"
    (mul_fn, _), (none_fn, _) = y.grad_fn.next_functions
    assert mul_fn.name() == "MulBackward0" and none_fn is None
    assert mul_fn.next_functions[0][0].name() == "AccumulateGrad"
    assert mul_fn.next_functions[0][0].variable is x
    assert x.is_leaf and not y.is_leaf


def test_leaf_gradients_never_share_memory():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    t = ember.tensor([1.0, 1.0], dtype=ember.float64)
    (a + b).backward(t)
    (a + b).backward(t)
    np.testing.assert_allclose(a.grad.numpy(), [2, 2])
    np.testing.assert_allclose(b.grad.numpy(), [2, 2])
    np.testing.assert_allclose(t.numpy(), [1, 1])


def test_grad_mode_is_per_thread():
    # As in PyTorch: no_grad in one thread leaves recording on in another, and a new thread
    # starts with recording on whatever its parent does.
    import threading
    seen = {}
    inside = threading.Event()
    release = threading.Event()

    def other():
        seen["start"] = ember.is_grad_enabled()
        inside.set()
        release.wait(5)
        x = ember.ones(2, requires_grad=True)
        seen["records"] = (x * 2).requires_grad

    with ember.no_grad():
        t = threading.Thread(target=other)
        t.start()
        inside.wait(5)
        release.set()
        t.join()
        assert not ember.is_grad_enabled()
    assert seen == {"start": True, "records": True}
    assert ember.is_grad_enabled()
