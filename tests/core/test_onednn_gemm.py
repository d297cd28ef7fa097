"""oneDNN's sgemm behind ember._onednn.gemm.matmul: same products as NumPy's matmul for every
operand layout it accepts, NumPy's own matmul for everything else."""
import numpy as np
import pytest

from ember._onednn import available, gemm

needs_onednn = pytest.mark.skipif(not available(), reason="oneDNN (ember[onednn]) not installed")
rng = np.random.default_rng(0)


def _m(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


LAYOUTS = {  # name -> (a, b) pairs multiplying to the same (5, 7) product shape
    "contiguous": lambda: (_m(5, 4), _m(4, 7)),
    "transposed": lambda: (_m(4, 5).T, _m(7, 4).T),
    "row-strided": lambda: (_m(5, 9)[:, 2:6], _m(4, 10)[:, :7]),
    "column-strided": lambda: (_m(5, 8)[:, ::2], _m(8, 7)[::2]),
    "negative-strided": lambda: (_m(5, 4)[::-1], _m(4, 7)[:, ::-1]),
    "broadcast": lambda: (np.broadcast_to(_m(1, 4), (5, 4)), _m(4, 7)),
    "vector-like": lambda: (_m(5, 1), _m(1, 7)),
}


@needs_onednn
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_layouts_match_numpy(layout):
    a, b = LAYOUTS[layout]()
    np.testing.assert_allclose(gemm.matmul(a, b), a @ b, rtol=1e-5, atol=1e-5)


@needs_onednn
def test_out_may_be_a_row_strided_view():
    a, b = _m(3, 6), _m(6, 4)
    buf = np.full((3, 10), 7.0, np.float32)
    result = gemm.matmul(a, b, out=buf[:, 2:6])
    assert np.shares_memory(result, buf)
    np.testing.assert_allclose(buf[:, 2:6], a @ b, rtol=1e-5, atol=1e-5)
    assert (buf[:, :2] == 7).all() and (buf[:, 6:] == 7).all()


@needs_onednn
def test_batched_with_broadcast_batch_dims():
    a, b = _m(2, 1, 3, 4), _m(5, 4, 6)
    np.testing.assert_allclose(gemm.matmul(a, b), a @ b, rtol=1e-5, atol=1e-5)


@needs_onednn
def test_large_batches_use_numpy_loop(monkeypatch):
    monkeypatch.setattr(gemm, "_gemm_into", lambda *a: pytest.fail("looped in Python"))
    a, b = _m(gemm._MAX_BATCH + 1, 2, 3), _m(3, 2)
    np.testing.assert_allclose(gemm.matmul(a, b), a @ b, rtol=1e-5, atol=1e-6)


@needs_onednn
def test_empty_dimensions():
    assert gemm.matmul(_m(0, 3), _m(3, 4)).shape == (0, 4)
    np.testing.assert_array_equal(gemm.matmul(_m(2, 0), _m(0, 3)), np.zeros((2, 3)))


@needs_onednn
def test_matches_a_float64_reference_on_a_large_product():
    a, b = _m(300, 500), _m(500, 200)
    want = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_allclose(gemm.matmul(a, b), want, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("a,b", [(_m(3, 4, dtype=np.float64), _m(4, 2, dtype=np.float64)),
                                 (_m(3, 4, dtype=np.float16), _m(4, 2, dtype=np.float16)),
                                 (np.arange(6).reshape(2, 3), np.arange(3).reshape(3, 1))])
def test_other_dtypes_take_numpy_matmul(a, b, monkeypatch):
    monkeypatch.setattr(gemm, "_gemm_into", lambda *x: pytest.fail("reached sgemm"))
    result = gemm.matmul(a, b)
    assert result.dtype == (a @ b).dtype
    np.testing.assert_array_equal(result, a @ b)
