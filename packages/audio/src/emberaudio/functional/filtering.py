"""IIR filtering: a differentiable lfilter (FIR part by grouped conv1d, feedback by a recursion
with its own backward) and the RBJ biquad designs, differentiable in their parameters too."""
import math

import ember
from ember._device import array_module_of
from ember.autograd.graph import Node
from ember.ops._common import attach, requires_grad

__all__ = ["allpass_biquad", "bandpass_biquad", "bandreject_biquad", "biquad",
           "equalizer_biquad", "highpass_biquad", "lfilter", "lowpass_biquad"]


class DifferentiableIIRBackward(Node):
    __slots__ = ()

    def backward(self, g):
        x, a = self.unpack()
        # The recursion's transpose is the same recursion run backwards in time.
        gx = _iir(g.flip(-1), a).flip(-1)
        ga = None
        if self.inputs[1] is not None:
            # y[n] = x[n] - sum_k a[k] y[n-k]  ⇒  dL/da[k] = -sum_n gx[n] y[n-k] (k >= 1);
            # a[0] is 1 by construction (lfilter normalises), so its gradient is 0.
            y = _iir(x, a)
            order, n = a.shape[-1] - 1, x.shape[-1]
            y_past = ember.nn.functional.pad(y, (order, 0))
            cols = [ember.zeros(a.shape[0], dtype=a.dtype, device=a.device)]
            cols += [-(gx * y_past[..., order - k:order - k + n]).sum((0, 2))
                     for k in range(1, order + 1)]
            ga = ember.stack(cols, -1)
        return (gx if self.inputs[0] is not None else None), ga


def _iir(x, a):
    """Feedback part of lfilter: x (batch, channels, time), a (channels, order + 1) with
    a[:, 0] == 1. One step per sample, every (batch, channel) at once."""
    xa, aa = x._data, a._data
    xp = array_module_of(xa)
    order = aa.shape[-1] - 1
    n = xa.shape[-1]
    # Time-major so each step reads and writes one contiguous (batch, channels) slab.
    xt = xp.moveaxis(xa, -1, 0)
    y = xp.zeros((n + order,) + xa.shape[:-1], dtype=xa.dtype)
    feedback = aa[:, 1:][:, ::-1].T[:, None, :]  # (order, 1, channels), pairs with y[t:t+order]
    for t in range(n):
        y[t + order] = xt[t] - (feedback * y[t:t + order]).sum(0)
    out = xp.ascontiguousarray(xp.moveaxis(y[order:], 0, -1))
    if requires_grad(x, a):
        node = DifferentiableIIRBackward(None)
        node.save(x, a)
        return attach(out, node, (x, a))
    return ember.Tensor._make(out)


def lfilter(waveform, a_coeffs, b_coeffs, clamp=True, batching=True):
    """y[n] = (sum_k b[k] x[n-k] - sum_{k>=1} a[k] y[n-k]) / a[0] along the last dim.
    Coefficients are (order + 1,) or (filters, order + 1): with `batching` filter i runs on
    waveform[..., i, :]; without, every filter runs on the whole waveform (..., filters, time).
    Differentiable in the waveform and both coefficient tensors."""
    if a_coeffs.shape != b_coeffs.shape:
        raise ValueError(f"lfilter: a_coeffs {list(a_coeffs.shape)} and b_coeffs "
                         f"{list(b_coeffs.shape)} must have the same shape")
    if a_coeffs.ndim not in (1, 2):
        raise ValueError(f"lfilter: coefficients must be 1-D or 2-D, got {a_coeffs.ndim}-D")
    if not waveform.is_floating_point():
        raise TypeError(f"lfilter: expected a floating point waveform, got {waveform.dtype}")
    a = a_coeffs.to(waveform.dtype)
    b = b_coeffs.to(waveform.dtype)
    if a.ndim == 2:
        if not batching:
            waveform = ember.stack([waveform] * a.shape[0], -2)
        elif waveform.ndim < 2 or waveform.shape[-2] != a.shape[0]:
            raise ValueError(f"lfilter: {a.shape[0]} filters need a waveform of shape "
                             f"(..., {a.shape[0]}, time), got {list(waveform.shape)}")
    else:
        a, b = a[None], b[None]
    shape = waveform.shape
    channels, order = a.shape[0], a.shape[1] - 1
    x = waveform.reshape(-1, channels, shape[-1])
    a0 = a[:, :1]
    b, a = b / a0, a / a0
    # FIR part: a causal grouped convolution (conv1d correlates, hence the flip).
    fir = ember.nn.functional.conv1d(ember.nn.functional.pad(x, (order, 0)),
                                     b.flip(1)[:, None, :], groups=channels)
    out = _iir(fir, a)
    if clamp:
        out = ember.clamp(out, -1.0, 1.0)
    return out.reshape(shape)


