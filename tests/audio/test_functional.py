"""emberaudio.functional: closed-form checks (torchaudio is not installed) and torch parity
for the pieces PyTorch has."""
import math

import numpy as np
import pytest

import ember
import emberaudio.functional as F
from ember_testing import assert_close, check_gradcheck, rand


def _tone(freq, sr=16000, n=16000, dtype=np.float64):
    return ember.tensor(np.sin(2 * np.pi * freq * np.arange(n) / sr).astype(dtype))


def test_spectrogram_tone_peak_and_parseval():
    w = ember.hann_window(400, dtype=ember.float64)
    spec = F.spectrogram(_tone(1000), 0, w, 400, 200, 400, 2.0, False)
    assert spec.shape == (201, 81)
    assert (spec[:, 2:-2].argmax(0).numpy() == 25).all()  # 1000 Hz / (16000 / 400)
    x = ember.tensor(rand(512))
    rect = ember.ones(512, dtype=ember.float64)
    full = F.spectrogram(x, 0, rect, 512, 512, 512, 2.0, "frame_length", center=False,
                         onesided=False)
    assert abs(float(full.sum()) - float((x ** 2).sum())) < 1e-8


def test_spectrogram_inverse_and_gradcheck():
    w = ember.hann_window(32, dtype=ember.float64)
    x = ember.tensor(rand(2, 200))
    spec = F.spectrogram(x, 4, w, 32, 8, 32, None, True)
    y = F.inverse_spectrogram(spec, 200, 4, w, 32, 8, 32, True)
    assert_close(y, x, 1e-9, 1e-9)
    w16 = ember.hann_window(16, dtype=ember.float64)
    check_gradcheck(lambda x: F.spectrogram(x, 0, w16, 16, 4, 16, 2.0, False), rand(48))
    check_gradcheck(lambda x: F.spectrogram(x, 0, w16, 16, 4, 16, 1.0, True), rand(48))


def test_griffinlim_recovers_magnitude():
    ember.manual_seed(0)
    w = ember.hann_window(64, dtype=ember.float64)
    x = _tone(500, 8000, 2000)
    mag = F.spectrogram(x, 0, w, 64, 16, 64, 2.0, False)
    y = F.griffinlim(mag, w, 64, 16, 64, 2.0, 30, 0.99, 2000, True)
    again = F.spectrogram(y, 0, w, 64, 16, 64, 2.0, False)
    assert y.shape == (2000,)
    assert float((again.sqrt() - mag.sqrt()).abs().mean() / mag.sqrt().mean()) < 0.1


def test_mel_scale_formulas():
    from emberaudio.functional.spectral import _hz_to_mel, _mel_to_hz
    assert math.isclose(_hz_to_mel(700.0, "htk"), 2595 * math.log10(2))
    assert math.isclose(_hz_to_mel(500.0, "slaney"), 7.5)
    assert math.isclose(_hz_to_mel(6400.0, "slaney"), 42.0)
    assert np.allclose(_mel_to_hz(np.array([7.5, 42.0]), "slaney"), [500.0, 6400.0])
    assert np.allclose(_mel_to_hz(np.array([2595 * math.log10(2)]), "htk"), [700.0])


@pytest.mark.parametrize("mel_scale", ["htk", "slaney"])
def test_melscale_fbanks_properties(mel_scale):
    fb = F.melscale_fbanks(201, 0.0, 8000.0, 40, 16000, mel_scale=mel_scale).numpy()
    assert fb.shape == (201, 40) and fb.dtype == np.float32 and (fb >= 0).all()
    assert fb.max() <= 1.0 + 1e-6 and (fb.max(0) > 0.5).all()
    # Neighbouring triangles overlap to sum to one between the first and last centre.
    inner = fb.sum(1)[fb.argmax(0)[0] + 1:fb.argmax(0)[-1]]
    assert np.allclose(inner, 1.0, atol=1e-5)
    normed = F.melscale_fbanks(201, 0.0, 8000.0, 40, 16000, "slaney", mel_scale).numpy()
    hz_step = 8000 / 200
    assert np.allclose(normed.sum(0) * hz_step, 1.0, atol=0.1)  # unit area (slaney norm)
    with pytest.raises(ValueError, match="mel_scale"):
        F.melscale_fbanks(201, 0.0, 8000.0, 40, 16000, mel_scale="bad")


