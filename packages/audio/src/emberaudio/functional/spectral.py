"""Spectrograms and their inverses, filter banks, DCT, decibels (torchaudio's formulas)."""
import math
import warnings

import numpy as np

import ember


def _spec_norms(normalized):
    """torchaudio: True or "window" divides by the window's norm; "frame_length" is stft's."""
    if normalized is True or normalized == "window":
        return False, True
    if normalized == "frame_length":
        return True, False
    if normalized is False:
        return False, False
    raise ValueError(f"Invalid normalized parameter: {normalized}")


def magnitude(spec, power):
    """|spec| ** power from the real and imaginary parts, so it differentiates on every backend
    (power 2 needs no square root)."""
    squared = spec.real * spec.real + spec.imag * spec.imag
    return squared if power == 2.0 else squared ** (power / 2)


def spectrogram(waveform, pad, window, n_fft, hop_length, win_length, power, normalized,
                center=True, pad_mode="reflect", onesided=True, return_complex=None):
    """(..., time) → (..., n_fft // 2 + 1, frames): |STFT| ** power, or the complex STFT when
    `power` is None."""
    if pad > 0:
        waveform = ember.nn.functional.pad(waveform, (pad, pad), "constant")
    frame_length_norm, window_norm = _spec_norms(normalized)
    shape = waveform.shape
    spec = ember.stft(waveform.reshape(-1, shape[-1]), n_fft, hop_length, win_length, window,
                      center, pad_mode, frame_length_norm, onesided, return_complex=True)
    spec = spec.reshape(*shape[:-1], *spec.shape[-2:])
    if window_norm:
        spec = spec / (window * window).sum().sqrt()
    return spec if power is None else magnitude(spec, power)


def inverse_spectrogram(spectrogram, length, pad, window, n_fft, hop_length, win_length,
                        normalized, center=True, pad_mode="reflect", onesided=True):
    """Complex (..., freq, frames) → waveform (..., time) by inverse STFT."""
    if not spectrogram.is_complex():
        raise ValueError("Expected `spectrogram` to be complex dtype.")
    frame_length_norm, window_norm = _spec_norms(normalized)
    if window_norm:
        spectrogram = spectrogram * (window * window).sum().sqrt()
    shape = spectrogram.shape
    waveform = ember.istft(spectrogram.reshape(-1, shape[-2], shape[-1]), n_fft, hop_length,
                           win_length, window, center, frame_length_norm, onesided,
                           length + 2 * pad if length is not None else None)
    if length is not None and pad > 0:
        waveform = waveform[:, pad:-pad]
    return waveform.reshape(*shape[:-2], waveform.shape[-1])


def griffinlim(specgram, window, n_fft, hop_length, win_length, power, n_iter, momentum,
               length, rand_init):
    """Waveform from a magnitude spectrogram by Griffin-Lim phase recovery with momentum."""
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in the range [0, 1). Found: {momentum}")
    momentum = momentum / (1 + momentum)
    shape = specgram.shape
    specgram = specgram.reshape(-1, *shape[-2:]) ** (1 / power)
    if rand_init:
        angles = ember.complex(ember.rand(specgram.shape, dtype=specgram.dtype,
                                          device=specgram.device),
                               ember.rand(specgram.shape, dtype=specgram.dtype,
                                          device=specgram.device))
    else:
        angles = ember.complex(ember.ones_like(specgram), ember.zeros_like(specgram))
    previous = None
    for _ in range(n_iter):
        inverse = ember.istft(specgram * angles, n_fft, hop_length, win_length, window,
                              length=length)
        rebuilt = ember.stft(inverse, n_fft, hop_length, win_length, window, True, "reflect",
                             False, True, return_complex=True)
        angles = rebuilt if previous is None or not momentum else rebuilt - previous * momentum
        angles = angles / (angles.abs() + 1e-16)
        previous = rebuilt
    waveform = ember.istft(specgram * angles, n_fft, hop_length, win_length, window,
                           length=length)
    return waveform.reshape(*shape[:-2], waveform.shape[-1])


