"""Indexing: x[key], x[key] = v, gather/scatter/index_*/masked_*/take, in-place writes through
views (the base's graph is re-based), errors."""
import numpy as np
import pytest

import ember
from ember_testing import check_gradcheck, check_parity, rand, torch_or_skip

I = np.array  # index arrays become int64 tensors in both frameworks


def _t(m, a):
    return m.tensor(a) if m is ember else m.from_numpy(np.asarray(a))


KEYS = {
    "int": 1, "neg_int": -1, "slice_step": (slice(None), slice(0, 4, 2)),
    "none_ellipsis": (None, Ellipsis, 1), "ellipsis_mid": (0, Ellipsis, slice(1, None)),
    "list": [0, 2, 2], "nested": ([0, 1], [1, 3]), "mixed": (slice(1, 3), [0, 0, 3]),
    "split_adv": ([[0], [1]], slice(None), [1, 0]), "bool_row": [True, False, True],
    "int_tensor": "tensor", "bool_tensor": "mask", "empty_list": [],
}


def _key(m, name):
    k = KEYS[name]
    if k == "tensor":
        return (slice(None), _t(m, I([[0, 3], [3, 3]])))
    if k == "mask":
        return _t(m, rand(3, 4) > 0) if m is ember else m.from_numpy(rand(3, 4) > 0)
    return k


@pytest.mark.parametrize("name", list(KEYS))
def test_getitem_gradcheck(name):
    check_gradcheck(lambda x: x[_key(ember, name)], rand(3, 4, 2))


@pytest.mark.parity
@pytest.mark.parametrize("name", list(KEYS))
def test_getitem_parity(name):
    check_parity(lambda m, x: x[_key(m, name)], rand(3, 4, 2))


def test_basic_index_is_a_view_advanced_is_a_copy():
    x = ember.from_numpy(rand(3, 4))
    v = x[1:, ::2]
    assert np.shares_memory(v._data, x._data) and v._base is x
    a = x[[0, 1]]
    assert not np.shares_memory(a._data, x._data)


@pytest.mark.parity
@pytest.mark.parametrize("key", [1, (slice(None), 0), ([0, 2, 0],), (Ellipsis, [1, 1])])
@pytest.mark.parametrize("value_shape", [(), (1,), "region"])
def test_setitem_non_leaf_grads_to_history_and_value(key, value_shape):
    torch = torch_or_skip()
    a = rand(3, 4)
    res = []
    for m in (ember, torch):
        x = _t(m, a).requires_grad_()
        h = x * 2
        region = tuple(h[key].shape)
        shape = region if value_shape == "region" else value_shape
        v = _t(m, rand(*shape, seed=3)).requires_grad_()
        h[key] = v * 3
        (h * h).sum().backward()
        res.append((x.grad.detach().numpy(), v.grad.detach().numpy(), h.detach().numpy()))
    for e, t in zip(*res):
        np.testing.assert_allclose(e, t)


@pytest.mark.parity
@pytest.mark.parametrize("view,op", [
    (lambda h: h[0], lambda y: y.mul_(2)),
    (lambda h: h[:, 1:3], lambda y: y.mul_(3).add_(1)),
    (lambda h: h.t()[1], lambda y: y.zero_()),
    (lambda h: h.diagonal(), lambda y: y.div_(2)),
    (lambda h: h[1:].view(-1)[2:5], lambda y: y.sub_(1.5)),
    (lambda h: h.unsqueeze(0)[0, 2], lambda y: y.fill_(7.0)),
])
def test_in_place_on_view_of_non_leaf(view, op):
    torch = torch_or_skip()
    a = rand(3, 4)
    res = []
    for m in (ember, torch):
        x = _t(m, a).requires_grad_()
        h = x * 1
        y = view(h)
        op(y)
        (h * h).sum().backward()
        res.append((x.grad.detach().numpy(), h.detach().numpy()))
    for e, t in zip(*res):
        np.testing.assert_allclose(e, t)


@pytest.mark.parity
def test_in_place_view_value_requiring_grad_into_plain_tensor():
    torch = torch_or_skip()
    res = []
    for m in (ember, torch):
        w = _t(m, rand(4)).requires_grad_()
        base = m.zeros(3, 4, dtype=m.float64)
        y = base[1]
        y.add_(w * w)
        (base * 3).sum().backward()
        res.append(w.grad.detach().numpy())
        assert base.requires_grad
    np.testing.assert_allclose(*res)


