"""Wav2Vec2Model and its builders, with torchaudio's structure, arguments and state_dict keys."""
from ember import nn

from .components import get_encoder, get_feature_extractor

__all__ = ["Wav2Vec2Model", "wav2vec2_base", "wav2vec2_large", "wav2vec2_large_lv60k",
           "wav2vec2_model"]

_CONV_LAYERS = [(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512, 2, 2)] * 2


class Wav2Vec2Model(nn.Module):
    """Feature extractor → transformer encoder → optional linear `aux` head (CTC emissions)."""

    def __init__(self, feature_extractor, encoder, aux=None):
        super().__init__()
        self.feature_extractor = feature_extractor
        self.encoder = encoder
        self.aux = aux

    def extract_features(self, waveforms, lengths=None, num_layers=None):
        """The output of each transformer layer (the first `num_layers`), each (B, frames, C),
        and the valid frame counts (B,) or None."""
        x, lengths = self.feature_extractor(waveforms, lengths)
        return self.encoder.extract_features(x, lengths, num_layers), lengths

    def forward(self, waveforms, lengths=None):
        """(B, T) waveforms (and their valid lengths) → ((B, frames, C or aux_num_out), lengths)."""
        x, lengths = self.feature_extractor(waveforms, lengths)
        x = self.encoder(x, lengths)
        if self.aux is not None:
            x = self.aux(x)
        return x, lengths


def wav2vec2_model(extractor_mode, extractor_conv_layer_config, extractor_conv_bias,
                   encoder_embed_dim, encoder_projection_dropout, encoder_pos_conv_kernel,
                   encoder_pos_conv_groups, encoder_num_layers, encoder_num_heads,
                   encoder_attention_dropout, encoder_ff_interm_features,
                   encoder_ff_interm_dropout, encoder_dropout, encoder_layer_norm_first,
                   encoder_layer_drop, aux_num_out):
    """A Wav2Vec2Model from fairseq-style hyper-parameters (torchaudio's argument names).

    `extractor_conv_layer_config` lists (out_channels, kernel_size, stride) per conv block
    (None: the standard seven); `aux_num_out` adds the linear CTC head.
    """
    shapes = _CONV_LAYERS if extractor_conv_layer_config is None else \
        list(extractor_conv_layer_config)
    feature_extractor = get_feature_extractor(extractor_mode, shapes, extractor_conv_bias)
    encoder = get_encoder(
        in_features=shapes[-1][0], embed_dim=encoder_embed_dim,
        dropout_input=encoder_projection_dropout, pos_conv_kernel=encoder_pos_conv_kernel,
        pos_conv_groups=encoder_pos_conv_groups, num_layers=encoder_num_layers,
        num_heads=encoder_num_heads, attention_dropout=encoder_attention_dropout,
        ff_interm_features=encoder_ff_interm_features,
        ff_interm_dropout=encoder_ff_interm_dropout, dropout=encoder_dropout,
        layer_norm_first=encoder_layer_norm_first, layer_drop=encoder_layer_drop)
    aux = nn.Linear(encoder_embed_dim, aux_num_out) if aux_num_out is not None else None
    return Wav2Vec2Model(feature_extractor, encoder, aux)


def wav2vec2_base(encoder_projection_dropout=0.1, encoder_attention_dropout=0.1,
                  encoder_ff_interm_dropout=0.1, encoder_dropout=0.1, encoder_layer_drop=0.1,
                  aux_num_out=None):
    """The "base" architecture: 12 layers of 768, group-norm feature extractor."""
    return wav2vec2_model(
        extractor_mode="group_norm", extractor_conv_layer_config=None,
        extractor_conv_bias=False, encoder_embed_dim=768,
        encoder_projection_dropout=encoder_projection_dropout, encoder_pos_conv_kernel=128,
        encoder_pos_conv_groups=16, encoder_num_layers=12, encoder_num_heads=12,
        encoder_attention_dropout=encoder_attention_dropout, encoder_ff_interm_features=3072,
        encoder_ff_interm_dropout=encoder_ff_interm_dropout, encoder_dropout=encoder_dropout,
        encoder_layer_norm_first=False, encoder_layer_drop=encoder_layer_drop,
        aux_num_out=aux_num_out)


def wav2vec2_large(encoder_projection_dropout=0.1, encoder_attention_dropout=0.1,
                   encoder_ff_interm_dropout=0.1, encoder_dropout=0.1, encoder_layer_drop=0.1,
                   aux_num_out=None):
    """The "large" architecture: 24 layers of 1024, group-norm feature extractor."""
    return wav2vec2_model(
        extractor_mode="group_norm", extractor_conv_layer_config=None,
        extractor_conv_bias=False, encoder_embed_dim=1024,
        encoder_projection_dropout=encoder_projection_dropout, encoder_pos_conv_kernel=128,
        encoder_pos_conv_groups=16, encoder_num_layers=24, encoder_num_heads=16,
        encoder_attention_dropout=encoder_attention_dropout, encoder_ff_interm_features=4096,
        encoder_ff_interm_dropout=encoder_ff_interm_dropout, encoder_dropout=encoder_dropout,
        encoder_layer_norm_first=False, encoder_layer_drop=encoder_layer_drop,
        aux_num_out=aux_num_out)


def wav2vec2_large_lv60k(encoder_projection_dropout=0.1, encoder_attention_dropout=0.0,
                         encoder_ff_interm_dropout=0.1, encoder_dropout=0.0,
                         encoder_layer_drop=0.1, aux_num_out=None):
    """"large" trained on Libri-Light 60k h: layer-norm feature extractor with conv biases and
    pre-norm transformer layers."""
    return wav2vec2_model(
        extractor_mode="layer_norm", extractor_conv_layer_config=None,
        extractor_conv_bias=True, encoder_embed_dim=1024,
        encoder_projection_dropout=encoder_projection_dropout, encoder_pos_conv_kernel=128,
        encoder_pos_conv_groups=16, encoder_num_layers=24, encoder_num_heads=16,
        encoder_attention_dropout=encoder_attention_dropout, encoder_ff_interm_features=4096,
        encoder_ff_interm_dropout=encoder_ff_interm_dropout, encoder_dropout=encoder_dropout,
        encoder_layer_norm_first=True, encoder_layer_drop=encoder_layer_drop,
        aux_num_out=aux_num_out)
