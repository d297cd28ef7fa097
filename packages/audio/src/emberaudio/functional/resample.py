"""Band-limited resampling with torchaudio's windowed-sinc polyphase kernel (conv1d)."""
import functools
import math

import numpy as np

import ember


# Kernels have new * (2 * width + orig) taps: small for common rate pairs, but up to GBs for
# coprime ones (pitch_shift's 20158 -> 16000). Only the small ones are kept.
_CACHE_MAX_TAPS = 1 << 21


@functools.lru_cache(maxsize=32)
def _cached_sinc_kernel(*args):
    return _sinc_kernel(*args)


def _sinc_kernel(orig_freq, new_freq, lowpass_filter_width, rolloff, resampling_method, beta):
    """(new_freq, 1, 2 * width + orig_freq) float64 kernel and `width`, for reduced freqs."""
    if lowpass_filter_width <= 0:
        raise ValueError("Low pass filter width should be positive.")
    if resampling_method not in ("sinc_interp_hann", "sinc_interp_kaiser"):
        raise ValueError(f"Invalid resampling method: {resampling_method}")
    base_freq = min(orig_freq, new_freq) * rolloff
    # Past the lowpass width the sinc is windowed to zero: `width` input samples either side.
    width = math.ceil(lowpass_filter_width * orig_freq / base_freq)
    idx = np.arange(-width, width + orig_freq, dtype=np.float64)[None, None] / orig_freq
    t = np.arange(0, -new_freq, -1, dtype=np.float64)[:, None, None] / new_freq + idx
    t = np.clip(t * base_freq, -lowpass_filter_width, lowpass_filter_width)
    if resampling_method == "sinc_interp_hann":
        window = np.cos(t * math.pi / lowpass_filter_width / 2) ** 2
    else:
        beta = 14.769656459379492 if beta is None else float(beta)
        window = np.i0(beta * np.sqrt(1 - (t / lowpass_filter_width) ** 2)) / np.i0(beta)
    t = t * math.pi
    with np.errstate(invalid="ignore", divide="ignore"):
        kernels = np.where(t == 0, 1.0, np.sin(t) / t)
    kernels = kernels * window * (base_freq / orig_freq)
    kernels.setflags(write=False)
    return kernels, width


def sinc_resample_kernel(orig_freq, new_freq, lowpass_filter_width=6, rolloff=0.99,
                         resampling_method="sinc_interp_hann", beta=None, dtype=None,
                         device=None):
    """The conv1d kernel (new, 1, taps) as a tensor, and its half-width, for reduced freqs."""
    gcd = math.gcd(int(orig_freq), int(new_freq))
    orig, new = int(orig_freq) // gcd, int(new_freq) // gcd
    args = (orig, new, lowpass_filter_width, float(rolloff), resampling_method,
            None if beta is None else float(beta))
    # The window spans about 2 * width / rolloff * orig / min(orig, new) + orig input taps.
    taps = new * (orig + 2 * lowpass_filter_width * orig / (min(orig, new) * float(rolloff)))
    kernel, width = (_cached_sinc_kernel if taps <= _CACHE_MAX_TAPS else _sinc_kernel)(*args)
    return ember.tensor(kernel, dtype=dtype or ember.float32, device=device), width


def apply_sinc_kernel(waveform, orig_freq, new_freq, kernel, width):
    if not waveform.is_floating_point():
        raise TypeError(f"Expected floating point type for waveform tensor, but received "
                        f"{waveform.dtype}.")
    gcd = math.gcd(int(orig_freq), int(new_freq))
    orig, new = int(orig_freq) // gcd, int(new_freq) // gcd
    shape = waveform.shape
    waveform = waveform.reshape(-1, shape[-1])
    num_wavs, length = waveform.shape
    waveform = ember.nn.functional.pad(waveform, (width, width + orig))
    # Each of the `new` kernel rows is one output phase; stride `orig` walks the input.
    resampled = ember.nn.functional.conv1d(waveform[:, None], kernel, stride=orig)
    resampled = resampled.transpose(1, 2).reshape(num_wavs, -1)
    target = math.ceil(new * length / orig)
    return resampled[..., :target].reshape(*shape[:-1], -1)


def resample(waveform, orig_freq, new_freq, lowpass_filter_width=6, rolloff=0.99,
             resampling_method="sinc_interp_hann", beta=None):
    """Resample (..., time) from `orig_freq` to `new_freq` (differentiable)."""
    if orig_freq <= 0.0 or new_freq <= 0.0:
        raise ValueError("Original frequency and desired frequecy should be positive")
    if orig_freq == new_freq:
        return waveform
    kernel, width = sinc_resample_kernel(orig_freq, new_freq, lowpass_filter_width, rolloff,
                                         resampling_method, beta, waveform.dtype,
                                         waveform.device)
    return apply_sinc_kernel(waveform, orig_freq, new_freq, kernel, width)