def test_in_place_errors_on_leaves_and_views_of_leaves():
    x = ember.from_numpy(rand(3, 4)).requires_grad_()
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x[0] = 1.0
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        x[0].mul_(2)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x.fill_(0)
    with ember.no_grad():
        x[0] = 1.0  # allowed without grad, and bumps the version
    assert x._version == 1


def test_setitem_casts_and_bumps_version():
    x = ember.zeros(2, 3, dtype=ember.int64)
    x[0] = 2.7
    x[1, [0, 2]] = ember.tensor([5.0, 6.0])
    assert x.tolist() == [[2, 2, 2], [5, 0, 6]] and x._version == 2
    with pytest.raises(RuntimeError, match="__setitem__"):
        x[0] = ember.ones(4)


# (name, fn(module, x, *others), shapes or arrays of the other inputs)
IDX = I([[0, 2, 1], [1, 1, 0]])
CASES = [
    ("gather", lambda m, x: x.gather(1, _t(m, IDX)), (2, 3)),
    ("gather0", lambda m, x: m.gather(x, 0, _t(m, I([[1, 0], [1, 1]]))), (3, 4)),
    ("scatter", lambda m, x, s: x.scatter(1, _t(m, I([[0, 2], [1, 0]])), s), (2, 3), (2, 2)),
    ("scatter_big_src", lambda m, x, s: x.scatter(1, _t(m, I([[0], [1]])), s) if m is ember
     else x.scatter(1, _t(m, I([[0], [1]])), s[:, :1]), (2, 3), (2, 4)),
    ("scatter_value", lambda m, x: x.scatter(0, _t(m, I([[1, 0, 1]])), 2.5), (2, 3)),
    ("scatter_add", lambda m, x, s: m.scatter_add(x, 1, _t(m, IDX), s), (2, 3), (2, 3)),
    ("index_select", lambda m, x: x.index_select(1, _t(m, I([2, 0, 2]))), (2, 3)),
    ("index_add", lambda m, x, s: x.index_add(0, _t(m, I([1, 1])), s, alpha=2), (3, 2), (2, 2)),
    ("index_copy", lambda m, x, s: x.index_copy(1, _t(m, I([2, 0])), s), (2, 3), (2, 2)),
    ("index_fill", lambda m, x: x.index_fill(1, _t(m, I([1])), -1.0), (2, 3)),
    ("index_put", lambda m, x, v: x.index_put((_t(m, I([0, 1, 0])), _t(m, I([2, 2, 2]))), v,
                                              accumulate=True), (2, 3), (3,)),
    ("index_put_nodup", lambda m, x, v: m.index_put(x, (_t(m, I([1, 0])),), v), (2, 3), (3,)),
    ("masked_fill", lambda m, x: x.masked_fill(_t(m, I([True, False, True])), 0.5), (2, 3)),
    ("masked_fill_bcast", lambda m, x: m.masked_fill(x, _t(m, I([[True], [False]])), 1.0),
     (2, 3)),
    ("masked_scatter", lambda m, x, s: x.masked_scatter(_t(m, I([[True, False, True],
                                                                 [False, True, False]])), s),
     (2, 3), (5,)),
    ("masked_select", lambda m, x: x.masked_select(_t(m, I([True, False, True]))), (2, 3)),
    ("take", lambda m, x: x.take(_t(m, I([[0, 5], [5, 1]]))), (2, 3)),
    ("take_along_dim", lambda m, x: m.take_along_dim(x, _t(m, I([[0], [2]])), 1), (2, 3)),
    ("take_along_dim_bcast", lambda m, x: x.take_along_dim(_t(m, I([[0, 1]])), 0), (3, 2)),
    ("take_along_dim_flat", lambda m, x: x.contiguous().take_along_dim(_t(m, I([4, 0]))),
     (2, 3)),
]
REDUCE = [(r, inc) for r in ("sum", "prod", "mean", "amax", "amin") for inc in (True, False)]


def _inputs(spec):
    return [rand(*s, seed=i) for i, s in enumerate(spec)]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_ops_gradcheck(case):
    name, fn, *shapes = case
    check_gradcheck(lambda *xs: fn(ember, *xs), *_inputs(shapes))


@pytest.mark.parity
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_ops_parity(case):
    name, fn, *shapes = case
    check_parity(fn, *_inputs(shapes))


def _scatter_reduce(reduce, include_self):
    idx = I([[0, 2, 0, 1], [1, 1, 1, 2]])
    return lambda m, x, s: x.scatter_reduce(1, _t(m, idx), s, reduce, include_self=include_self)


