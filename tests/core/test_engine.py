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


# A leaf's first gradient becomes its .grad without a copy only when nothing else holds it.
def _accumulate_twice(leaf, loss_fn):
    loss_fn().backward()
    first = leaf.grad.numpy().copy()
    loss_fn().backward()
    return first


def test_fresh_gradient_is_taken_without_a_copy_and_accumulates():
    w = ember.ones(4, requires_grad=True)
    first = _accumulate_twice(w, lambda: (w * 3.0).sum())
    np.testing.assert_array_equal(first, [3.0] * 4)
    np.testing.assert_array_equal(w.grad.numpy(), [6.0] * 4)


def test_gradient_shared_by_two_leaves_is_copied():
    a = ember.ones(3, requires_grad=True)
    b = ember.ones(3, requires_grad=True)
    (a + b).mul(2.0).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.add_(1.0)
    np.testing.assert_array_equal(b.grad.numpy(), [2.0] * 3)


def test_gradient_kept_by_a_hook_is_not_mutated_by_accumulation():
    w = ember.ones(3, requires_grad=True)
    seen = []
    w.register_hook(seen.append)
    (w * 2.0).sum().backward()
    (w * 2.0).sum().backward()
    np.testing.assert_array_equal(seen[0].numpy(), [2.0] * 3)
    np.testing.assert_array_equal(w.grad.numpy(), [4.0] * 3)


def test_callers_gradient_is_not_taken():
    x = ember.ones(3, requires_grad=True)
    g = ember.tensor([1.0, 2.0, 3.0])
    x.backward(g)
    x.grad.add_(1.0)
    np.testing.assert_array_equal(g.numpy(), [1.0, 2.0, 3.0])
    y = ember.ones(3, requires_grad=True)
    (y * 1.0).backward(g)
    y.grad.add_(1.0)
    np.testing.assert_array_equal(g.numpy(), [1.0, 2.0, 3.0])


def test_gradient_a_function_keeps_is_not_taken():
    kept = []

    class Keep(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            out = g * 2.0
            kept.append(out)
            return out

    w = ember.ones(3, requires_grad=True)
    Keep.apply(w).sum().backward()
    Keep.apply(w).sum().backward()
    np.testing.assert_array_equal(kept[0].numpy(), [2.0] * 3)
    np.testing.assert_array_equal(w.grad.numpy(), [4.0] * 3)


def test_view_gradient_is_copied():
    # The gradient of a reshape is a view of the incoming one: never taken as the leaf's .grad.
    w = ember.ones(2, 3, requires_grad=True)
    m = w.reshape(6)
    (m * ember.arange(6.0)).sum().backward()
    assert w.grad.numpy().base is None or w.grad.numpy().flags.owndata
    np.testing.assert_array_equal(w.grad.numpy(), [[0, 1, 2], [3, 4, 5]])


def test_calibration_is_not_disturbed_by_other_threads():
    # Graphs are built here and only backward runs in the threads, at the same time.
    import threading

    from ember.autograd import engine
    w = ember.ones(2, requires_grad=True)
    (w * 2.0).sum().backward()  # calibrates in this thread alone
    expected = engine._sole_refs
    assert expected is not None
    jobs = []
    for _ in range(4):
        leaves = [(ember.ones(3, requires_grad=True), ember.ones(3, requires_grad=True))
                  for _ in range(50)]
        # add hands one fresh gradient to both leaves: only reference counts tell it is shared
        jobs.append([(a, b, ((a + b) * 2.0).sum()) for a, b in leaves])
    errors = []

    def work(job):
        try:
            for a, b, loss in job:
                loss.backward()
                a.grad.add_(1.0)
                assert b.grad.numpy().tolist() == [2.0, 2.0, 2.0]
        except Exception as exc:  # reported by the main thread
            errors.append(exc)

    engine._sole_refs = None
    threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert engine._sole_refs == expected
