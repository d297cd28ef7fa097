"""stft/istft and window functions: torch parity (values and gradients), gradcheck, errors."""
import numpy as np
import pytest

import ember
from ember_testing import assert_close, check_gradcheck, check_parity, rand

WINDOWS = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]


@pytest.mark.parity
@pytest.mark.parametrize("name", WINDOWS)
@pytest.mark.parametrize("length", [0, 1, 2, 7, 16])
@pytest.mark.parametrize("periodic", [True, False])
def test_window_parity(name, length, periodic):
    import torch
    for dtype in ("float32", "float64"):
        e = getattr(ember, name)(length, periodic, dtype=getattr(ember, dtype))
        t = getattr(torch, name)(length, periodic, dtype=getattr(torch, dtype))
        assert e.dtype.name == dtype
        assert_close(e, t, 1e-5, 1e-6)


def test_window_errors():
    with pytest.raises(RuntimeError, match="hann_window: requires non-negative"):
        ember.hann_window(-1)
    with pytest.raises(RuntimeError, match="floating point"):
        ember.hann_window(4, dtype=ember.int64)


STFT_CASES = [
    dict(n_fft=16),
    dict(n_fft=16, hop_length=3, win_length=12, pad_mode="constant", normalized=True),
    dict(n_fft=15, hop_length=5, pad_mode="replicate"),
    dict(n_fft=16, hop_length=4, pad_mode="circular", onesided=False),
    dict(n_fft=16, hop_length=4, center=False),
]


def _stft(m, x, w, kw):
    spec = m.stft(x, window=w, return_complex=True, **kw)
    return spec.real, spec.imag


@pytest.mark.parity
@pytest.mark.parametrize("kw", STFT_CASES)
@pytest.mark.parametrize("shape", [(80,), (2, 64)])
def test_stft_parity(kw, shape):
    w = np.hanning(kw.get("win_length", kw["n_fft"]) + 2)[1:-1]  # no zero endpoints
    check_parity(lambda m, x, w: _stft(m, x, w, kw), rand(*shape), w)


@pytest.mark.parity
@pytest.mark.parametrize("kw", STFT_CASES)
@pytest.mark.parametrize("length", [None, 60, 90])
def test_istft_parity(kw, length):
    import torch
    kw = {k: v for k, v in kw.items() if k != "pad_mode"}
    w = np.hanning(kw.get("win_length", kw["n_fft"]) + 2)[1:-1]
    spec = torch.stft(torch.tensor(rand(2, 64)), window=torch.tensor(w), return_complex=True,
                      **kw)
    re, im = np.ascontiguousarray(spec.real.numpy()), np.ascontiguousarray(spec.imag.numpy())
    if length == 90 and "win_length" in kw:  # the zero-padded window's envelope vanishes there
        with pytest.raises(RuntimeError, match="window overlap add min"):
            torch.istft(spec, window=torch.tensor(w), length=length, **kw)
        with pytest.raises(RuntimeError, match="window overlap add min"):
            ember.istft(ember.complex(ember.tensor(re), ember.tensor(im)),
                        window=ember.tensor(w), length=length, **kw)
        return
    check_parity(lambda m, re, im, w: m.istft(m.complex(re, im), window=w, length=length, **kw),
                 re, im, w, layouts=("contiguous",))


def test_round_trip():
    x = ember.tensor(rand(3, 200))
    w = ember.hann_window(32, dtype=ember.float64)
    spec = ember.stft(x, 32, 8, window=w, return_complex=True)
    assert spec.shape == (3, 17, 26)
    assert_close(spec.istft(32, 8, window=w, length=200), x, 1e-10, 1e-10)
    assert_close(ember.istft(spec[0], 32, 8, window=w, length=200), x[0], 1e-10, 1e-10)


def test_pure_tone_peak():
    t = np.arange(1024) / 1024
    x = ember.tensor(np.sin(2 * np.pi * 64 * t))  # 64 cycles per 1024 samples: bin 64 / 16
    spec = ember.stft(x, 256, window=ember.hann_window(256, dtype=ember.float64),
                      return_complex=True).abs()
    assert (spec[:, 2:-2].argmax(0).numpy() == 16).all()


@pytest.mark.parametrize("kw", STFT_CASES[:3])
def test_stft_gradcheck(kw):
    w = np.hanning(kw.get("win_length", kw["n_fft"]) + 2)[1:-1]
    check_gradcheck(lambda x, w: ember.view_as_real(ember.stft(x, window=w, return_complex=True,
                                                               **kw)), rand(40), w)


def test_istft_gradcheck():
    w = np.hanning(18)[1:-1]
    spec = ember.stft(ember.tensor(rand(40)), 16, 4, window=ember.tensor(w),
                      return_complex=True)
    re, im = np.ascontiguousarray(spec.real.numpy()), np.ascontiguousarray(spec.imag.numpy())
    check_gradcheck(lambda re, im, w: ember.istft(ember.complex(re, im), 16, 4, window=w,
                                                  length=45), re, im, w)


def test_errors():
    x = ember.ones(64)
    with pytest.raises(RuntimeError, match="stft requires the return_complex"):
        ember.stft(x, 16)
    with pytest.raises(RuntimeError, match="return_complex=False is not supported"):
        ember.stft(x, 16, return_complex=False)
    with pytest.raises(RuntimeError, match="stft: expected 0 < n_fft"):
        ember.stft(ember.ones(10), 32, center=False, return_complex=True)
    with pytest.raises(RuntimeError, match="win_length"):
        ember.stft(x, 16, win_length=20, return_complex=True)
    with pytest.raises(RuntimeError, match="istft requires a complex-valued input"):
        ember.istft(ember.ones(9, 5), 16)
    with pytest.raises(RuntimeError, match="istft: window overlap add min"):
        ember.istft(ember.stft(x, 16, window=ember.hann_window(16), center=False,
                               return_complex=True), 16, window=ember.hann_window(16),
                    center=False)
