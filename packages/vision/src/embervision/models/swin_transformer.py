"""Swin Transformer Tiny (Liu et al., 2021), module for module as torchvision's
`models/swin_transformer.py`, so its checkpoints load unchanged."""
from functools import partial
from typing import Optional

import numpy as np

import ember
import ember.nn.functional as F
from ember import nn

from ._api import Weights, WeightsEnum, register_model
from ._blocks import MLP, Permute, StochasticDepth
from ._imagenet_categories import _IMAGENET_CATEGORIES
from ._presets import ImageClassification
from ._utils import _IMAGENET_NUM_CLASSES, _load_weights, _ovewrite_named_param

__all__ = ["SwinTransformer", "Swin_T_Weights", "swin_t"]


class PatchMerging(nn.Module):
    """(N, H, W, C) -> (N, H/2, W/2, 2C): each 2x2 neighbourhood concatenated, normed and
    projected (odd sizes are zero-padded first)."""

    def __init__(self, dim, norm_layer=nn.LayerNorm):
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(4 * dim)

    def forward(self, x):
        h, w = x.shape[-3:-1]
        x = F.pad(x, (0, 0, 0, w % 2, 0, h % 2))
        x = ember.cat([x[..., 0::2, 0::2, :], x[..., 1::2, 0::2, :], x[..., 0::2, 1::2, :],
                       x[..., 1::2, 1::2, :]], -1)
        return self.reduction(self.norm(x))


def _shift_mask(pad_h, pad_w, window_size, shift_size):
    """(num_windows, ws*ws, ws*ws) additive mask: -100 between tokens that the cyclic shift
    brought from different image regions into one window, 0 elsewhere."""
    regions = np.zeros((pad_h, pad_w), dtype=np.float32)
    h_slices = ((0, -window_size[0]), (-window_size[0], -shift_size[0]), (-shift_size[0], None))
    w_slices = ((0, -window_size[1]), (-window_size[1], -shift_size[1]), (-shift_size[1], None))
    count = 0
    for h in h_slices:
        for w in w_slices:
            regions[h[0]:h[1], w[0]:w[1]] = count
            count += 1
    regions = regions.reshape(pad_h // window_size[0], window_size[0], pad_w // window_size[1],
                              window_size[1]).transpose(0, 2, 1, 3)
    regions = regions.reshape(-1, window_size[0] * window_size[1])
    diff = regions[:, None, :] - regions[:, :, None]
    return np.where(diff != 0, np.float32(-100.0), np.float32(0.0))