def test_linear_fbanks_and_dct():
    fb = F.linear_fbanks(129, 0.0, 4000.0, 10, 8000).numpy()
    assert fb.shape == (129, 10) and np.allclose(fb.max(0), 1.0, atol=0.05)
    dct = F.create_dct(13, 13, "ortho").numpy().astype(np.float64)
    assert np.allclose(dct.T @ dct, np.eye(13), atol=1e-6)
    unnormed = F.create_dct(4, 8, None).numpy()
    assert np.allclose(unnormed[:, 0], 2.0)


def test_amplitude_to_db_known_values():
    x = ember.tensor([[[1.0, 10.0, 100.0, 1e-20]]])
    assert_close(F.amplitude_to_DB(x, 10.0, 1e-10, 0.0), [[[0.0, 10.0, 20.0, -100.0]]], 1e-6)
    assert_close(F.amplitude_to_DB(x, 20.0, 1e-10, 0.0, top_db=30.0),
                 [[[10.0, 20.0, 40.0, 10.0]]], 1e-6)
    assert_close(F.DB_to_amplitude(ember.tensor([20.0]), 1.0, 1.0), [100.0], 1e-5)
    assert_close(F.DB_to_amplitude(ember.tensor([20.0]), 1.0, 0.5), [10.0], 1e-5)
    check_gradcheck(lambda x: F.amplitude_to_DB(x, 10.0, 1e-10, 0.0, 80.0),
                    rand(2, 3, 4, positive=True))


def test_resample_tone_and_round_trip():
    y = F.resample(_tone(440, dtype=np.float32), 16000, 22050)
    assert y.shape == (22050,) and y.dtype == ember.float32
    spectrum = np.abs(np.fft.rfft(y.numpy()))
    assert abs(spectrum.argmax() - 440) <= 1
    x = _tone(440)
    back = F.resample(F.resample(x, 16000, 8000), 8000, 16000)
    assert np.abs((back - x).numpy()[200:-200]).max() < 2e-3
    kaiser = F.resample(x, 16000, 12000, resampling_method="sinc_interp_kaiser", beta=8.0)
    assert kaiser.shape == (12000,)
    assert F.resample(x, 16000, 16000) is x
    check_gradcheck(lambda x: F.resample(x, 4, 3, lowpass_filter_width=3), rand(2, 20))
    with pytest.raises(ValueError, match="positive"):
        F.resample(x, 0, 16000)


@pytest.mark.parity
def test_resample_kernel_matches_conv1d_by_hand():
    torch = pytest.importorskip("torch")
    from emberaudio.functional.resample import sinc_resample_kernel
    kernel, width = sinc_resample_kernel(3, 2, dtype=ember.float64)
    x = rand(1, 50)
    padded = torch.nn.functional.pad(torch.tensor(x), (width, width + 3))
    out = torch.nn.functional.conv1d(padded[:, None], torch.tensor(kernel.numpy()), stride=3)
    expected = out.transpose(1, 2).reshape(1, -1)[:, :math.ceil(2 * 50 / 3)]
    assert_close(F.resample(ember.tensor(x), 3, 2), expected, 1e-10, 1e-10)


def test_mu_law_round_trip():
    x = ember.tensor(np.linspace(-1, 1, 101))
    codes = F.mu_law_encoding(x, 256)
    assert codes.dtype == ember.int64 and int(codes.min()) == 0 and int(codes.max()) == 255
    assert np.abs(F.mu_law_decoding(codes, 256).numpy() - x.numpy()).max() < 0.025
    assert int(F.mu_law_encoding(ember.tensor([0.0]), 256)[0]) == 128


