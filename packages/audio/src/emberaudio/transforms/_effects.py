"""torchaudio.transforms' effect and augmentation modules (volume, fades, stretching, masks)."""
import math

import ember
from ember import nn

from .. import functional as F


class Vol(nn.Module):
    def __init__(self, gain, gain_type="amplitude"):
        super().__init__()
        if gain_type not in ("amplitude", "power", "db"):
            raise ValueError(f"Expected gain_type to be 'amplitude', 'power' or 'db', got "
                             f"{gain_type!r}")
        if gain_type in ("amplitude", "power") and gain < 0:
            raise ValueError("If gain_type = amplitude or power, gain must be positive.")
        self.gain, self.gain_type = gain, gain_type

    def forward(self, waveform):
        if self.gain_type == "amplitude":
            waveform = waveform * self.gain
        elif self.gain_type == "db":
            waveform = F.gain(waveform, self.gain)
        else:
            waveform = F.gain(waveform, 10 * math.log10(self.gain))
        return ember.clamp(waveform, -1, 1)


_FADE_IN = {
    # torchaudio's exponential ramps: 2 ** (f - 1) * f in, 2 ** -f * (1 - f) out.
    "linear": lambda f: f, "exponential": lambda f: 2.0 ** (f - 1) * f,
    "logarithmic": lambda f: ember.log10(0.1 + f) + 1,
    "quarter_sine": lambda f: ember.sin(f * math.pi / 2),
    "half_sine": lambda f: ember.sin(f * math.pi - math.pi / 2) / 2 + 0.5,
}
_FADE_OUT = {
    "linear": lambda f: 1 - f, "exponential": lambda f: 2.0 ** (-f) * (1 - f),
    "logarithmic": lambda f: ember.log10(1.1 - f) + 1,
    "quarter_sine": lambda f: ember.sin(f * math.pi / 2 + math.pi / 2),
    "half_sine": lambda f: ember.sin(f * math.pi + math.pi / 2) / 2 + 0.5,
}


class Fade(nn.Module):
    """Fade in over the first `fade_in_len` samples and out over the last `fade_out_len`."""

    def __init__(self, fade_in_len=0, fade_out_len=0, fade_shape="linear"):
        super().__init__()
        if fade_shape not in _FADE_IN:
            raise ValueError(f"The fade_shape '{fade_shape}' is not supported")
        self.fade_in_len, self.fade_out_len, self.fade_shape = fade_in_len, fade_out_len, \
            fade_shape

    def _ramp(self, n, length, shapes, fade_first, like):
        fade = shapes[self.fade_shape](ember.linspace(0, 1, n, device=like.device))
        ones = ember.ones(length - n, device=like.device)
        return ember.cat((fade, ones) if fade_first else (ones, fade)).clamp(0, 1)

    def forward(self, waveform):
        length = waveform.shape[-1]
        fade_in = self._ramp(self.fade_in_len, length, _FADE_IN, True, waveform)
        fade_out = self._ramp(self.fade_out_len, length, _FADE_OUT, False, waveform)
        return fade_in * fade_out * waveform


class TimeStretch(nn.Module):
    """Speed up (rate > 1) or slow down a complex spectrogram without changing the pitch."""

    def __init__(self, hop_length=None, n_freq=201, fixed_rate=None):
        super().__init__()
        self.fixed_rate = fixed_rate
        n_fft = (n_freq - 1) * 2
        hop_length = hop_length if hop_length is not None else n_fft // 2
        self.register_buffer("phase_advance", ember.linspace(0, math.pi * hop_length,
                                                             n_freq)[..., None])

    def forward(self, complex_specgrams, overriding_rate=None):
        if overriding_rate is None:
            if self.fixed_rate is None:
                raise ValueError("If no fixed_rate is specified, must pass a valid rate to the "
                                 "forward method.")
            rate = self.fixed_rate
        else:
            rate = overriding_rate
        return F.phase_vocoder(complex_specgrams, rate,
                               self.phase_advance.to(complex_specgrams.real.dtype))


class PitchShift(nn.Module):
    def __init__(self, sample_rate, n_steps, bins_per_octave=12, n_fft=512, hop_length=None,
                 win_length=None, window_fn=ember.hann_window, wkwargs=None):
        super().__init__()
        self.sample_rate, self.n_steps, self.bins_per_octave = sample_rate, n_steps, \
            bins_per_octave
        self.n_fft = n_fft
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 4
        window = window_fn(self.win_length) if wkwargs is None else window_fn(self.win_length,
                                                                                **wkwargs)
        self.register_buffer("window", window)

    def forward(self, waveform):
        return F.pitch_shift(waveform, self.sample_rate, self.n_steps, self.bins_per_octave,
                             self.n_fft, self.hop_length, self.win_length,
                             self.window.to(waveform.dtype))