def amplitude_to_DB(x, multiplier, amin, db_multiplier, top_db=None):
    """`multiplier * log10(max(x, amin)) - multiplier * db_multiplier`, floored at `top_db`
    below each spectrogram's maximum."""
    x_db = multiplier * ember.log10(ember.clamp(x, min=amin))
    x_db = x_db - multiplier * db_multiplier
    if top_db is not None:
        shape = x_db.shape
        channels = shape[-3] if x_db.ndim > 2 else 1
        x_db = x_db.reshape(-1, channels, shape[-2], shape[-1])
        floor = (x_db.amax(dim=(-3, -2, -1)) - top_db).reshape(-1, 1, 1, 1)
        x_db = ember.maximum(x_db, floor).reshape(shape)
    return x_db


def DB_to_amplitude(x, ref, power):
    return ref * (10.0 ** (0.1 * x)) ** power


def _hz_to_mel(freq, mel_scale="htk"):
    if mel_scale not in ("slaney", "htk"):
        raise ValueError('mel_scale should be one of "htk" or "slaney".')
    if mel_scale == "htk":
        return 2595.0 * math.log10(1.0 + freq / 700.0)
    mels = freq / (200.0 / 3)
    if freq >= 1000.0:
        mels = 15.0 + math.log(freq / 1000.0) / (math.log(6.4) / 27.0)
    return mels


def _mel_to_hz(mels, mel_scale="htk"):
    if mel_scale not in ("slaney", "htk"):
        raise ValueError('mel_scale should be one of "htk" or "slaney".')
    if mel_scale == "htk":
        return 700.0 * (10.0 ** (mels / 2595.0) - 1.0)
    freqs = mels * (200.0 / 3)
    log_t = mels >= 15.0
    freqs[log_t] = 1000.0 * np.exp(math.log(6.4) / 27.0 * (mels[log_t] - 15.0))
    return freqs


def _triangular_filterbank(all_freqs, f_pts):
    """(n_freqs, n_filter) triangles with corners at f_pts (NumPy float64)."""
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts[None, :] - all_freqs[:, None]
    down = -slopes[:, :-2] / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    return np.maximum(0.0, np.minimum(down, up))


def melscale_fbanks(n_freqs, f_min, f_max, n_mels, sample_rate, norm=None, mel_scale="htk"):
    """Triangular mel filters (n_freqs, n_mels); norm "slaney" scales each to unit area."""
    if norm is not None and norm != "slaney":
        raise ValueError('norm must be one of None or "slaney"')
    all_freqs = np.linspace(0, sample_rate // 2, n_freqs)
    m_pts = np.linspace(_hz_to_mel(f_min, mel_scale), _hz_to_mel(f_max, mel_scale), n_mels + 2)
    f_pts = _mel_to_hz(m_pts, mel_scale)
    fb = _triangular_filterbank(all_freqs, f_pts)
    if norm == "slaney":
        fb = fb * (2.0 / (f_pts[2:n_mels + 2] - f_pts[:n_mels]))[None, :]
    if (fb.max(axis=0) == 0.0).any():
        warnings.warn("At least one mel filterbank has all zero values. The value for `n_mels` "
                      f"({n_mels}) may be set too high. Or, the value for `n_freqs` ({n_freqs}) "
                      "may be set too low.", stacklevel=2)
    return ember.tensor(fb, dtype=ember.float32)


def linear_fbanks(n_freqs, f_min, f_max, n_filter, sample_rate):
    """Triangular filters evenly spaced in Hz: (n_freqs, n_filter)."""
    all_freqs = np.linspace(0, sample_rate // 2, n_freqs)
    f_pts = np.linspace(f_min, f_max, n_filter + 2)
    return ember.tensor(_triangular_filterbank(all_freqs, f_pts), dtype=ember.float32)


def create_dct(n_mfcc, n_mels, norm):
    """DCT-II matrix (n_mels, n_mfcc); norm "ortho" makes its columns orthonormal."""
    if norm is not None and norm != "ortho":
        raise ValueError('norm must be either "ortho" or None')
    n = np.arange(n_mels, dtype=np.float64)
    k = np.arange(n_mfcc, dtype=np.float64)[:, None]
    dct = np.cos(math.pi / n_mels * (n + 0.5) * k)
    if norm is None:
        dct *= 2.0
    else:
        dct[0] *= 1.0 / math.sqrt(2.0)
        dct *= math.sqrt(2.0 / n_mels)
    return ember.tensor(dct.T, dtype=ember.float32)