@pytest.mark.parametrize("reduce,include_self", REDUCE)
def test_scatter_reduce_gradcheck(reduce, include_self):
    check_gradcheck(lambda x, s: _scatter_reduce(reduce, include_self)(ember, x, s),
                    rand(2, 3, positive=True), rand(2, 4, positive=True, seed=1))


@pytest.mark.parity
@pytest.mark.parametrize("reduce,include_self", REDUCE)
def test_scatter_reduce_parity(reduce, include_self):
    check_parity(_scatter_reduce(reduce, include_self), rand(2, 3, positive=True),
                 rand(2, 4, positive=True, seed=1))


@pytest.mark.parity
def test_scatter_reduce_ties_and_ints():
    torch = torch_or_skip()
    res = []
    for m in (ember, torch):
        x = _t(m, I([[1.0, 5.0, 2.0]])).requires_grad_()
        s = _t(m, I([[5.0, 5.0, 1.0]])).requires_grad_()
        out = x.scatter_reduce(1, _t(m, I([[1, 1, 2]])), s, "amax")
        out.sum().backward()
        xi = _t(m, I([[1, 2, 3]]))
        mean = xi.scatter_reduce(1, _t(m, I([[0, 0, 0]])), _t(m, I([[4, 4, 4]])), "mean")
        res.append([out.detach().numpy(), x.grad.numpy(), s.grad.numpy(), mean.numpy()])
    for e, t in zip(*res):
        np.testing.assert_allclose(e, t)


@pytest.mark.parity
@pytest.mark.parametrize("name,fn", [
    ("masked_fill_", lambda m, h, v: h.masked_fill_(_t(m, I([True, False, True])), v)),
    ("scatter_", lambda m, h, v: h.scatter_(1, _t(m, I([[0], [2]])), v.expand(2, 1))),
    ("scatter_add_", lambda m, h, v: h.scatter_add_(0, _t(m, I([[1, 1, 0]])), v.expand(1, 3))),
    ("index_add_", lambda m, h, v: h.index_add_(1, _t(m, I([0, 0])), v.expand(2, 2), alpha=-1)),
    ("index_fill_", lambda m, h, v: h.index_fill_(0, _t(m, I([1])), v)),
    ("index_copy_", lambda m, h, v: h.index_copy_(0, _t(m, I([0])), v.expand(1, 3))),
    ("index_put_", lambda m, h, v: h.index_put_((_t(m, I([0, 0])), _t(m, I([1, 1]))), v,
                                                accumulate=True)),
    ("fill_", lambda m, h, v: h.fill_(v)),
    ("zero_", lambda m, h, v: h.zero_()),
    ("copy_", lambda m, h, v: h.copy_(v.expand(3).to(m.float32))),
    ("fill_diagonal_", lambda m, h, v: h.fill_diagonal_(2.0)),
    ("tril_", lambda m, h, v: h.tril_(-1)),
    ("triu_", lambda m, h, v: h.triu_(1)),
    ("masked_scatter_", lambda m, h, v: h.masked_scatter_(_t(m, I([[True], [False]])),
                                                          v.expand(6))),
])
def test_inplace_methods(name, fn):
    torch = torch_or_skip()
    res = []
    for m in (ember, torch):
        x = _t(m, rand(2, 3)).requires_grad_()
        v = _t(m, np.asarray(1.5)).requires_grad_()
        h = x * 1
        fn(m, h, v * 2)
        (h * h).sum().backward()
        res.append([h.detach().numpy(), x.grad.numpy(),
                    v.grad.numpy() if v.grad is not None else np.zeros(())])
    for e, t in zip(*res):
        np.testing.assert_allclose(e, t, rtol=1e-6)


@pytest.mark.parity
@pytest.mark.parametrize("wrap", [False, True])
def test_fill_diagonal_wrap(wrap):
    torch = torch_or_skip()
    e = ember.zeros(7, 3).fill_diagonal_(1.0, wrap=wrap).numpy()
    t = torch.zeros(7, 3).fill_diagonal_(1.0, wrap=wrap).numpy()
    np.testing.assert_array_equal(e, t)


def test_copy_casts_and_is_differentiable_in_src():
    dst = ember.zeros(2, 3, dtype=ember.float32)
    src = ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64, requires_grad=True)
    dst.copy_(src)
    assert dst.dtype == ember.float32 and dst.requires_grad
    (dst * 2).sum().backward()
    assert src.grad.dtype == ember.float64 and src.grad.tolist() == [4.0, 4.0, 4.0]


