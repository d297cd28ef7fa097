"""emberaudio.functional.detection without torchaudio: pitch of pure tones, vad trimming a
quiet lead-in (torchaudio parity is in test_torchaudio_parity.py)."""
import numpy as np
import pytest

import ember
import emberaudio.functional as F
import emberaudio.transforms as T


def _tone(freq, sr=16000, seconds=1.0, amp=0.5):
    t = np.arange(int(sr * seconds)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.mark.parametrize("freq", [110.0, 200.0])
def test_detect_pitch_frequency_pure_tones(freq):
    x = ember.tensor(np.stack([_tone(freq), _tone(freq * 1.5)]))
    pitch = F.detect_pitch_frequency(x, 16000)
    assert pitch.shape == (2, 100 - 15) and pitch.dtype == ember.float32
    # Lags are whole samples: the estimate is sample_rate / lag, within one lag step.
    for row, f in zip(pitch.numpy(), (freq, freq * 1.5)):
        assert np.all(np.abs(16000 / row - 16000 / f) <= 1.5)


def test_vad_trims_quiet_lead_in():
    sr = 16000
    rng = np.random.default_rng(0)
    onset = int(1.5 * sr)
    x = 0.001 * rng.standard_normal(3 * sr).astype(np.float32)
    t = np.arange(3 * sr - onset) / sr
    x[onset:] += 0.5 * sum(np.sin(2 * np.pi * k * 150 * t) / k for k in range(1, 5))
    out = F.vad(ember.tensor(x), sr)
    start = x.size - out.shape[-1]
    assert onset - 0.3 * sr <= start <= onset  # trimmed to just before the voice
    assert np.array_equal(out.numpy(), x[start:])
    both = F.vad(ember.tensor(np.stack([x, x])), sr)
    assert both.shape == (2, out.shape[-1])
    assert np.array_equal(T.Vad(sr)(ember.tensor(x)).numpy(), out.numpy())
    # Silence never triggers: nothing before the (empty) pre-trigger window is kept.
    assert F.vad(ember.zeros(sr), sr).shape == (0,)


def test_vad_keeps_graph_and_checks_lifter_range():
    x = ember.tensor(_tone(200, seconds=0.5), requires_grad=True)
    F.vad(x, 16000, trigger_level=0.0).sum().backward()
    assert x.grad is not None
    with pytest.raises(ValueError, match="vad: the cepstrum range is empty"):
        F.vad(x, 16000, hp_lifter_freq=3000.0, lp_lifter_freq=2000.0)
