"""torchaudio.functional's API: spectrograms, filter banks, resampling, filters and effects."""
from .detection import detect_pitch_frequency, vad
from .effects import (compute_deltas, gain, mask_along_axis, mask_along_axis_iid, mu_law_decoding,
                      mu_law_encoding, phase_vocoder, pitch_shift)
from .filtering import (allpass_biquad, bandpass_biquad, bandreject_biquad, biquad,
                        equalizer_biquad, highpass_biquad, lfilter, lowpass_biquad)
from .resample import resample
from .spectral import (DB_to_amplitude, amplitude_to_DB, create_dct, griffinlim,
                       inverse_spectrogram, linear_fbanks, melscale_fbanks, spectrogram)

__all__ = ["allpass_biquad", "amplitude_to_DB", "bandpass_biquad", "bandreject_biquad", "biquad",
           "compute_deltas", "create_dct", "DB_to_amplitude", "detect_pitch_frequency",
           "equalizer_biquad", "gain", "griffinlim", "highpass_biquad",
           "inverse_spectrogram", "lfilter", "linear_fbanks", "lowpass_biquad",
           "mask_along_axis", "mask_along_axis_iid", "melscale_fbanks",
           "mu_law_decoding", "mu_law_encoding", "phase_vocoder", "pitch_shift",
           "resample", "spectrogram", "vad"]
