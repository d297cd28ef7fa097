"""Detectors that read a waveform rather than transform it: SoX's voice-activity trimmer (`vad`)
and NCCF pitch tracking (`detect_pitch_frequency`), with torchaudio's semantics.

Both are decisions (thresholds, argmax, medians), not differentiable maps, so they run on raw
arrays (NumPy or CuPy alike); `vad` returns a slice of its input, which keeps its graph."""
import math
import warnings

import ember
from ember._device import array_module_of

__all__ = ["detect_pitch_frequency", "vad"]


def _hann(n, xp):
    # torch.hann_window's periodic form, which torchaudio's vad multiplies its windows by.
    return (0.5 - 0.5 * xp.cos(2 * math.pi * xp.arange(n) / n)).astype(xp.float32)


class _VadSetup:
    """Every length, window and time constant of SoX's vad, derived once from the options."""

    def __init__(self, xp, sample_rate, search_time, allowed_gap, pre_trigger_time, boot_time,
                 noise_up_time, noise_down_time, measure_freq, measure_duration,
                 measure_smooth_time, trigger_time, hp_filter_freq, lp_filter_freq,
                 hp_lifter_freq, lp_lifter_freq):
        if measure_duration is None:
            measure_duration = 2.0 / measure_freq  # two periods: measurements overlap
        self.measure_len = int(sample_rate * measure_duration + 0.5)
        self.dft_len = 16
        while self.dft_len < self.measure_len:
            self.dft_len *= 2
        self.period = int(sample_rate / measure_freq + 0.5)
        self.measures_len = math.ceil(search_time * measure_freq)
        self.gap_len = int(allowed_gap * measure_freq + 0.5)
        self.fixed_pre_trigger = int(pre_trigger_time * sample_rate + 0.5)
        self.samples_len = (self.fixed_pre_trigger + self.measures_len * self.period
                            + self.measure_len)
        self.spectrum_window = _hann(self.measure_len, xp) * (2.0 / math.sqrt(self.measure_len))
        self.spec_start = max(int(hp_filter_freq / sample_rate * self.dft_len + 0.5), 1)
        self.spec_end = min(int(lp_filter_freq / sample_rate * self.dft_len + 0.5),
                            self.dft_len // 2)
        width = self.spec_end - self.spec_start
        self.cepstrum_window = _hann(width, xp) * (2.0 / math.sqrt(width))
        self.ceps_start = math.ceil(sample_rate * 0.5 / lp_lifter_freq)
        self.ceps_end = min(math.floor(sample_rate * 0.5 / hp_lifter_freq), self.dft_len // 4)
        if self.ceps_end <= self.ceps_start:
            raise ValueError(f"vad: the cepstrum range is empty (start {self.ceps_start}, end "
                             f"{self.ceps_end}): widen hp_lifter_freq..lp_lifter_freq or raise "
                             f"the sample rate")
        self.noise_up = math.exp(-1.0 / (noise_up_time * measure_freq))
        self.noise_down = math.exp(-1.0 / (noise_down_time * measure_freq))
        self.smooth = math.exp(-1.0 / (measure_smooth_time * measure_freq))
        self.trigger_mult = math.exp(-1.0 / (trigger_time * measure_freq))
        self.boot_count_max = int(boot_time * measure_freq - 0.5)


def _measure(s, xp, frames, spectrum, noise, boot_count, noise_reduction_amount):
    """One cepstral-power measurement per channel; updates the smoothed spectrum and the noise
    estimate in place (during boot both average plainly; afterwards they track exponentially,
    the noise faster downwards than upwards)."""
    buf = xp.zeros((frames.shape[0], s.dft_len), dtype=xp.float32)
    buf[:, :s.measure_len] = frames * s.spectrum_window
    band = slice(s.spec_start, s.spec_end)
    magnitude = xp.abs(xp.fft.rfft(buf)[:, band]).astype(xp.float32)
    mult = boot_count / (1.0 + boot_count) if boot_count >= 0 else s.smooth
    spectrum[:, band] = spectrum[:, band] * mult + magnitude * (1 - mult)
    power = spectrum[:, band] ** 2
    if boot_count >= 0:
        noise_mult = xp.zeros_like(power)
    else:
        noise_mult = xp.where(power > noise[:, band], s.noise_up, s.noise_down)
    noise[:, band] = noise[:, band] * noise_mult + power * (1 - noise_mult)
    cleaned = xp.sqrt(xp.maximum(0.0, power - noise_reduction_amount * noise[:, band]))
    ceps = xp.zeros((frames.shape[0], s.dft_len // 2), dtype=xp.float32)
    ceps[:, band] = cleaned * s.cepstrum_window
    quefrency = xp.fft.rfft(ceps)[:, s.ceps_start:s.ceps_end]
    total = (xp.abs(quefrency) ** 2).astype(xp.float32).sum(-1)
    out = []
    for value in total.tolist():
        level = math.log(value / (s.ceps_end - s.ceps_start)) if value > 0 else -math.inf
        out.append(max(0.0, 21 + level))
    return out


def _flush_count(measures, index, trigger_level, gap_len, previous):
    """How many past measures (newest first) belong to the triggered speech: walk back
    through bursts over the trigger level separated by at most `gap_len` quiet measures,
    stopping at the last silent (zero) one."""
    n = len(measures)
    j_trigger = j_zero = n
    k = index
    for j in range(n):
        if measures[k] >= trigger_level and j <= j_trigger + gap_len:
            j_zero = j_trigger = j
        elif measures[k] == 0 and j_trigger >= j_zero:
            j_zero = j
        k = (k + n - 1) % n
    return min(max(previous, min(j, j_zero)), n)


def vad(waveform, sample_rate, trigger_level=7.0, trigger_time=0.25, search_time=1.0,
        allowed_gap=0.25, pre_trigger_time=0.0, boot_time=0.35, noise_up_time=0.1,
        noise_down_time=0.01, noise_reduction_amount=1.35, measure_freq=20.0,
        measure_duration=None, measure_smooth_time=0.4, hp_filter_freq=50.0,
        lp_filter_freq=6000.0, hp_lifter_freq=150.0, lp_lifter_freq=2000.0):
    """Trim the silence (and quiet noise) before the first voice activity, as SoX's `vad`:
    (time) or (channels, time), the channels trimmed together at the earliest activity."""
    if waveform.ndim > 2:
        warnings.warn(f"vad: expected a (time) or (channels, time) waveform, got "
                      f"{waveform.ndim} dimensions; they are treated as channels of one "
                      f"recording", stacklevel=2)
    data = waveform.detach()._data
    xp = array_module_of(data)
    s = _VadSetup(xp, sample_rate, search_time, allowed_gap, pre_trigger_time, boot_time,
                  noise_up_time, noise_down_time, measure_freq, measure_duration,
                  measure_smooth_time, trigger_time, hp_filter_freq, lp_filter_freq,
                  hp_lifter_freq, lp_lifter_freq)
    shape = waveform.shape
    flat = waveform.reshape(-1, shape[-1])
    data = data.reshape(-1, shape[-1])
    channels, length = data.shape
    spectrum = xp.zeros((channels, s.dft_len), dtype=xp.float32)
    noise = xp.zeros((channels, s.dft_len), dtype=xp.float32)
    measures = [[0.0] * s.measures_len for _ in range(channels)]
    mean = xp.zeros(channels, dtype=xp.float32)  # float32 like SoX, so triggers agree
    boot_count = index = flushed = to_flush = 0
    triggered = False
    pos = 0
    for pos in range(s.measure_len, length, s.period):
        levels = _measure(s, xp, data[:, pos - s.measure_len:pos].astype(xp.float32), spectrum,
                          noise, boot_count, noise_reduction_amount)
        for c, level in enumerate(levels):
            measures[c][index] = float(xp.float32(level))
            mean[c] = mean[c] * s.trigger_mult + level * (1.0 - s.trigger_mult)
            # Once any channel triggers, this and every later channel extend the flush.
            triggered = triggered or bool(mean[c] >= trigger_level)
            if triggered:
                to_flush = _flush_count(measures[c], index, trigger_level, s.gap_len, to_flush)
        index = (index + 1) % s.measures_len
        if boot_count >= 0:
            boot_count = -1 if boot_count == s.boot_count_max else boot_count + 1
        if triggered:
            flushed = (s.measures_len - to_flush) * s.period
            break
    if not triggered and length >= s.fixed_pre_trigger:
        out = flat[:, :s.fixed_pre_trigger]
    else:
        out = flat[:, max(pos - s.samples_len + flushed, 0):]
    return out.reshape(*shape[:-1], out.shape[-1])


def _nccf(x, xp, sample_rate, frame_time, freq_low):
    """Normalised cross-correlation (batch, frames, lags) of each frame with its lagged copy,
    for lags 1..ceil(sample_rate / freq_low)."""
    eps = 1e-9
    lags = math.ceil(sample_rate / freq_low)
    frame = math.ceil(sample_rate * frame_time)
    n_frames = math.ceil(x.shape[-1] / frame)
    pad = lags + n_frames * frame - x.shape[-1]
    x = xp.concatenate([x, xp.zeros(x.shape[:-1] + (pad,), dtype=x.dtype)], -1)
    span = n_frames * frame
    s1 = x[:, :span].reshape(x.shape[0], n_frames, frame)
    e1 = (eps + xp.sqrt((s1 * s1).sum(-1))) ** 2
    out = []
    for lag in range(1, lags + 1):
        s2 = x[:, lag:lag + span].reshape(x.shape[0], n_frames, frame)
        e2 = (eps + xp.sqrt((s2 * s2).sum(-1))) ** 2
        out.append((s1 * s2).sum(-1) / e1 / e2)
    return xp.stack(out, -1)


def detect_pitch_frequency(waveform, sample_rate, frame_time=10 ** (-2), win_length=30,
                           freq_low=85, freq_high=3400):
    """Pitch (Hz) per frame of (..., time) → (..., frames): the NCCF's best lag (preferring a
    near-best lag in the first half, against octave errors), median-smoothed over
    `win_length` frames."""
    shape = waveform.shape
    x = waveform.detach()._data.reshape(-1, shape[-1])
    xp = array_module_of(x)
    nccf = _nccf(x, xp, sample_rate, frame_time, freq_low)
    lag_min = math.ceil(sample_rate / freq_high)
    best_i = nccf[..., lag_min:].argmax(-1)
    best_v = xp.take_along_axis(nccf[..., lag_min:], best_i[..., None], -1)[..., 0]
    half = nccf[..., lag_min:nccf.shape[-1] // 2]
    half_i = half.argmax(-1)
    half_v = xp.take_along_axis(half, half_i[..., None], -1)[..., 0]
    lag = xp.where(half_v > 0.99 * best_v, half_i, best_i) + lag_min + 1  # +1: calibration
    # Median over a trailing window, the first value repeated in front (torchaudio's).
    pad = (win_length - 1) // 2
    lag = xp.concatenate([xp.repeat(lag[:, :1], pad, -1), lag], -1)
    n_out = lag.shape[-1] - win_length + 1
    windows = xp.stack([lag[:, i:i + n_out] for i in range(win_length)], -1)
    # torch.median takes the lower middle for even windows.
    median = xp.sort(windows, -1)[..., (win_length - 1) // 2]
    freq = sample_rate / (1e-9 + median.astype(xp.float32))
    return ember.Tensor._make(xp.ascontiguousarray(freq.astype(xp.float32))).reshape(
        *shape[:-1], n_out)
