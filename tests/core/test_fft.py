"""ember.fft: transforms, norms, sizes and gradients (PyTorch's for real↔complex) vs torch."""
import numpy as np
import pytest

import ember
from ember_testing import assert_close, check_gradcheck, check_parity, rand

NORMS = [None, "forward", "ortho"]


def _real(m, t):
    return (t.real, t.imag) if t.is_complex() else t


C2C_CASES = [
    ("fft", dict(n=None, dim=-1)), ("fft", dict(n=5, dim=0)), ("ifft", dict(n=9, dim=-1)),
    ("fft2", dict(s=None)), ("ifft2", dict(s=(3, 8))), ("fftn", dict(s=None, dim=None)),
    ("ifftn", dict(s=(4,), dim=(0,))),
]
R2C_CASES = [
    ("rfft", dict(n=None)), ("rfft", dict(n=5)), ("rfft", dict(n=12, dim=0)),
    ("rfft2", dict(s=None)), ("rfftn", dict(s=(5, 7))), ("ihfft", dict(n=None)),
    ("ihfft", dict(n=7)),
]
C2R_CASES = [
    ("irfft", dict(n=None)), ("irfft", dict(n=7)), ("irfft", dict(n=12)), ("irfft2", dict(s=None)),
    ("irfftn", dict(s=(4, 9))), ("hfft", dict(n=None)), ("hfft", dict(n=9)),
]


@pytest.mark.parity
@pytest.mark.parametrize("name,kw", C2C_CASES + R2C_CASES)
@pytest.mark.parametrize("norm", NORMS)
def test_real_input_parity(name, kw, norm):
    check_parity(lambda m, x: _real(m, getattr(m.fft, name)(x, norm=norm, **kw)), rand(6, 8),
                 layouts=("contiguous",) if norm else ("contiguous", "noncontiguous"))


@pytest.mark.parity
@pytest.mark.parametrize("name,kw", C2C_CASES + C2R_CASES)
@pytest.mark.parametrize("norm", NORMS)
def test_complex_input_parity(name, kw, norm):
    check_parity(lambda m, re, im: _real(m, getattr(m.fft, name)(m.complex(re, im), norm=norm,
                                                                  **kw)),
                 rand(6, 8), rand(6, 8, seed=1), layouts=("contiguous",))


@pytest.mark.parametrize("name,kw", R2C_CASES + [("fft", dict(n=5)), ("ifft2", dict(s=(3, 8)))])
def test_real_input_gradcheck(name, kw):
    check_gradcheck(lambda x: ember.view_as_real(getattr(ember.fft, name)(x, norm="ortho", **kw)),
                    rand(4, 6))


@pytest.mark.parametrize("name,kw", C2R_CASES + [("fftn", dict(s=None))])
def test_complex_input_gradcheck(name, kw):
    def fn(re, im):
        out = getattr(ember.fft, name)(ember.complex(re, im), **kw)
        return ember.view_as_real(out) if out.is_complex() else out
    check_gradcheck(fn, rand(4, 6), rand(4, 6, seed=1), gradgrad=name == "irfft")


def test_rfft_gradgrad():
    check_gradcheck(lambda x: ember.view_as_real(ember.fft.rfft(x, n=7)) ** 2, rand(3, 6),
                    gradgrad=True)


def test_dtypes_and_int_promotion():
    assert ember.fft.fft(ember.arange(4)).dtype == ember.complex64
    assert ember.fft.rfft(ember.ones(4, dtype=ember.float64)).dtype == ember.complex128
    assert ember.fft.irfft(ember.fft.rfft(ember.ones(4))).dtype == ember.float32


def test_parseval_and_round_trip():
    x = ember.tensor(rand(64))
    X = ember.fft.fft(x, norm="ortho")
    assert abs(float((X.abs() ** 2).sum()) - float((x ** 2).sum())) < 1e-9
    assert_close(ember.fft.irfft(ember.fft.rfft(x), n=64), x, 1e-12, 1e-12)
    assert_close(ember.fft.ifftn(ember.fft.fftn(x)).real, x, 1e-12, 1e-12)


@pytest.mark.parity
@pytest.mark.parametrize("n,d", [(8, 1.0), (9, 0.1)])
def test_frequencies_and_shift_parity(n, d):
    import torch
    assert_close(ember.fft.fftfreq(n, d), torch.fft.fftfreq(n, d))
    assert_close(ember.fft.rfftfreq(n, d), torch.fft.rfftfreq(n, d))
    assert ember.fft.fftfreq(n, dtype=ember.float64).dtype == ember.float64
    x = rand(n, 5)
    for dim in (None, 0, (0, 1)):
        assert_close(ember.fft.fftshift(ember.tensor(x), dim), torch.fft.fftshift(
            torch.tensor(x), dim))
        assert_close(ember.fft.ifftshift(ember.tensor(x), dim), torch.fft.ifftshift(
            torch.tensor(x), dim))


def test_complex_views():
    z = ember.view_as_complex(ember.tensor(rand(3, 2)))
    assert z.dtype == ember.complex128 and z.shape == (3,)
    assert_close(ember.view_as_real(z), rand(3, 2))
    p = ember.polar(ember.tensor([2.0]), ember.tensor([np.pi / 2]))
    assert_close(p, np.array([2j]), atol=1e-6)


def test_errors():
    x = ember.ones(4)
    with pytest.raises(ValueError, match="Invalid normalization mode"):
        ember.fft.fft(x, norm="bad")
    with pytest.raises(RuntimeError, match="rfft expects a real input"):
        ember.fft.rfft(ember.fft.fft(x))
    with pytest.raises(IndexError, match="fft: Dimension out of range"):
        ember.fft.fft(x, dim=2)
    with pytest.raises(RuntimeError, match="Invalid number of data points"):
        ember.fft.fft(x, n=0)
    with pytest.raises(RuntimeError, match="view_as_real is only supported for complex"):
        ember.view_as_real(x)
    with pytest.raises(RuntimeError, match="view_as_complex"):
        ember.view_as_complex(ember.ones(3))
    with pytest.raises(RuntimeError, match="complex: Expected both"):
        ember.complex(ember.ones(2), ember.ones(2, dtype=ember.float64))