@pytest.mark.parity
def test_nonzero_argwhere():
    torch = torch_or_skip()
    a = I([[0, 1, 0], [2, 0, 3]])
    for e, t in [(ember.nonzero(ember.tensor(a)), torch.nonzero(torch.from_numpy(a))),
                 (ember.tensor(a).argwhere(), torch.from_numpy(a).argwhere()),
                 (ember.tensor(5).nonzero(), torch.tensor(5).nonzero())]:
        np.testing.assert_array_equal(e.numpy(), t.numpy())
        assert e.dtype == ember.int64
    for e, t in zip(ember.tensor(a).nonzero(as_tuple=True),
                    torch.from_numpy(a).nonzero(as_tuple=True)):
        np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("fn,exc,match", [
    (lambda x: x[3], IndexError, "__getitem__"),
    (lambda x: x[0, 0, 0], IndexError, "__getitem__"),
    (lambda x: x[::-1], ValueError, "step must be greater than zero"),
    (lambda x: x[1.5], IndexError, "__getitem__"),
    (lambda x: x[ember.tensor([0.5])], IndexError, "__getitem__"),
    (lambda x: x.gather(1, ember.tensor([[5]])), RuntimeError, "gather"),
    (lambda x: x.gather(1, ember.tensor([0])), RuntimeError, "gather"),
    (lambda x: x.gather(1, ember.tensor([[0.0]])), RuntimeError, "gather"),
    (lambda x: x.scatter(1, ember.tensor([[0]]), 1.0, reduce="max"), RuntimeError, "scatter"),
    (lambda x: x.scatter_reduce(1, ember.tensor([[0]]), x, "max"), RuntimeError,
     "scatter_reduce"),
    (lambda x: x.index_select(0, ember.tensor([3])), IndexError, "index_select"),
    (lambda x: x.index_select(0, ember.tensor([[0]])), IndexError, "index_select"),
    (lambda x: x.masked_fill(ember.tensor([1, 0, 1, 0]), 0.0), RuntimeError, "masked_fill"),
    (lambda x: x.masked_fill(ember.tensor([True, False]), 0.0), RuntimeError, "masked_fill"),
    (lambda x: x.masked_scatter(ember.ones(3, 4, dtype=ember.bool), ember.ones(2)),
     RuntimeError, "masked_scatter"),
    (lambda x: x.take(ember.tensor([12])), IndexError, "take"),
    (lambda x: x.fill_(ember.ones(2)), RuntimeError, "fill_"),
    (lambda x: x.copy_(ember.ones(5)), RuntimeError, "copy_"),
    (lambda x: x.expand(2, 3, 4).fill_(0.0), RuntimeError, "fill_"),
    (lambda x: x[0].fill_diagonal_(1.0), RuntimeError, "fill_diagonal_"),
])
def test_errors_name_the_op(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn(ember.from_numpy(rand(3, 4)))


@pytest.mark.parity
@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")
def test_scatter_multiply_parity():
    idx = I([[0, 2, 0, 1], [1, 1, 1, 2]])  # repeated positions multiply in turn
    check_parity(lambda m, x, s: x.scatter(1, _t(m, idx), s, reduce="multiply"), rand(2, 3),
                 rand(2, 4, seed=1), grad=False)


@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_prod_gradient_with_zeros(include_self):
    # Position 0 multiplies x=2 with src 0 and 3 (one zero); position 1 multiplies x=0 with src 0
    # (two zeros); position 2 multiplies x=4 with src 5 (no zero); position 3 gets nothing.
    x = ember.tensor([2.0, 0.0, 4.0, 7.0], requires_grad=True)
    src = ember.tensor([0.0, 3.0, 0.0, 5.0], requires_grad=True)
    index = ember.tensor([0, 0, 1, 2])
    ember.scatter_reduce(x, 0, index, src, "prod", include_self=include_self).sum().backward()
    if include_self:
        assert x.grad.tolist() == [0.0, 0.0, 5.0, 1.0]
        assert src.grad.tolist() == [6.0, 0.0, 0.0, 4.0]
    else:
        assert x.grad.tolist() == [0.0, 0.0, 0.0, 1.0]
        assert src.grad.tolist() == [3.0, 0.0, 1.0, 1.0]


@pytest.mark.parity
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_prod_zeros_parity(include_self):
    rng = np.random.default_rng(0)
    x = rng.integers(-2, 3, (5, 3)).astype(np.float64)
    src = rng.integers(-2, 3, (6, 3)).astype(np.float64)
    index = rng.integers(0, 5, (6, 3))
    check_parity(lambda m, a, b: m.scatter_reduce(a, 0, m.tensor(index), b, "prod",
                                                  include_self=include_self),
                 x, src, dtypes=("float64",), layouts=("contiguous",))
