"""cat/stack/split family and repeat/tile/repeat_interleave: gradients, parity, dtypes, errors."""
import numpy as np
import pytest

import ember
from ember_testing import check_gradcheck, check_parity, rand

# (name, fn(module, *xs), input shapes)
CASES = [
    ("cat0", lambda m, a, b: m.cat([a, b]), [(2, 3), (4, 3)]),
    ("cat1", lambda m, a, b: m.cat((a, b), dim=-1), [(2, 3), (2, 1)]),
    ("concat", lambda m, a, b: m.concat([a, b, a], 1), [(2, 3), (2, 2)]),
    ("concatenate", lambda m, a, b: m.concatenate([a, b]), [(3,), (2,)]),
    ("stack", lambda m, a, b: m.stack([a, b], 1), [(2, 3), (2, 3)]),
    ("stack_last", lambda m, a, b: m.stack([a, b], -1), [(2, 3), (2, 3)]),
    ("hstack", lambda m, a, b: m.hstack([a, b]), [(2, 3), (2, 2)]),
    ("hstack1d", lambda m, a, b: m.hstack([a, b]), [(3,), (2,)]),
    ("vstack", lambda m, a, b: m.vstack([a, b]), [(3,), (2, 3)]),
    ("dstack", lambda m, a, b: m.dstack([a, b]), [(2, 3), (2, 3)]),
    ("column_stack", lambda m, a, b: m.column_stack([a, b]), [(3,), (3, 2)]),
    ("split_int", lambda m, a: a.split(2, 1), [(2, 5)]),
    ("split_list", lambda m, a: m.split(a, [1, 3, 1], 1), [(2, 5)]),
    ("chunk", lambda m, a: a.chunk(3), [(5, 2)]),
    ("tensor_split_n", lambda m, a: a.tensor_split(3, 1), [(2, 7)]),
    ("tensor_split_idx", lambda m, a: m.tensor_split(a, [1, 4], dim=0), [(6, 2)]),
    ("unbind", lambda m, a: a.unbind(1), [(2, 3)]),
    ("repeat", lambda m, a: a.repeat(2, 1, 3), [(2, 3)]),
    ("tile", lambda m, a: m.tile(a, (2,)), [(2, 3)]),
    ("repeat_interleave", lambda m, a: a.repeat_interleave(2, dim=1), [(2, 3)]),
    ("repeat_interleave_flat", lambda m, a: m.repeat_interleave(a, 3), [(2, 2)]),
    ("repeat_interleave_t", lambda m, a: a.repeat_interleave(m.tensor([1, 0, 2]), 0), [(3, 2)]),
]


@pytest.mark.parametrize("name,fn,shapes", CASES, ids=[c[0] for c in CASES])
def test_gradcheck(name, fn, shapes):
    check_gradcheck(lambda *xs: fn(ember, *xs), *[rand(*s, seed=i) for i, s in enumerate(shapes)])


@pytest.mark.parity
@pytest.mark.parametrize("name,fn,shapes", CASES, ids=[c[0] for c in CASES])
def test_parity(name, fn, shapes):
    check_parity(fn, *[rand(*s, seed=i) for i, s in enumerate(shapes)])


@pytest.mark.parity
def test_cat_promotes_and_skips_empty_1d():
    import ember_testing
    torch = ember_testing.torch_or_skip()
    for m in (ember, torch):
        out = m.cat([m.tensor([[1, 2]]), m.tensor([[0.5, 1.5]], dtype=m.float64), m.tensor([])])
        assert str(out.dtype).endswith("float64") and tuple(out.shape) == (2, 2)
    a = ember.tensor([[1.0, 2.0]], requires_grad=True)
    e = ember.zeros(0, requires_grad=True)
    ember.cat([e, a, e]).sum().backward()
    assert a.grad.tolist() == [[1.0, 1.0]]


def test_splits_are_views():
    x = ember.from_numpy(rand(4, 6))
    for piece in (*x.split(2, 1), *x.chunk(2), *x.tensor_split(3), *x.unbind()):
        assert np.shares_memory(piece._data, x._data) and piece._base is x


def test_repeat_interleave_index_form():
    assert ember.repeat_interleave(ember.tensor([2, 0, 1])).tolist() == [0, 0, 2]


@pytest.mark.parametrize("fn,match", [
    (lambda x: ember.cat([x, x[:, :2]]), "cat"),
    (lambda x: ember.cat([x, x[0]]), "cat"),
    (lambda x: ember.cat(x), "cat"),
    (lambda x: ember.cat([]), "cat"),
    (lambda x: ember.stack([x, x[:2]]), "stack"),
    (lambda x: x.split([1, 1]), "split_with_sizes"),
    (lambda x: x.chunk(0), "chunk"),
    (lambda x: x.repeat(2), "repeat"),
    (lambda x: x.tensor_split(0), "tensor_split"),
])
def test_errors_name_the_op(fn, match):
    with pytest.raises((RuntimeError, TypeError), match=match):
        fn(ember.from_numpy(rand(3, 4)))
