"""Audio models with torchaudio's module structure and state_dict keys."""
from .conv_tasnet import ConvTasNet, conv_tasnet_base
from .m5 import M5
from .wav2vec2 import (Wav2Vec2Model, wav2vec2_base, wav2vec2_large, wav2vec2_large_lv60k,
                       wav2vec2_model)

__all__ = ["M5", "ConvTasNet", "Wav2Vec2Model", "conv_tasnet_base", "wav2vec2_base",
           "wav2vec2_large", "wav2vec2_large_lv60k", "wav2vec2_model"]
