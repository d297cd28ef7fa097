"""ember.ops.comparison: comparisons, where, max/min families, logical/bitwise ops, predicates."""
import operator

import numpy as np
import pytest
from ember_testing import assert_close, check_gradcheck, check_parity, rand, torch_or_skip

import ember

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

COMPARISONS = ["eq", "ne", "lt", "le", "gt", "ge"]
OPERATORS = {"eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le,
             "gt": operator.gt, "ge": operator.ge}
DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64"]


def _pair(dtype_a, dtype_b):
    a = np.array([[0, 1, 2, -1], [3, 1, 0, 2]]).astype(dtype_a)
    b = np.array([1, 1, 0, 2]).astype(dtype_b)
    return a, b


@pytest.mark.parity
@pytest.mark.parametrize("name", COMPARISONS)
@pytest.mark.parametrize("dtypes", [("float32", "float32"), ("int64", "float32"),
                                    ("uint8", "int8"), ("bool", "int32"), ("float16", "float64")])
def test_comparisons(name, dtypes):
    torch = torch_or_skip()
    a, b = _pair(*dtypes)
    ea, eb, ta, tb = ember.tensor(a), ember.tensor(b), torch.tensor(a), torch.tensor(b)
    for e, t in [(getattr(ember, name)(ea, eb), getattr(torch, name)(ta, tb)),
                 (OPERATORS[name](ea, eb), OPERATORS[name](ta, tb)),
                 (OPERATORS[name](ea, 1.5), OPERATORS[name](ta, 1.5)),
                 (OPERATORS[name](2, eb), OPERATORS[name](2, tb)),
                 (getattr(ea, name)(1), getattr(ta, name)(1))]:
        assert e.dtype is ember.bool
        assert_close(e, t)


@pytest.mark.parity
def test_comparison_aliases_and_inplace():
    torch = torch_or_skip()
    x = rand(5)
    for name in ["greater", "greater_equal", "less", "less_equal", "not_equal"]:
        assert_close(getattr(ember, name)(ember.tensor(x), 0.1),
                     getattr(torch, name)(torch.tensor(x), 0.1))
    e, t = ember.tensor(x), torch.tensor(x)
    e.gt_(0.0), t.gt_(0.0)
    assert e.dtype is ember.float64
    assert_close(e, t)


def test_equality_with_non_numbers_and_nan():
    x = ember.tensor([1.0, float("nan")])
    assert (x == None) is False  # noqa: E711
    assert (x != "a") is True
    assert (x == x).tolist() == [True, False]
    assert not x.requires_grad and (ember.tensor([1.0], requires_grad=True) > 0).grad_fn is None
    with pytest.raises(RuntimeError, match="lt"):
        _ = ember.tensor([1j]) < ember.tensor([2j])


# ----------------------------------------------------------------------------------- where
@pytest.mark.parity
def test_where_parity_and_grad():
    cond = rand(3, 4) > 0
    check_parity(lambda m, x, y: m.where(m.from_numpy(cond), x, y), rand(3, 4, seed=1),
                 rand(4, seed=2))
    check_parity(lambda m, x, y: m.where(m.from_numpy(cond[:, :1].copy()), x, y),
                 rand(1, 4, seed=1), rand(3, 4, seed=2))
    check_parity(lambda m, x: m.where(m.from_numpy(cond), x, 0.5), rand(3, 4))
    check_parity(lambda m, y: m.where(m.from_numpy(cond), 2, y), rand(3, 4))
    check_gradcheck(lambda x, y: ember.where(ember.from_numpy(cond), x, y), rand(3, 4),
                    rand(4, seed=1), gradgrad=True)


@pytest.mark.parity
@pytest.mark.parametrize("x, y", [(1, 0), (1.0, 0), (True, False), ("i64", 0.5), ("f32", 2),
                                  ("i32", "f16"), ("u8", 300 - 299)])
def test_where_promotion(x, y):
    torch = torch_or_skip()
    arrays = {"i64": np.array([1, 2]), "f32": np.array([1.0, 2.0], np.float32),
              "i32": np.array([1, 2], np.int32), "f16": np.array([1.0, 2.0], np.float16),
              "u8": np.array([1, 2], np.uint8)}
    cond = np.array([True, False])

    def make(m, v):
        return m.tensor(arrays[v]) if isinstance(v, str) else v

    e = ember.where(ember.tensor(cond), make(ember, x), make(ember, y))
    t = torch.where(torch.tensor(cond), make(torch, x), make(torch, y))
    assert e.dtype.name == str(t.dtype).removeprefix("torch.")
    assert_close(e, t)


def test_where_single_argument_and_errors():
    cond = ember.tensor([[True, False], [False, True]])
    rows, cols = ember.where(cond)
    assert rows.tolist() == [0, 1] and cols.tolist() == [0, 1] and rows.dtype is ember.int64
    with pytest.raises(RuntimeError, match="where"):
        ember.where(ember.tensor([1.0]), 1.0, 0.0)
    with pytest.raises(TypeError, match="where"):
        ember.where(cond, 1.0)


