"""torchaudio.transforms' API as ember nn.Modules."""
from ._effects import (ComputeDeltas, Fade, FrequencyMasking, MuLawDecoding, MuLawEncoding,
                       PitchShift, SpecAugment, TimeMasking, TimeStretch, Vad, Vol)
from ._transforms import (LFCC, MFCC, AmplitudeToDB, GriffinLim, InverseMelScale,
                          InverseSpectrogram, MelScale, MelSpectrogram, Resample, Spectrogram)

__all__ = ["AmplitudeToDB", "ComputeDeltas", "Fade", "FrequencyMasking", "GriffinLim",
           "InverseMelScale", "InverseSpectrogram", "LFCC", "MFCC", "MelScale", "MelSpectrogram",
           "MuLawDecoding", "MuLawEncoding", "PitchShift", "Resample", "SpecAugment",
           "TimeMasking", "TimeStretch", "Vad", "Vol"]
