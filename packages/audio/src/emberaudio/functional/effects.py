"""Companding, deltas, SpecAugment masks, phase vocoder and pitch shift (torchaudio's math)."""
import math

import ember

from .resample import resample


def mu_law_encoding(x, quantization_channels):
    """Waveform in [-1, 1] → int64 codes in [0, quantization_channels)."""
    mu = quantization_channels - 1.0
    if not x.is_floating_point():
        x = x.to(ember.float32)
    x_mu = ember.sign(x) * ember.log1p(mu * x.abs()) / math.log1p(mu)
    return ((x_mu + 1) / 2 * mu + 0.5).to(ember.int64)


def mu_law_decoding(x_mu, quantization_channels):
    mu = quantization_channels - 1.0
    if not x_mu.is_floating_point():
        x_mu = x_mu.to(ember.float32)
    x = (x_mu / mu) * 2 - 1.0
    return ember.sign(x) * (ember.exp(x.abs() * math.log1p(mu)) - 1.0) / mu


def compute_deltas(specgram, win_length=5, mode="replicate"):
    """Regression deltas over the last dim: (..., freq, time) → same shape."""
    if win_length < 3:
        raise ValueError(f"Window length should be greater than or equal to 3. Found win_length "
                         f"{win_length}")
    shape = specgram.shape
    x = specgram.reshape(1, -1, shape[-1])
    n = (win_length - 1) // 2
    denom = n * (n + 1) * (2 * n + 1) / 3
    x = ember.nn.functional.pad(x, (n, n), mode=mode)
    kernel = ember.arange(-n, n + 1, dtype=x.dtype, device=x.device).repeat(x.shape[1], 1, 1)
    return (ember.nn.functional.conv1d(x, kernel, groups=x.shape[1]) / denom).reshape(shape)


def _mask_param(mask_param, p, axis_length):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"The value of p must be between 0.0 and 1.0 ({p} given).")
    return mask_param if p == 1.0 else min(mask_param, int(axis_length * p))


def _check_axis(specgram, axis, min_dim, op):
    dim = specgram.ndim
    if dim < min_dim:
        raise ValueError(f"{op}: spectrogram must have at least {min_dim} dimensions, got "
                         f"{dim}")
    axis = axis % dim
    if axis not in (dim - 2, dim - 1):
        raise ValueError(f"{op}: only the frequency and time axes are supported "
                         f"({dim - 2} and {dim - 1}), got {axis}")
    return axis


def mask_along_axis(specgram, mask_param, mask_value, axis, p=1.0):
    """One random band [start, start + width), width ~ U(0, mask_param), set to `mask_value`
    along `axis`, the same for every example."""
    axis = _check_axis(specgram, axis, 2, "mask_along_axis")
    mask_param = _mask_param(mask_param, p, specgram.shape[axis])
    if mask_param < 1:
        return specgram
    value = float(ember.rand(1)) * mask_param
    start = int(float(ember.rand(1)) * (specgram.shape[axis] - value))
    end = start + int(value)
    positions = ember.arange(specgram.shape[axis], device=specgram.device)
    mask = (positions >= start) & (positions < end)
    if axis == specgram.ndim - 2:
        mask = mask.unsqueeze(-1)
    return specgram.masked_fill(mask, mask_value)


def mask_along_axis_iid(specgram, mask_param, mask_value, axis, p=1.0):
    """Like `mask_along_axis`, with an independent band for each (batch, channel) example."""
    axis = _check_axis(specgram, axis, 3, "mask_along_axis_iid")
    mask_param = _mask_param(mask_param, p, specgram.shape[axis])
    if mask_param < 1:
        return specgram
    lead = specgram.shape[:specgram.ndim - 2]
    value = ember.rand(lead, device=specgram.device, dtype=specgram.dtype) * mask_param
    low = ember.rand(lead, device=specgram.device, dtype=specgram.dtype) * (
        specgram.shape[axis] - value)
    start = low.to(ember.int64)[..., None, None]
    end = (low.to(ember.int64) + value.to(ember.int64))[..., None, None]
    positions = ember.arange(specgram.shape[axis], device=specgram.device)
    x = specgram.transpose(axis, -1)
    x = x.masked_fill((positions >= start) & (positions < end), mask_value)
    return x.transpose(axis, -1)


def phase_vocoder(complex_specgrams, rate, phase_advance):
    """Stretch complex (..., freq, frames) in time by 1 / `rate` keeping the pitch."""
    if rate == 1.0:
        return complex_specgrams
    shape = complex_specgrams.shape
    spec = complex_specgrams.reshape(-1, *shape[-2:])
    real_dtype = spec.real.dtype
    time_steps = ember.arange(0, spec.shape[-1], rate, dtype=real_dtype, device=spec.device)
    alphas = time_steps % 1.0
    phase_0 = spec[..., :1].angle()
    spec = ember.cat([spec, ember.zeros(*spec.shape[:-1], 2, dtype=spec.dtype,
                                        device=spec.device)], -1)
    spec_0 = spec.index_select(-1, time_steps.to(ember.int64))
    spec_1 = spec.index_select(-1, (time_steps + 1).to(ember.int64))
    angle_0, angle_1 = spec_0.angle(), spec_1.angle()
    norm_0, norm_1 = spec_0.abs(), spec_1.abs()
    phase = angle_1 - angle_0 - phase_advance
    phase = phase - 2 * math.pi * ember.round(phase / (2 * math.pi)) + phase_advance
    phase = ember.cat([phase_0, phase[..., :-1]], -1)
    mag = alphas * norm_1 + (1 - alphas) * norm_0
    # The accumulated phase reaches thousands of radians: sum in float64 (as torch's CPU
    # cumsum does for float32) so float32 spectrograms keep their phase to ~1e-7 relative.
    phase_acc = ember.cumsum(phase.to(ember.float64), -1).to(phase.dtype)
    out = ember.polar(mag, phase_acc)
    return out.reshape(*shape[:-2], *out.shape[1:])


def pitch_shift(waveform, sample_rate, n_steps, bins_per_octave=12, n_fft=512, hop_length=None,
                win_length=None, window=None):
    """Shift the pitch by `n_steps` of 1 / bins_per_octave octave: time-stretch by phase
    vocoder, then resample back to the original duration."""
    hop_length = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    if window is None:
        window = ember.hann_window(win_length, dtype=waveform.dtype, device=waveform.device)
    shape = waveform.shape
    x = waveform.reshape(-1, shape[-1])
    rate = 2.0 ** (-float(n_steps) / bins_per_octave)
    spec = ember.stft(x, n_fft, hop_length, win_length, window, True, "reflect", False, True,
                      return_complex=True)
    phase_advance = ember.linspace(0, math.pi * hop_length, spec.shape[-2], dtype=x.dtype,
                                   device=x.device)[..., None]
    stretched = ember.istft(phase_vocoder(spec, rate, phase_advance), n_fft, hop_length,
                            win_length, window, length=int(round(shape[-1] / rate)))
    shifted = resample(stretched, int(sample_rate / rate), sample_rate)
    if shifted.shape[-1] > shape[-1]:
        shifted = shifted[..., :shape[-1]]
    else:
        shifted = ember.nn.functional.pad(shifted, (0, shape[-1] - shifted.shape[-1]))
    return shifted.reshape(*shape[:-1], shape[-1])


def gain(waveform, gain_db=1.0):
    """Amplify by `gain_db` decibels."""
    return waveform if gain_db == 0 else waveform * 10 ** (gain_db / 20)
