"""emberaudio.functional.filtering: lfilter's gradients (transposed recursion) and the biquads'
gradients in their design parameters; closed-form responses live in test_functional.py."""
import numpy as np
import pytest

import ember
import emberaudio.functional as F
from ember_testing import assert_close, check_gradcheck, rand

_A3 = np.array([[1.0, -0.5, 0.2], [2.0, 0.3, 0.1], [1.5, 0.1, -0.2]])


def test_lfilter_gradcheck_batched_coefficients():
    check_gradcheck(lambda x, a, b: F.lfilter(x, a, b, clamp=False), rand(2, 3, 12), _A3,
                    rand(3, 3), gradgrad=True)


def test_lfilter_gradcheck_unbatched_and_1d():
    check_gradcheck(lambda x, a, b: F.lfilter(x, a, b, clamp=False, batching=False),
                    rand(2, 12), _A3[:2], rand(2, 3))
    check_gradcheck(lambda x, a, b: F.lfilter(x, a, b, clamp=False), rand(4, 10), _A3[1],
                    rand(3))


def test_lfilter_matches_direct_recursion():
    x, a, b = rand(2, 3, 30), _A3, rand(3, 3, seed=1)
    y = F.lfilter(ember.tensor(x), ember.tensor(a), ember.tensor(b), clamp=False).numpy()
    ref = np.zeros_like(x)
    for c in range(3):
        for n in range(30):
            acc = sum(b[c, k] * x[:, c, n - k] for k in range(3) if n - k >= 0)
            acc = acc - sum(a[c, k] * ref[:, c, n - k] for k in range(1, 3) if n - k >= 0)
            ref[:, c, n] = acc / a[c, 0]
    assert_close(y, ref, 1e-10, 1e-10)
    assert F.lfilter(ember.tensor(x), ember.tensor(a), ember.tensor(b)).abs().max() <= 1.0


@pytest.mark.parametrize("design", ["lowpass", "highpass", "bandpass", "bandreject", "allpass"])
def test_biquad_gradcheck_in_waveform_freq_and_q(design):
    fn = getattr(F, f"{design}_biquad")
    check_gradcheck(lambda x, f, q: fn(x, 16000, f, q), rand(2, 16) * 0.2, np.array(3000.0),
                    np.array(0.8), eps=1e-4)


def test_equalizer_gradcheck_in_gain():
    check_gradcheck(lambda x, g: F.equalizer_biquad(x, 8000, 1000.0, g), rand(16) * 0.2,
                    np.array(3.0))


def test_lfilter_errors():
    x = ember.zeros(2, 10)
    with pytest.raises(ValueError, match="lfilter.*same shape"):
        F.lfilter(x, ember.ones(3), ember.ones(2))
    with pytest.raises(ValueError, match="lfilter: 3 filters"):
        F.lfilter(x, ember.ones(3, 2), ember.ones(3, 2))
    with pytest.raises(TypeError, match="lfilter.*floating"):
        F.lfilter(ember.zeros(2, 10, dtype=ember.int64), ember.ones(2), ember.ones(2))