class _AxisMasking(nn.Module):
    def __init__(self, mask_param, axis, iid_masks, p=1.0):
        super().__init__()
        self.mask_param, self.axis, self.iid_masks, self.p = mask_param, axis, iid_masks, p

    def forward(self, specgram, mask_value=0.0):
        # axis counts from a (channel, freq, time) layout: 1 is frequency, 2 is time.
        axis = self.axis + specgram.ndim - 3
        if self.iid_masks and specgram.ndim >= 3:
            return F.mask_along_axis_iid(specgram, self.mask_param, mask_value, axis, p=self.p)
        return F.mask_along_axis(specgram, self.mask_param, mask_value, axis, p=self.p)


class FrequencyMasking(_AxisMasking):
    def __init__(self, freq_mask_param, iid_masks=False):
        super().__init__(freq_mask_param, 1, iid_masks)


class TimeMasking(_AxisMasking):
    def __init__(self, time_mask_param, iid_masks=False, p=1.0):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"The value of p must be between 0.0 and 1.0 ({p} given).")
        super().__init__(time_mask_param, 2, iid_masks, p=p)


class SpecAugment(nn.Module):
    def __init__(self, n_time_masks, time_mask_param, n_freq_masks, freq_mask_param,
                 iid_masks=True, p=1.0, zero_masking=False):
        super().__init__()
        self.n_time_masks, self.time_mask_param = n_time_masks, time_mask_param
        self.n_freq_masks, self.freq_mask_param = n_freq_masks, freq_mask_param
        self.iid_masks, self.p, self.zero_masking = iid_masks, p, zero_masking

    def forward(self, specgram):
        mask_value = 0.0 if self.zero_masking else float(specgram.mean())
        time_dim = specgram.ndim - 1
        mask = F.mask_along_axis_iid if specgram.ndim > 2 and self.iid_masks else \
            F.mask_along_axis
        for _ in range(self.n_time_masks):
            specgram = mask(specgram, self.time_mask_param, mask_value, time_dim, p=self.p)
        for _ in range(self.n_freq_masks):
            specgram = mask(specgram, self.freq_mask_param, mask_value, time_dim - 1, p=self.p)
        return specgram


class ComputeDeltas(nn.Module):
    def __init__(self, win_length=5, mode="replicate"):
        super().__init__()
        self.win_length, self.mode = win_length, mode

    def forward(self, specgram):
        return F.compute_deltas(specgram, self.win_length, self.mode)


class MuLawEncoding(nn.Module):
    def __init__(self, quantization_channels=256):
        super().__init__()
        self.quantization_channels = quantization_channels

    def forward(self, x):
        return F.mu_law_encoding(x, self.quantization_channels)


class MuLawDecoding(MuLawEncoding):
    def forward(self, x_mu):
        return F.mu_law_decoding(x_mu, self.quantization_channels)


class Vad(nn.Module):
    """Trim leading silence by SoX's voice-activity detector (see functional.vad)."""

    def __init__(self, sample_rate, trigger_level=7.0, trigger_time=0.25, search_time=1.0,
                 allowed_gap=0.25, pre_trigger_time=0.0, boot_time=0.35, noise_up_time=0.1,
                 noise_down_time=0.01, noise_reduction_amount=1.35, measure_freq=20.0,
                 measure_duration=None, measure_smooth_time=0.4, hp_filter_freq=50.0,
                 lp_filter_freq=6000.0, hp_lifter_freq=150.0, lp_lifter_freq=2000.0):
        super().__init__()
        self.sample_rate = sample_rate
        self.options = dict(
            trigger_level=trigger_level, trigger_time=trigger_time, search_time=search_time,
            allowed_gap=allowed_gap, pre_trigger_time=pre_trigger_time, boot_time=boot_time,
            noise_up_time=noise_up_time, noise_down_time=noise_down_time,
            noise_reduction_amount=noise_reduction_amount, measure_freq=measure_freq,
            measure_duration=measure_duration, measure_smooth_time=measure_smooth_time,
            hp_filter_freq=hp_filter_freq, lp_filter_freq=lp_filter_freq,
            hp_lifter_freq=hp_lifter_freq, lp_lifter_freq=lp_lifter_freq)

    def forward(self, waveform):
        return F.vad(waveform, self.sample_rate, **self.options)
