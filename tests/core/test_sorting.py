"""sort, argsort, msort, topk, kthvalue, unique, unique_consecutive, searchsorted, bucketize,
bincount, histc."""
import numpy as np
import pytest

import ember
from ember_testing import check_gradcheck, check_parity, rand

X = rand(3, 4, 5)

DIFFERENTIABLE = [
    ("sort", lambda m, x: m.sort(x)),
    ("sort_dim_desc", lambda m, x: x.sort(1, descending=True)),
    ("msort", lambda m, x: m.msort(x)),
    ("topk", lambda m, x: m.topk(x, 2)),
    ("topk_smallest_dim0", lambda m, x: x.topk(3, dim=0, largest=False)),
    ("kthvalue", lambda m, x: m.kthvalue(x, 2, 1)),
    ("kthvalue_keepdim", lambda m, x: x.kthvalue(4, -1, keepdim=True)),
]


@pytest.mark.parametrize("name,call", DIFFERENTIABLE, ids=[n for n, _ in DIFFERENTIABLE])
def test_gradcheck(name, call):
    check_gradcheck(lambda x: call(ember, x), X)


@pytest.mark.parity
@pytest.mark.parametrize("name,call", DIFFERENTIABLE, ids=[n for n, _ in DIFFERENTIABLE])
def test_parity(name, call):
    check_parity(call, X)


@pytest.mark.parity
@pytest.mark.parametrize("descending", [False, True])
def test_stable_sort_and_nan(descending):
    ties = np.array([[2, 1, 1, 2, 3, 1], [0, 0, 5, 5, 0, 1]])
    check_parity(lambda m, t: (m.sort(t, stable=True, descending=descending),
                               m.argsort(t, dim=1, descending=descending, stable=True),
                               m.sort(t, dim=0, descending=descending, stable=True)),
                 ties, grad=False)
    nan = np.array([[1.0, np.nan, -2.0, 5.0], [np.nan, 0.0, 3.0, np.nan]])
    # topk's order among equal elements (two NaNs) is unspecified in PyTorch: one NaN row only.
    check_parity(lambda m, t: (m.sort(t, descending=descending), m.topk(t[0], 2),
                               m.topk(t[0], 2, largest=False)), nan, grad=False)


@pytest.mark.parity
def test_zero_dim_and_empty():
    check_parity(lambda m, x: (x.sort(), x.argsort(), x.topk(1), x.kthvalue(1)),
                 np.array(1.5), layouts=("contiguous",))
    check_parity(lambda m, x: (x.sort(), x.topk(0), x.argsort(0)), np.zeros((2, 0)),
                 layouts=("contiguous",), grad=False)


@pytest.mark.parity
def test_unique():
    x = np.array([[3, 1, 2, 1], [2, 2, 3, 0], [3, 1, 2, 1]])
    check_parity(lambda m, t: (m.unique(t), t.unique(return_inverse=True, return_counts=True),
                               m.unique(t, return_counts=True),
                               m.unique(t, dim=0, return_inverse=True, return_counts=True),
                               m.unique(t, dim=1)), x, grad=False)
    check_parity(lambda m, t: m.unique(t, return_inverse=True), rand(5, 3), grad=False)


@pytest.mark.parity
def test_unique_consecutive():
    x = np.array([1, 1, 2, 2, 3, 1, 1, 2])
    check_parity(lambda m, t: (m.unique_consecutive(t),
                               t.unique_consecutive(return_inverse=True, return_counts=True)),
                 x, grad=False)
    rows = np.array([[1, 2], [1, 2], [0, 3], [1, 2], [1, 2]])
    check_parity(lambda m, t: (m.unique_consecutive(t, dim=0, return_inverse=True,
                                                    return_counts=True),
                               m.unique_consecutive(t, return_inverse=True)), rows, grad=False)
    check_parity(lambda m, t: m.unique_consecutive(t, dim=1, return_counts=True),
                 rows.T.copy(), grad=False)


@pytest.mark.parity
@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_bucketize(right):
    seq = np.array([1.0, 3.0, 3.0, 5.0, 7.0])
    vals = np.array([[0.0, 3.0, 4.0], [7.0, 8.0, 5.0]])
    seq2 = np.array([[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]])
    check_parity(lambda m, s, v, s2: (m.searchsorted(s, v, right=right),
                                      m.searchsorted(s, v, side="right" if right else "left"),
                                      m.searchsorted(s2, v, right=right, out_int32=True),
                                      m.searchsorted(s, 3.0, right=right),
                                      m.bucketize(v, s, right=right),
                                      m.bucketize(v, s, out_int32=True, right=right)),
                 seq, vals, seq2, grad=False)
    unsorted = np.array([5.0, 1.0, 3.0])
    check_parity(lambda m, s, v: m.searchsorted(s, v, sorter=m.argsort(s)), unsorted, vals,
                 grad=False)


@pytest.mark.parity
def test_bincount_histc():
    x = np.array([0, 1, 1, 3, 1, 0])
    w = np.array([0.5, 1.0, 2.0, -1.0, 0.25, 3.0])
    check_parity(lambda m, t, wt: (m.bincount(t), t.bincount(minlength=6),
                                   m.bincount(t, wt), m.bincount(t, t, minlength=2),
                                   m.bincount(t[:0])), x, w, grad=False)
    v = np.array([1.0, 2.0, 1.0, 0.0, 4.0, 2.5, -3.0, 10.0, np.nan])
    check_parity(lambda m, t: (m.histc(t[:8], bins=4), t.histc(bins=5, min=0, max=4),
                               m.histc(t[:8], bins=3, min=1, max=1), m.histc(t[:1])), v,
                 grad=False)


@pytest.mark.parametrize("call,exc,text", [
    (lambda x: x.sort(2), IndexError, "sort: Dimension out of range"),
    (lambda x: x.topk(4), RuntimeError, "topk: selected index k out of range"),
    (lambda x: x.kthvalue(0), RuntimeError, "kthvalue(): selected number k out of range"),
    (lambda x: x.argsort(-3), IndexError, "argsort: Dimension out of range"),
    (lambda x: ember.bincount(ember.tensor([-1, 2])), RuntimeError, "bincount only supports"),
    (lambda x: ember.bincount(x), RuntimeError, "bincount only supports 1-d"),
    (lambda x: ember.histc(ember.tensor([1, 2])), RuntimeError, "histc: expected a floating"),
    (lambda x: ember.histc(x, min=3, max=1), RuntimeError, "histc: max must be larger"),
    (lambda x: ember.histc(ember.tensor([1.0, float("nan")])), RuntimeError,
     "histc: range of [nan, nan] is not finite"),
    (lambda x: ember.bucketize(x, x), RuntimeError, "bucketize: boundaries tensor must be 1"),
    (lambda x: ember.searchsorted(x, ember.ones(3, 3)), RuntimeError, "searchsorted: boundaries"),
    (lambda x: ember.searchsorted(x[0], x, right=True, side="left"), RuntimeError,
     "searchsorted: side and right can't be set to opposites"),
])
def test_errors(call, exc, text):
    with pytest.raises(exc) as info:
        call(ember.ones(2, 3))
    assert text in str(info.value)