# ------------------------------------------------------------------------ maximum & friends
@pytest.mark.parity
@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin"])
def test_extrema(name):
    x = np.array([[1.0, 2.0, np.nan, 4.0], [0.5, np.nan, 3.0, -1.0]])
    y = np.array([1.0, 3.0, 0.0, np.nan])  # a tie, NaN on either side
    check_parity(lambda m, a, b: getattr(m, name)(a, b), x, y)
    check_parity(lambda m, a, b: getattr(m, name)(a, b), rand(3, 4), rand(4, seed=1))
    check_gradcheck(getattr(ember, name), rand(3, 4), rand(4, seed=1))


@pytest.mark.parity
def test_extrema_integer_and_errors():
    torch = torch_or_skip()
    a, b = np.array([1, 5, -3], np.int32), np.array([2, 2, 2], np.int64)
    e = ember.maximum(ember.tensor(a), ember.tensor(b))
    assert e.dtype is ember.int64
    assert_close(e, torch.maximum(torch.tensor(a), torch.tensor(b)))
    with pytest.raises(RuntimeError, match="maximum"):
        ember.maximum(ember.tensor([1j]), ember.tensor([1j]))


# ------------------------------------------------------------------------- logical, bitwise
@pytest.mark.parity
@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical(name):
    torch = torch_or_skip()
    a, b = np.array([[0, 1, 2, 0]]), np.array([[0.0], [1.5]])
    assert_close(getattr(ember, name)(ember.tensor(a), ember.tensor(b)),
                 getattr(torch, name)(torch.tensor(a), torch.tensor(b)))
    assert_close(getattr(ember.tensor(a), name)(ember.tensor(b)),
                 getattr(torch.tensor(a), name)(torch.tensor(b)))
    assert_close(ember.logical_not(ember.tensor(b)), torch.logical_not(torch.tensor(b)))


@pytest.mark.parity
@pytest.mark.parametrize("dtype", ["bool", "uint8", "int16", "int64"])
def test_bitwise(dtype):
    torch = torch_or_skip()
    a = np.array([0, 1, 3, 6]).astype(dtype)
    b = np.array([1, 1, 5, 2]).astype(dtype)
    ea, eb, ta, tb = ember.tensor(a), ember.tensor(b), torch.tensor(a), torch.tensor(b)
    for op in [operator.and_, operator.or_, operator.xor]:
        assert_close(op(ea, eb), op(ta, tb))
        assert_close(op(ea, True if dtype == "bool" else 2), op(ta, True if dtype == "bool"
                                                                 else 2))
        assert_close(op(True if dtype == "bool" else 2, ea), op(True if dtype == "bool"
                                                                 else 2, ta))
    assert_close(~ea, ~ta)
    assert_close(ember.bitwise_not(ea), torch.bitwise_not(ta))
    e, t = ember.tensor(a), torch.tensor(a)
    e &= eb
    t &= tb
    e |= eb
    t |= tb
    e ^= ea
    t ^= ta
    assert_close(e, t)


def test_bitwise_errors():
    f = ember.tensor([1.0])
    for fn in [lambda: f & f, lambda: ~f, lambda: ember.bitwise_or(ember.tensor([1]), 1.5)]:
        with pytest.raises(RuntimeError, match="bitwise"):
            fn()


# ------------------------------------------------------------------------------- predicates
@pytest.mark.parity
@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite", "isposinf", "isneginf",
                                  "signbit"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "bool"])
def test_predicates(name, dtype):
    torch = torch_or_skip()
    x = np.array([0.0, -0.0, 1.0, -2.0, np.inf, -np.inf, np.nan])
    if dtype in ("int64", "bool"):
        x = np.array([0, 1, -2, 3]).astype(dtype)
    x = x.astype(dtype)
    e, t = getattr(ember, name)(ember.tensor(x)), getattr(torch, name)(torch.tensor(x))
    assert e.dtype is ember.bool
    assert_close(e, t)
    assert_close(getattr(ember.tensor(x), name)(), t)


@pytest.mark.parity
def test_isclose_allclose_equal():
    torch = torch_or_skip()
    a = np.array([1.0, 1.0 + 1e-6, np.inf, -np.inf, np.nan, 0.0, 1e-9])
    b = np.array([1.0, 1.0, np.inf, np.inf, np.nan, 1e-9, 0.0])
    for kwargs in [{}, dict(equal_nan=True), dict(rtol=0, atol=0), dict(rtol=1e-3, atol=0)]:
        assert_close(ember.isclose(ember.tensor(a), ember.tensor(b), **kwargs),
                     torch.isclose(torch.tensor(a), torch.tensor(b), **kwargs))
    i, j = np.array([1, 2, 3]), np.array([1, 3, 3])
    assert_close(ember.isclose(ember.tensor(i), ember.tensor(j), atol=1),
                 torch.isclose(torch.tensor(i), torch.tensor(j), atol=1))
    assert ember.allclose(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 2.0 + 1e-9]))
    assert not ember.allclose(ember.tensor([1.0]), ember.tensor([1.1]))
    assert ember.equal(ember.tensor([1, 2]), ember.tensor([1, 2]))
    assert not ember.equal(ember.tensor([1, 2]), ember.tensor([1, 2, 3]))
    assert not ember.equal(ember.tensor([float("nan")]), ember.tensor([float("nan")]))
    with pytest.raises(RuntimeError, match="isclose"):
        ember.isclose(ember.tensor([1.0]), ember.tensor([1]))
    with pytest.raises(RuntimeError, match="isclose"):
        ember.isclose(ember.tensor([1.0]), ember.tensor([1.0]), rtol=-1)
