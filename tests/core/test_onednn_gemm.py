"""Matrix products behind ember._onednn.gemm.matmul (oneDNN's matmul primitive, or its sgemm
for small products): the same results as NumPy's matmul for every operand layout and batch
shape, NumPy's own matmul for other dtypes."""
import numpy as np
import pytest

from ember._onednn import available, gemm

needs_onednn = pytest.mark.skipif(not available(), reason="oneDNN (ember[onednn]) not installed")
rng = np.random.default_rng(0)

# (m, k, n): one small product (the sgemm call) and one large enough for the primitive.
SIZES = {"small": (5, 4, 7), "large": (70, 96, 80)}


def _m(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


LAYOUTS = {  # name -> (a, b) for an (m, k) @ (k, n) product
    "contiguous": lambda m, k, n: (_m(m, k), _m(k, n)),
    "transposed": lambda m, k, n: (_m(k, m).T, _m(n, k).T),
    "row-strided": lambda m, k, n: (_m(m, k + 5)[:, 2:k + 2], _m(k, n + 3)[:, :n]),
    "column-strided": lambda m, k, n: (_m(m, 2 * k)[:, ::2], _m(2 * k, n)[::2]),
    "negative-strided": lambda m, k, n: (_m(m, k)[::-1], _m(k, n)[:, ::-1]),
    "broadcast": lambda m, k, n: (np.broadcast_to(_m(1, k), (m, k)), _m(k, n)),
}


@needs_onednn
@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_layouts_match_numpy(layout, size):
    a, b = LAYOUTS[layout](*SIZES[size])
    np.testing.assert_allclose(gemm.matmul(a, b), a @ b, rtol=1e-4, atol=1e-4)


@needs_onednn
def test_vector_like_operands():
    a, b = _m(5, 1), _m(1, 7)
    np.testing.assert_allclose(gemm.matmul(a, b), a @ b, rtol=1e-5, atol=1e-5)
    a, b = _m(600, 512), _m(512, 1)
    np.testing.assert_allclose(gemm.matmul(a, b), a @ b, rtol=1e-4, atol=1e-3)


@needs_onednn
@pytest.mark.parametrize("size", sorted(SIZES))
def test_out_may_be_a_row_strided_view(size):
    m, k, n = SIZES[size]
    a, b = _m(m, k), _m(k, n)
    buf = np.full((m, n + 6), 7.0, np.float32)
    result = gemm.matmul(a, b, out=buf[:, 2:n + 2])
    assert np.shares_memory(result, buf)
    np.testing.assert_allclose(buf[:, 2:n + 2], a @ b, rtol=1e-4, atol=1e-4)
    assert (buf[:, :2] == 7).all() and (buf[:, n + 2:] == 7).all()


BATCHED = {  # name -> (a, b)
    "same batch": lambda: (_m(6, 30, 40), _m(6, 40, 50)),
    "broadcast batch dims": lambda: (_m(2, 1, 30, 40), _m(5, 40, 60)),
    "attention scores": lambda: (_m(2, 4, 32, 16), np.swapaxes(_m(2, 4, 48, 16), -1, -2)),
    "expanded operand": lambda: (np.broadcast_to(_m(1, 30, 40), (3, 30, 40)), _m(3, 40, 20)),
    "matrix times batch": lambda: (_m(30, 40), _m(4, 40, 25)),
    "many small matrices": lambda: (_m(3000, 2, 3), _m(3, 2)),
}


@needs_onednn
@pytest.mark.parametrize("name", sorted(BATCHED))
def test_batched_products_match_numpy(name):
    a, b = BATCHED[name]()
    np.testing.assert_allclose(gemm.matmul(a, b), a @ b, rtol=1e-4, atol=1e-4)


@needs_onednn
def test_large_products_use_the_primitive(monkeypatch):
    monkeypatch.setattr(gemm, "_sgemm_into", lambda *a: pytest.fail("took sgemm"))
    a, b = _m(*SIZES["large"][:2]), _m(*SIZES["large"][1:])
    gemm.matmul(a, b)
    assert gemm._plan(a, b, np.empty((a.shape[0], b.shape[1]), np.float32)) is not None


@needs_onednn
def test_empty_dimensions():
    assert gemm.matmul(_m(0, 3), _m(3, 4)).shape == (0, 4)
    np.testing.assert_array_equal(gemm.matmul(_m(2, 0), _m(0, 3)), np.zeros((2, 3)))
    assert gemm.matmul(_m(0, 2, 3), _m(3, 4)).shape == (0, 2, 4)


@needs_onednn
def test_matches_a_float64_reference_on_a_large_product():
    a, b = _m(300, 500), _m(500, 200)
    want = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_allclose(gemm.matmul(a, b), want, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("a,b", [(_m(3, 4, dtype=np.float64), _m(4, 2, dtype=np.float64)),
                                 (_m(3, 4, dtype=np.float16), _m(4, 2, dtype=np.float16)),
                                 (np.arange(6).reshape(2, 3), np.arange(3).reshape(3, 1))])
def test_other_dtypes_take_numpy_matmul(a, b, monkeypatch):
    monkeypatch.setattr(gemm, "_sgemm_into", lambda *x: pytest.fail("reached sgemm"))
    monkeypatch.setattr(gemm, "_plan", lambda *x: pytest.fail("reached the primitive"))
    result = gemm.matmul(a, b)
    assert result.dtype == (a @ b).dtype
    np.testing.assert_array_equal(result, a @ b)