def test_biquads_and_lfilter():
    low, high = _tone(100, n=4000), _tone(4000, n=4000)
    lp = F.lowpass_biquad(0.5 * (low + high), 16000, 500)
    assert np.corrcoef(lp.numpy()[1000:], low.numpy()[1000:])[0, 1] > 0.95
    assert abs(np.std(lp.numpy()[1000:]) - 0.5 / math.sqrt(2)) < 0.03
    hp = F.highpass_biquad(0.5 * (low + high), 16000, 2000)
    spectrum = np.abs(np.fft.rfft(hp.numpy()[1000:]))  # 4000 Hz kept, 100 Hz gone
    assert np.std(hp.numpy()[1000:]) > 0.3 and spectrum[750] > 50 * spectrum[19:21].max()
    bp = F.bandpass_biquad(high, 16000, 4000, Q=2.0)
    assert np.std(bp.numpy()[1000:]) > 0.6
    # A one-pole filter y[n] = x[n] + 0.5 y[n-1] has impulse response 0.5 ** n.
    impulse = ember.zeros(2, 6, dtype=ember.float64)
    impulse[:, 0] = 1.0
    y = F.lfilter(impulse, ember.tensor([1.0, -0.5]), ember.tensor([1.0, 0.0]))
    assert_close(y[0], 0.5 ** np.arange(6), 1e-12)
    two = F.lfilter(impulse, ember.tensor([[1.0, -0.5], [2.0, 0.0]]),
                    ember.tensor([[1.0, 0.0], [2.0, 2.0]]))
    assert_close(two[1], [1.0, 1.0, 0, 0, 0, 0], 1e-12)


@pytest.mark.parity
def test_compute_deltas_vs_torch():
    torch = pytest.importorskip("torch")
    x = rand(2, 3, 10)
    n = 2
    padded = torch.nn.functional.pad(torch.tensor(x).reshape(1, 6, 10), (n, n), mode="replicate")
    kernel = torch.arange(-n, n + 1, dtype=torch.float64).repeat(6, 1, 1)
    expected = (torch.nn.functional.conv1d(padded, kernel, groups=6) / 10).reshape(2, 3, 10)
    assert_close(F.compute_deltas(ember.tensor(x)), expected, 1e-12)
    linear = ember.arange(10, dtype=ember.float64).reshape(1, 10)
    assert_close(F.compute_deltas(linear)[0, 2:-2], np.ones(6), 1e-12)


def test_masks():
    ember.manual_seed(0)
    spec = ember.ones(4, 2, 20, 30)
    for axis in (2, 3):
        out = F.mask_along_axis_iid(spec, 10, 0.0, axis)
        zeros = (out == 0).numpy()
        assert zeros.sum(axis=tuple(i for i in range(4) if i != axis) and (0, 1, 5 - axis)).shape
        assert (out.numpy() >= 0).all() and zeros.any()
    single = F.mask_along_axis(ember.ones(20, 30), 10, -1.0, 1)
    cols = (single == -1).numpy().all(0)
    assert cols.sum() < 10 and ((single == -1).numpy().any(0) == cols).all()
    assert F.mask_along_axis(spec, 0, 0.0, 2) is spec
    with pytest.raises(ValueError, match="at least 3"):
        F.mask_along_axis_iid(ember.ones(3, 4), 2, 0.0, 1)


def test_phase_vocoder_and_pitch_shift():
    w = ember.hann_window(256, dtype=ember.float64)
    spec = ember.stft(_tone(1000, n=8000), 256, 64, window=w, return_complex=True)
    advance = ember.linspace(0, math.pi * 64, 129, dtype=ember.float64)[:, None]
    fast = F.phase_vocoder(spec, 2.0, advance)
    assert fast.shape == (129, math.ceil(spec.shape[-1] / 2))
    assert (fast.abs()[:, 2:-2].argmax(0).numpy() == 16).all()  # same pitch
    shifted = F.pitch_shift(_tone(1000, n=8000), 16000, 12)  # up an octave
    spectrum = np.abs(np.fft.rfft(shifted.numpy()[1000:-1000]))
    assert abs(spectrum.argmax() * 16000 / 6000 - 2000) < 30