def biquad(waveform, b0, b1, b2, a0, a1, a2):
    """Second-order IIR filter; coefficients are numbers or one-element tensors (which then
    receive gradients)."""
    dt, dev = waveform.dtype, waveform.device
    coeffs = [ember.as_tensor(c, dtype=dt, device=dev).reshape(1) for c in (b0, b1, b2, a0, a1,
                                                                            a2)]
    return lfilter(waveform, ember.cat(coeffs[3:]), ember.cat(coeffs[:3]))


def _rbj(waveform, sample_rate, freq, Q):
    """RBJ cookbook's w0, cos(w0) and alpha, as tensors so freq and Q can carry gradients."""
    dt, dev = waveform.dtype, waveform.device
    w0 = 2 * math.pi * ember.as_tensor(freq, dtype=dt, device=dev) / sample_rate
    return w0, ember.cos(w0), ember.sin(w0) / 2 / ember.as_tensor(Q, dtype=dt, device=dev)


def lowpass_biquad(waveform, sample_rate, cutoff_freq, Q=0.707):
    _, cos, alpha = _rbj(waveform, sample_rate, cutoff_freq, Q)
    b0 = (1 - cos) / 2
    return biquad(waveform, b0, 1 - cos, b0, 1 + alpha, -2 * cos, 1 - alpha)


def highpass_biquad(waveform, sample_rate, cutoff_freq, Q=0.707):
    _, cos, alpha = _rbj(waveform, sample_rate, cutoff_freq, Q)
    b0 = (1 + cos) / 2
    return biquad(waveform, b0, -1 - cos, b0, 1 + alpha, -2 * cos, 1 - alpha)


def bandpass_biquad(waveform, sample_rate, central_freq, Q=0.707, const_skirt_gain=False):
    w0, cos, alpha = _rbj(waveform, sample_rate, central_freq, Q)
    gain = ember.sin(w0) / 2 if const_skirt_gain else alpha
    return biquad(waveform, gain, 0.0, -gain, 1 + alpha, -2 * cos, 1 - alpha)


def bandreject_biquad(waveform, sample_rate, central_freq, Q=0.707):
    _, cos, alpha = _rbj(waveform, sample_rate, central_freq, Q)
    return biquad(waveform, 1.0, -2 * cos, 1.0, 1 + alpha, -2 * cos, 1 - alpha)


def allpass_biquad(waveform, sample_rate, central_freq, Q=0.707):
    _, cos, alpha = _rbj(waveform, sample_rate, central_freq, Q)
    return biquad(waveform, 1 - alpha, -2 * cos, 1 + alpha, 1 + alpha, -2 * cos, 1 - alpha)


def equalizer_biquad(waveform, sample_rate, center_freq, gain, Q=0.707):
    """Peaking EQ: `gain` dB at `center_freq`."""
    _, cos, alpha = _rbj(waveform, sample_rate, center_freq, Q)
    A = ember.exp(ember.as_tensor(gain, dtype=waveform.dtype, device=waveform.device) / 40.0
                  * math.log(10))
    return biquad(waveform, 1 + alpha * A, -2 * cos, 1 - alpha * A, 1 + alpha / A, -2 * cos,
                  1 - alpha / A)
