"""IIR filtering: lfilter (direct form, batched over channels) and RBJ biquad designs."""
import math

import ember
from ember._device import array_module_of


def lfilter(waveform, a_coeffs, b_coeffs, clamp=True, batching=True):
    """y[n] = (sum_k b[k] x[n-k] - sum_{k>=1} a[k] y[n-k]) / a[0] along the last dim.
    Coefficients are (order + 1,) or, with `batching`, (channels, order + 1) for (..., C, T).
    Forward only: the recursion runs on raw arrays."""
    if a_coeffs.shape != b_coeffs.shape:
        raise ValueError(f"lfilter: a_coeffs {list(a_coeffs.shape)} and b_coeffs "
                         f"{list(b_coeffs.shape)} must have the same shape")
    if a_coeffs.ndim not in (1, 2):
        raise ValueError(f"lfilter: coefficients must be 1-D or 2-D, got {a_coeffs.ndim}-D")
    x = waveform.detach()._data
    xp = array_module_of(x)
    a = xp.asarray(a_coeffs.detach()._data, dtype=x.dtype)
    b = xp.asarray(b_coeffs.detach()._data, dtype=x.dtype)
    if a.ndim == 2 and not (batching and x.ndim >= 2 and x.shape[-2] == a.shape[0]):
        if batching:
            raise ValueError(f"lfilter: {a.shape[0]} filters need a waveform of shape "
                             f"(..., {a.shape[0]}, time), got {list(waveform.shape)}")
        x = x[..., None, :]  # every filter over every signal: (..., F, T)
    b, a = b / a[..., :1], a / a[..., :1]
    order = a.shape[-1] - 1
    n = x.shape[-1]
    # FIR part at once; the feedback needs one step per sample (vectorised over channels).
    padded = xp.concatenate([xp.zeros(x.shape[:-1] + (order,), x.dtype), x], -1)
    fir = sum(b[..., k, None] * padded[..., order - k:order - k + n] for k in range(order + 1))
    y = xp.zeros(x.shape[:-1] + (n + order,), x.dtype)
    feedback = a[..., 1:][..., ::-1]  # pairs with y[t - order : t]
    for t in range(n):
        y[..., t + order] = fir[..., t] - (feedback * y[..., t:t + order]).sum(-1)
    out = y[..., order:]
    if clamp:
        out = xp.clip(out, -1.0, 1.0)
    return ember.Tensor._make(xp.ascontiguousarray(out))


def biquad(waveform, b0, b1, b2, a0, a1, a2):
    """Second-order IIR filter with the given coefficients."""
    dt = waveform.dtype
    return lfilter(waveform, ember.tensor([a0, a1, a2], dtype=dt, device=waveform.device),
                   ember.tensor([b0, b1, b2], dtype=dt, device=waveform.device))


def _rbj(sample_rate, freq, Q):
    w0 = 2 * math.pi * freq / sample_rate
    return w0, math.sin(w0) / 2 / Q


def lowpass_biquad(waveform, sample_rate, cutoff_freq, Q=0.707):
    w0, alpha = _rbj(sample_rate, cutoff_freq, Q)
    b0 = (1 - math.cos(w0)) / 2
    return biquad(waveform, b0, 1 - math.cos(w0), b0, 1 + alpha, -2 * math.cos(w0), 1 - alpha)


def highpass_biquad(waveform, sample_rate, cutoff_freq, Q=0.707):
    w0, alpha = _rbj(sample_rate, cutoff_freq, Q)
    b0 = (1 + math.cos(w0)) / 2
    return biquad(waveform, b0, -1 - math.cos(w0), b0, 1 + alpha, -2 * math.cos(w0), 1 - alpha)


def bandpass_biquad(waveform, sample_rate, central_freq, Q=0.707, const_skirt_gain=False):
    w0, alpha = _rbj(sample_rate, central_freq, Q)
    gain = math.sin(w0) / 2 if const_skirt_gain else alpha
    return biquad(waveform, gain, 0.0, -gain, 1 + alpha, -2 * math.cos(w0), 1 - alpha)
