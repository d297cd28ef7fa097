"""emberaudio.transforms: modules agree with the functional forms, keep torchaudio's buffers,
differentiate where torchaudio's do, and satisfy closed-form checks."""
import math

import numpy as np
import pytest

import ember
import emberaudio.functional as F
import emberaudio.transforms as T
from ember_testing import assert_close, check_gradcheck, rand


def _wave(*shape):
    return ember.tensor(rand(*shape, low=-0.5, high=0.5, dtype="float32"))


def test_spectrogram_family_shapes_and_buffers():
    x = _wave(2, 1600)
    assert T.Spectrogram(n_fft=128)(x).shape == (2, 65, 26)
    mel = T.MelSpectrogram(16000, n_fft=128, n_mels=20)
    assert mel(x).shape == (2, 20, 26)
    assert sorted(mel.state_dict()) == ["mel_scale.fb", "spectrogram.window"]
    mfcc = T.MFCC(16000, n_mfcc=13, melkwargs=dict(n_fft=128, n_mels=20))
    assert mfcc(x).shape == (2, 13, 26)
    assert sorted(mfcc.state_dict()) == ["MelSpectrogram.mel_scale.fb",
                                         "MelSpectrogram.spectrogram.window", "dct_mat"]
    lfcc = T.LFCC(16000, n_filter=30, n_lfcc=10, speckwargs=dict(n_fft=128))
    assert lfcc(x).shape == (2, 10, 26)
    assert sorted(lfcc.state_dict()) == ["Spectrogram.window", "dct_mat", "filter_mat"]
    resample = T.Resample(16000, 8000)
    assert resample.state_dict() == {} and resample.kernel.shape[0] == 1


def test_mfcc_is_dct_of_db_mel():
    x = _wave(1600)
    melspec = T.MelSpectrogram(n_fft=128, n_mels=20)(x)
    db = F.amplitude_to_DB(melspec, 10.0, 1e-10, 0.0, 80.0)
    expected = ember.matmul(db.transpose(-1, -2), F.create_dct(13, 20, "ortho")).transpose(-1, -2)
    got = T.MFCC(n_mfcc=13, melkwargs=dict(n_fft=128, n_mels=20))(x)
    assert_close(got, expected, 1e-5, 1e-4)
    logged = T.MFCC(n_mfcc=13, log_mels=True, melkwargs=dict(n_fft=128, n_mels=20))(x)
    assert logged.shape == got.shape


def test_inverse_spectrogram_and_inverse_mel():
    x = ember.tensor(rand(2, 800))
    spec_fn = T.Spectrogram(n_fft=64, power=None, window_fn=lambda n: ember.hann_window(
        n, dtype=ember.float64))
    inv = T.InverseSpectrogram(n_fft=64, window_fn=lambda n: ember.hann_window(
        n, dtype=ember.float64))
    assert_close(inv(spec_fn(x), length=800), x, 1e-9, 1e-9)
    mel = T.MelScale(n_mels=16, n_stft=33)
    spec = ember.tensor(rand(33, 5, positive=True, dtype="float32"))
    recovered = T.InverseMelScale(33, n_mels=16)(mel(spec))
    assert recovered.shape == (33, 5) and (recovered.numpy() >= 0).all()
    assert_close(mel(recovered), mel(spec), 1e-3, 1e-3)


def test_griffinlim_and_time_stretch():
    ember.manual_seed(0)
    x = _wave(2, 800)
    mag = T.Spectrogram(n_fft=64)(x)
    assert T.GriffinLim(n_fft=64, n_iter=3, length=800)(mag).shape == (2, 800)
    with pytest.raises(ValueError, match="momentum"):
        T.GriffinLim(momentum=1.5)
    spec = T.Spectrogram(n_fft=64, power=None)(x)
    stretch = T.TimeStretch(n_freq=33, fixed_rate=0.5)
    assert stretch(spec).shape == (2, 33, 2 * spec.shape[-1])
    assert stretch(spec, 2.0).shape == (2, 33, math.ceil(spec.shape[-1] / 2))
    with pytest.raises(ValueError, match="fixed_rate"):
        T.TimeStretch(n_freq=33)(spec)


