"""Wav2Vec2's building blocks, with torchaudio's module names (so its checkpoints load as-is).

Shapes: waveforms (B, T); features (B, frames, C); lengths (B,) int64 or None.
"""

import ember
import ember.nn.functional as F
from ember import nn


class LayerNorm(nn.LayerNorm):
    """LayerNorm over the channel axis of a (B, C, frames) tensor."""

    def forward(self, input):
        x = input.transpose(-2, -1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.transpose(-2, -1)


class ConvLayerBlock(nn.Module):
    """Conv1d → optional norm → GELU, tracking the valid length of each sample."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, bias, layer_norm):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride
        self.layer_norm = layer_norm
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, stride=stride, bias=bias)

    def forward(self, x, length):
        x = self.conv(x)
        if self.layer_norm is not None:
            x = self.layer_norm(x)
        x = F.gelu(x)
        if length is not None:
            # A sample shorter than the kernel has no valid frame (not a negative count).
            length = ((length - self.kernel_size) // self.stride + 1).clamp(min=0)
        return x, length


class FeatureExtractor(nn.Module):
    """The convolutional front end: (B, T) waveforms → (B, frames, C) features."""

    def __init__(self, conv_layers):
        super().__init__()
        self.conv_layers = conv_layers

    def forward(self, x, length):
        if x.ndim != 2:
            raise ValueError(f"Wav2Vec2 FeatureExtractor: expected a 2-D (batch, time) input, "
                             f"got shape {list(x.shape)}")
        x = x.unsqueeze(1)  # (B, 1, T)
        for layer in self.conv_layers:
            x, length = layer(x, length)
        return x.transpose(1, 2), length


class FeatureProjection(nn.Module):
    def __init__(self, in_features, out_features, dropout):
        super().__init__()
        self.layer_norm = nn.LayerNorm(in_features)
        self.projection = nn.Linear(in_features, out_features)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout(self.projection(self.layer_norm(x)))


class WeightNormConv1d(nn.Module):
    """Conv1d with weight normalisation over the kernel axis (`weight_norm(conv, dim=2)`).

    Parameters are `weight_g` (1, 1, k) and `weight_v` (out, in/groups, k) as in the published
    checkpoints; state dicts from `torch.nn.utils.parametrizations.weight_norm`
    (`parametrizations.weight.original0/1`) load too.
    """

    def __init__(self, channels, kernel_size, groups):
        super().__init__()
        self.padding, self.groups = kernel_size // 2, groups
        conv = nn.Conv1d(channels, channels, kernel_size, padding=self.padding, groups=groups)
        v = conv.weight.detach()
        self.bias = conv.bias  # registration order gives torch's key order: bias, g, v
        self.weight_g = nn.Parameter(_norm_except_kernel(v))
        self.weight_v = nn.Parameter(v.clone())

    @property
    def weight(self):
        return self.weight_v * (self.weight_g / _norm_except_kernel(self.weight_v))

    def forward(self, x):
        return F.conv1d(x, self.weight, self.bias, padding=self.padding, groups=self.groups)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        for i, name in enumerate(("weight_g", "weight_v")):
            key = f"{prefix}parametrizations.weight.original{i}"
            if key in state_dict:
                state_dict[prefix + name] = state_dict.pop(key)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


def _norm_except_kernel(v):
    return (v * v).sum(dim=(0, 1), keepdim=True).sqrt()


class ConvolutionalPositionalEmbedding(nn.Module):
    """Relative position information from a wide grouped convolution over the frames."""

    def __init__(self, embed_dim, kernel_size, groups):
        super().__init__()
        self.embed_dim = embed_dim
        self.kernel_size = kernel_size
        self.conv = WeightNormConv1d(embed_dim, kernel_size, groups)
        # An even kernel with padding k//2 yields one extra frame.
        self.num_remove = 1 if kernel_size % 2 == 0 else 0

    def forward(self, x):
        x = self.conv(x.transpose(-2, -1))
        if self.num_remove > 0:
            x = x[..., :-self.num_remove]
        return F.gelu(x).transpose(-2, -1)


class SelfAttention(nn.Module):
    def __init__(self, embed_dim, num_heads, dropout=0.0):
        super().__init__()
        head_dim = embed_dim // num_heads
        if head_dim * num_heads != embed_dim:
            raise ValueError(f"SelfAttention: embed_dim ({embed_dim}) is not divisible by "
                             f"num_heads ({num_heads})")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, head_dim
        self.dropout = dropout
        self.k_proj = nn.Linear(embed_dim, embed_dim)
        self.v_proj = nn.Linear(embed_dim, embed_dim)
        self.q_proj = nn.Linear(embed_dim, embed_dim)
        self.out_proj = nn.Linear(embed_dim, embed_dim)

    def forward(self, x, attention_mask=None):
        if x.ndim != 3 or x.shape[2] != self.embed_dim:
            raise ValueError(f"SelfAttention: expected (batch, sequence, {self.embed_dim}), "
                             f"got {list(x.shape)}")
        batch, length, _ = x.shape
        shape = (batch, length, self.num_heads, self.head_dim)
        q = self.q_proj(x).view(*shape).transpose(2, 1)  # (B, heads, L, head_dim)
        k = self.k_proj(x).view(*shape).transpose(2, 1)
        v = self.v_proj(x).view(*shape).transpose(2, 1)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=attention_mask,
                                             dropout_p=self.dropout if self.training else 0.0)
        return self.out_proj(out.transpose(1, 2).reshape(batch, length, self.embed_dim))


class FeedForward(nn.Module):
    def __init__(self, io_features, intermediate_features, intermediate_dropout, output_dropout):
        super().__init__()
        self.intermediate_dense = nn.Linear(io_features, intermediate_features)
        self.intermediate_dropout = nn.Dropout(intermediate_dropout)
        self.output_dense = nn.Linear(intermediate_features, io_features)
        self.output_dropout = nn.Dropout(output_dropout)

    def forward(self, x):
        x = self.intermediate_dropout(F.gelu(self.intermediate_dense(x)))
        return self.output_dropout(self.output_dense(x))


class EncoderLayer(nn.Module):
    """Self-attention + feed-forward, pre-norm (`layer_norm_first`) or post-norm."""

    def __init__(self, attention, dropout, layer_norm_first, feed_forward):
        super().__init__()
        self.attention = attention
        self.dropout = nn.Dropout(dropout)
        self.layer_norm = nn.LayerNorm(attention.embed_dim)
        self.layer_norm_first = layer_norm_first
        self.feed_forward = feed_forward
        self.final_layer_norm = nn.LayerNorm(attention.embed_dim)

    def forward(self, x, attention_mask=None):
        residual = x
        if self.layer_norm_first:
            x = self.layer_norm(x)
        x = residual + self.dropout(self.attention(x, attention_mask))
        if self.layer_norm_first:
            return x + self.feed_forward(self.final_layer_norm(x))
        x = self.layer_norm(x)
        return self.final_layer_norm(x + self.feed_forward(x))


class Transformer(nn.Module):
    """Positional convolution, then the layers. `layer_norm_first` here means "normalise before
    the layers" (true for post-norm layers): torchaudio passes the layers' flag negated."""

    def __init__(self, pos_conv_embed, dropout, layers, layer_norm_first, layer_drop):
        super().__init__()
        self.pos_conv_embed = pos_conv_embed
        self.layer_norm = nn.LayerNorm(pos_conv_embed.embed_dim)
        self.layer_norm_first = layer_norm_first
        self.layer_drop = layer_drop
        self.dropout = nn.Dropout(dropout)
        self.layers = layers

    def _preprocess(self, x):
        x = x + self.pos_conv_embed(x)
        if self.layer_norm_first:
            x = self.layer_norm(x)
        return self.dropout(x)

    def forward(self, x, attention_mask=None):
        x = self._preprocess(x)
        for layer in self.layers:
            # LayerDrop: skip whole layers at random while training.
            if not (self.training and self.layer_drop > 0
                    and ember.rand(1).item() <= self.layer_drop):
                x = layer(x, attention_mask)
        if not self.layer_norm_first:
            x = self.layer_norm(x)
        return x

    def get_intermediate_outputs(self, x, attention_mask=None, num_layers=None):
        if num_layers is not None and not 0 < num_layers <= len(self.layers):
            raise ValueError(f"num_layers must be in [1, {len(self.layers)}], got {num_layers}")
        outputs = []
        x = self._preprocess(x)
        for layer in self.layers[:num_layers]:
            x = layer(x, attention_mask)
            outputs.append(x)
        return outputs


class Encoder(nn.Module):
    def __init__(self, feature_projection, transformer):
        super().__init__()
        self.feature_projection = feature_projection
        self.transformer = transformer

    def _preprocess(self, features, lengths=None):
        x = self.feature_projection(features)
        mask = None
        if lengths is not None:
            batch, max_len, _ = x.shape
            padded = ember.arange(max_len, device=x.device)[None, :] >= lengths[:, None]
            x = x * (~padded).unsqueeze(-1).to(x.dtype)  # zero the padded frames
            # An additive mask that keeps attention off the padded keys.
            mask = (padded[:, None, None, :].to(x.dtype) * -10000.0).expand(
                batch, 1, max_len, max_len)
        return x, mask

    def forward(self, features, lengths=None):
        x, mask = self._preprocess(features, lengths)
        return self.transformer(x, attention_mask=mask)

    def extract_features(self, features, lengths=None, num_layers=None):
        x, mask = self._preprocess(features, lengths)
        return self.transformer.get_intermediate_outputs(x, attention_mask=mask,
                                                         num_layers=num_layers)


def get_feature_extractor(norm_mode, shapes, bias):
    """"group_norm": one GroupNorm (a group per channel) in the first block (base/large);
    "layer_norm": a LayerNorm in every block (large_lv60k)."""
    if norm_mode not in ("group_norm", "layer_norm"):
        raise ValueError(f"wav2vec2: extractor_mode must be 'group_norm' or 'layer_norm', got "
                         f"{norm_mode!r}")
    blocks, in_channels = [], 1
    for i, (out_channels, kernel_size, stride) in enumerate(shapes):
        norm = None
        if norm_mode == "group_norm" and i == 0:
            norm = nn.GroupNorm(out_channels, out_channels, affine=True)
        elif norm_mode == "layer_norm":
            norm = LayerNorm(out_channels, elementwise_affine=True)
        blocks.append(ConvLayerBlock(in_channels, out_channels, kernel_size, stride, bias, norm))
        in_channels = out_channels
    return FeatureExtractor(nn.ModuleList(blocks))


def get_encoder(in_features, embed_dim, dropout_input, pos_conv_kernel, pos_conv_groups,
                num_layers, num_heads, attention_dropout, ff_interm_features,
                ff_interm_dropout, dropout, layer_norm_first, layer_drop):
    layers = nn.ModuleList(
        EncoderLayer(SelfAttention(embed_dim, num_heads, attention_dropout), dropout,
                     layer_norm_first,
                     FeedForward(embed_dim, ff_interm_features, ff_interm_dropout, dropout))
        for _ in range(num_layers))
    transformer = Transformer(ConvolutionalPositionalEmbedding(embed_dim, pos_conv_kernel,
                                                               pos_conv_groups),
                              dropout, layers, not layer_norm_first, layer_drop)
    return Encoder(FeatureProjection(in_features, embed_dim, dropout_input), transformer)


__all__ = ["get_encoder", "get_feature_extractor"]