def shifted_window_attention(input, qkv_weight, proj_weight, relative_position_bias,
                             window_size, num_heads, shift_size, attention_dropout=0.0,
                             dropout=0.0, qkv_bias=None, proj_bias=None, training=True):
    """Multi-head self-attention inside (shifted) non-overlapping windows of a (B, H, W, C)
    tensor; returns the same shape."""
    b, h, w, c = input.shape
    pad_r = (window_size[1] - w % window_size[1]) % window_size[1]
    pad_b = (window_size[0] - h % window_size[0]) % window_size[0]
    x = F.pad(input, (0, 0, 0, pad_r, 0, pad_b))
    _, pad_h, pad_w, _ = x.shape
    shift_size = list(shift_size)
    # A window covering the whole (padded) side needs no shift along it.
    if window_size[0] >= pad_h:
        shift_size[0] = 0
    if window_size[1] >= pad_w:
        shift_size[1] = 0
    shifted = sum(shift_size) > 0
    if shifted:
        x = ember.roll(x, shifts=(-shift_size[0], -shift_size[1]), dims=(1, 2))
    nh, nw = pad_h // window_size[0], pad_w // window_size[1]
    num_windows = nh * nw
    tokens = window_size[0] * window_size[1]
    x = x.reshape(b, nh, window_size[0], nw, window_size[1], c).permute(0, 1, 3, 2, 4, 5)
    x = x.reshape(b * num_windows, tokens, c)
    qkv = F.linear(x, qkv_weight, qkv_bias)
    qkv = qkv.reshape(x.shape[0], tokens, 3, num_heads, c // num_heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]  # (B * windows, heads, tokens, head_dim)
    q = q * (c // num_heads) ** -0.5
    attn = q.matmul(k.transpose(-2, -1)) + relative_position_bias
    if shifted:
        mask = ember.tensor(_shift_mask(pad_h, pad_w, window_size, shift_size),
                            dtype=attn.dtype, device=attn.device)
        attn = attn.reshape(b, num_windows, num_heads, tokens, tokens) + mask[None, :, None]
        attn = attn.reshape(-1, num_heads, tokens, tokens)
    attn = F.dropout(F.softmax(attn, dim=-1), p=attention_dropout, training=training)
    x = attn.matmul(v).transpose(1, 2).reshape(x.shape[0], tokens, c)
    x = F.dropout(F.linear(x, proj_weight, proj_bias), p=dropout, training=training)
    x = x.reshape(b, nh, nw, window_size[0], window_size[1], c).permute(0, 1, 3, 2, 4, 5)
    x = x.reshape(b, pad_h, pad_w, c)
    if shifted:
        x = ember.roll(x, shifts=(shift_size[0], shift_size[1]), dims=(1, 2))
    return x[:, :h, :w, :].contiguous()


class ShiftedWindowAttention(nn.Module):
    """Window attention with a learned bias per relative position and head."""

    def __init__(self, dim, window_size, shift_size, num_heads, qkv_bias=True, proj_bias=True,
                 attention_dropout=0.0, dropout=0.0):
        super().__init__()
        if len(window_size) != 2 or len(shift_size) != 2:
            raise ValueError("window_size and shift_size must be of length 2")
        self.window_size = window_size
        self.shift_size = shift_size
        self.num_heads = num_heads
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim, bias=proj_bias)
        wh, ww = window_size
        self.relative_position_bias_table = nn.Parameter(
            ember.zeros((2 * wh - 1) * (2 * ww - 1), num_heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
        # Index of each (query, key) token pair's relative offset in the table.
        coords = np.stack(np.meshgrid(np.arange(wh), np.arange(ww), indexing="ij")).reshape(2, -1)
        relative = (coords[:, :, None] - coords[:, None, :]).transpose(1, 2, 0)
        index = (relative[:, :, 0] + wh - 1) * (2 * ww - 1) + (relative[:, :, 1] + ww - 1)
        self.register_buffer("relative_position_index", ember.tensor(index.reshape(-1)))

    def get_relative_position_bias(self):
        n = self.window_size[0] * self.window_size[1]
        bias = self.relative_position_bias_table[self.relative_position_index]
        return bias.reshape(n, n, -1).permute(2, 0, 1).contiguous().unsqueeze(0)

    def forward(self, x):
        return shifted_window_attention(
            x, self.qkv.weight, self.proj.weight, self.get_relative_position_bias(),
            self.window_size, self.num_heads, shift_size=self.shift_size,
            attention_dropout=self.attention_dropout, dropout=self.dropout,
            qkv_bias=self.qkv.bias, proj_bias=self.proj.bias, training=self.training)


class SwinTransformerBlock(nn.Module):
    """x + attn(norm1(x)), then + mlp(norm2(.)), each branch under stochastic depth."""

    def __init__(self, dim, num_heads, window_size, shift_size, mlp_ratio=4.0, dropout=0.0,
                 attention_dropout=0.0, stochastic_depth_prob=0.0, norm_layer=nn.LayerNorm,
                 attn_layer=ShiftedWindowAttention):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = attn_layer(dim, window_size, shift_size, num_heads,
                               attention_dropout=attention_dropout, dropout=dropout)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.norm2 = norm_layer(dim)
        self.mlp = MLP(dim, [int(dim * mlp_ratio), dim], activation_layer=nn.GELU, inplace=None,
                       dropout=dropout)
        for m in self.mlp.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)

    def forward(self, x):
        x = x + self.stochastic_depth(self.attn(self.norm1(x)))
        return x + self.stochastic_depth(self.mlp(self.norm2(x)))


class SwinTransformer(nn.Module):
    """(N, 3, H, W) images -> (N, num_classes) logits; features are kept channels-last."""

    def __init__(self, patch_size, embed_dim, depths, num_heads, window_size, mlp_ratio=4.0,
                 dropout=0.0, attention_dropout=0.0, stochastic_depth_prob=0.1,
                 num_classes=1000, norm_layer=None, block=None, downsample_layer=PatchMerging):
        super().__init__()
        self.num_classes = num_classes
        block = SwinTransformerBlock if block is None else block
        norm_layer = partial(nn.LayerNorm, eps=1e-5) if norm_layer is None else norm_layer
        layers = [nn.Sequential(
            nn.Conv2d(3, embed_dim, kernel_size=tuple(patch_size), stride=tuple(patch_size)),
            Permute([0, 2, 3, 1]),
            norm_layer(embed_dim),
        )]
        total_blocks = sum(depths)
        block_id = 0
        for i_stage, depth in enumerate(depths):
            dim = embed_dim * 2 ** i_stage
            stage = []
            for i_layer in range(depth):
                sd_prob = stochastic_depth_prob * float(block_id) / (total_blocks - 1)
                # Every second block shifts its windows by half a window.
                shift = [0 if i_layer % 2 == 0 else w // 2 for w in window_size]
                stage.append(block(dim, num_heads[i_stage], window_size=window_size,
                                   shift_size=shift, mlp_ratio=mlp_ratio, dropout=dropout,
                                   attention_dropout=attention_dropout,
                                   stochastic_depth_prob=sd_prob, norm_layer=norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
            if i_stage < len(depths) - 1:
                layers.append(downsample_layer(dim, norm_layer))
        self.features = nn.Sequential(*layers)
        num_features = embed_dim * 2 ** (len(depths) - 1)
        self.norm = norm_layer(num_features)
        self.permute = Permute([0, 3, 1, 2])
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(1)
        self.head = nn.Linear(num_features, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.permute(self.norm(self.features(x)))
        return self.head(self.flatten(self.avgpool(x)))


class Swin_T_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/swin_t-704ceda3.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=232,
                           interpolation="bicubic"),
        meta={"categories": _IMAGENET_CATEGORIES,
              "min_size": (224, 224), "num_params": 28288354,
              "recipe": "https://github.com/pytorch/vision/tree/main/references/"
                        "classification#swintransformer",
              "_metrics": {"ImageNet-1K": {"acc@1": 81.474, "acc@5": 95.776}}},
    )
    DEFAULT = IMAGENET1K_V1


@register_model()
def swin_t(*, weights: Optional[Swin_T_Weights] = None, progress=True, **kwargs):
    """Swin-T from `Swin Transformer: Hierarchical Vision Transformer using Shifted Windows`."""
    weights = Swin_T_Weights.verify(weights)
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", _IMAGENET_NUM_CLASSES)
    kwargs.setdefault("stochastic_depth_prob", 0.2)
    model = SwinTransformer(patch_size=[4, 4], embed_dim=96, depths=[2, 2, 6, 2],
                            num_heads=[3, 6, 12, 24], window_size=[7, 7], **kwargs)
    if weights is not None:
        _load_weights(model, weights, progress)
    return model