@pytest.mark.parametrize("module", [
    lambda: T.Spectrogram(n_fft=16, hop_length=4),
    lambda: T.MelSpectrogram(8000, n_fft=16, hop_length=4, n_mels=4),
    lambda: T.MFCC(8000, n_mfcc=3, melkwargs=dict(n_fft=16, hop_length=4, n_mels=4)),
    lambda: T.Resample(5, 4, lowpass_filter_width=3, dtype=ember.float64),
])
def test_differentiable(module):
    m = module().to(ember.float64)
    check_gradcheck(lambda x: m(x), rand(40))


def test_amplitude_to_db_vol_fade():
    x = ember.tensor([[[1.0, 0.1, 1e-6]]])
    assert_close(T.AmplitudeToDB("power")(x), [[[0.0, -10.0, -60.0]]], 1e-5, 1e-4)
    assert_close(T.AmplitudeToDB("magnitude", top_db=40.0)(x), [[[0.0, -20.0, -40.0]]], 1e-5,
                 1e-4)
    w = ember.full((1, 4), 0.25)
    assert_close(T.Vol(2.0)(w), np.full((1, 4), 0.5))
    assert_close(T.Vol(20.0, "db")(w), np.full((1, 4), 1.0))  # clamped at 1
    assert_close(T.Vol(4.0, "power")(w), np.full((1, 4), 0.5), 1e-6)
    with pytest.raises(ValueError, match="gain must be positive"):
        T.Vol(-1.0)
    ones = ember.ones(1, 10)
    linear = T.Fade(5, 5, "linear")(ones)
    assert_close(linear[0, :5], np.linspace(0, 1, 5), 1e-6)
    assert_close(linear[0, 5:], np.linspace(1, 0, 5), 1e-6)
    for shape in ("logarithmic", "exponential", "quarter_sine", "half_sine"):
        faded = T.Fade(4, 4, shape)(ones).numpy()[0]
        assert faded[0] < 0.1 and faded[-1] < 0.1 and np.all(faded[4:6] == 1.0)
    with pytest.raises(ValueError, match="fade_shape"):
        T.Fade(1, 1, "bad")


def test_masking_and_specaugment():
    ember.manual_seed(0)
    spec = ember.ones(3, 2, 20, 40)
    freq = T.FrequencyMasking(8, iid_masks=True)(spec, 0.0)
    masked_rows = (freq == 0).numpy().all(-1)
    assert (masked_rows.sum(-1) < 8).all() and masked_rows.any()
    time = T.TimeMasking(10)(ember.ones(20, 40))
    masked_cols = (time == 0).numpy().all(0)
    assert 0 <= masked_cols.sum() < 10
    aug = T.SpecAugment(2, 5, 2, 4, zero_masking=True)(spec)
    assert aug.shape == spec.shape and (aug == 0).numpy().any()


def test_deltas_mulaw_pitch_shift():
    ramp = ember.arange(20, dtype=ember.float32).reshape(1, 20) * 3
    assert_close(T.ComputeDeltas()(ramp)[0, 2:-2], np.full(16, 3.0), 1e-5)
    x = ember.tensor(np.linspace(-1, 1, 50).astype(np.float32))
    codes = T.MuLawEncoding(256)(x)
    assert np.abs(T.MuLawDecoding(256)(codes).numpy() - x.numpy()).max() < 0.025
    shift = T.PitchShift(8000, -12, n_fft=256)
    assert sorted(shift.state_dict()) == ["window"]
    tone = ember.tensor(np.sin(2 * np.pi * 1000 * np.arange(4000) / 8000).astype(np.float32))
    low = shift(tone)
    spectrum = np.abs(np.fft.rfft(low.numpy()[500:-500]))
    assert low.shape == (4000,) and abs(spectrum.argmax() * 8000 / 3000 - 500) < 20
