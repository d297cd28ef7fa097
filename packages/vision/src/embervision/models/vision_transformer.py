"""Vision Transformer B/16 and B/32 (Dosovitskiy et al., 2020), module for module as
torchvision's `models/vision_transformer.py`, so its checkpoints load unchanged."""
import math
from collections import OrderedDict
from functools import partial
from typing import Optional

import ember
from ember import nn

from ._api import Weights, WeightsEnum, register_model
from ._blocks import MLP
from ._imagenet_categories import _IMAGENET_CATEGORIES
from ._presets import ImageClassification
from ._utils import _IMAGENET_NUM_CLASSES, _load_weights, _ovewrite_named_param

__all__ = ["VisionTransformer", "ViT_B_16_Weights", "ViT_B_32_Weights", "vit_b_16", "vit_b_32"]


class MLPBlock(MLP):
    """The transformer's feed-forward block: Linear, GELU, Dropout, Linear, Dropout."""

    def __init__(self, in_dim, mlp_dim, dropout):
        super().__init__(in_dim, [mlp_dim, in_dim], activation_layer=nn.GELU, inplace=None,
                         dropout=dropout)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)


class EncoderBlock(nn.Module):
    """Pre-norm transformer layer: x + attention(ln_1(x)), then + mlp(ln_2(.))."""

    def __init__(self, num_heads, hidden_dim, mlp_dim, dropout, attention_dropout,
                 norm_layer=partial(nn.LayerNorm, eps=1e-6)):
        super().__init__()
        self.num_heads = num_heads
        self.ln_1 = norm_layer(hidden_dim)
        self.self_attention = nn.MultiheadAttention(hidden_dim, num_heads,
                                                    dropout=attention_dropout, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.ln_2 = norm_layer(hidden_dim)
        self.mlp = MLPBlock(hidden_dim, mlp_dim, dropout)

    def forward(self, input):
        if input.ndim != 3:
            raise ValueError(f"Expected (batch_size, seq_length, hidden_dim) got "
                             f"{tuple(input.shape)}")
        x = self.ln_1(input)
        x, _ = self.self_attention(x, x, x, need_weights=False)
        x = self.dropout(x) + input
        return x + self.mlp(self.ln_2(x))


class Encoder(nn.Module):
    """Learned position embedding, `num_layers` encoder blocks, final LayerNorm."""

    def __init__(self, seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout,
                 attention_dropout, norm_layer=partial(nn.LayerNorm, eps=1e-6)):
        super().__init__()
        self.pos_embedding = nn.Parameter(ember.empty(1, seq_length, hidden_dim).normal_(std=0.02))
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.Sequential(OrderedDict(
            (f"encoder_layer_{i}", EncoderBlock(num_heads, hidden_dim, mlp_dim, dropout,
                                                attention_dropout, norm_layer))
            for i in range(num_layers)))
        self.ln = norm_layer(hidden_dim)

    def forward(self, input):
        return self.ln(self.layers(self.dropout(input + self.pos_embedding)))


class VisionTransformer(nn.Module):
    """(N, 3, image_size, image_size) images -> (N, num_classes) logits, read off the class
    token."""

    def __init__(self, image_size, patch_size, num_layers, num_heads, hidden_dim, mlp_dim,
                 dropout=0.0, attention_dropout=0.0, num_classes=1000, representation_size=None,
                 norm_layer=partial(nn.LayerNorm, eps=1e-6)):
        super().__init__()
        if image_size % patch_size != 0:
            raise ValueError(f"VisionTransformer: image_size {image_size} is not divisible by "
                             f"patch_size {patch_size}")
        self.image_size = image_size
        self.patch_size = patch_size
        self.hidden_dim = hidden_dim
        self.mlp_dim = mlp_dim
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.num_classes = num_classes
        self.representation_size = representation_size
        self.norm_layer = norm_layer
        self.conv_proj = nn.Conv2d(3, hidden_dim, kernel_size=patch_size, stride=patch_size)
        seq_length = (image_size // patch_size) ** 2 + 1  # the patches and the class token
        self.class_token = nn.Parameter(ember.zeros(1, 1, hidden_dim))
        self.encoder = Encoder(seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout,
                               attention_dropout, norm_layer)
        self.seq_length = seq_length
        heads = OrderedDict()
        if representation_size is None:
            heads["head"] = nn.Linear(hidden_dim, num_classes)
        else:
            heads["pre_logits"] = nn.Linear(hidden_dim, representation_size)
            heads["act"] = nn.Tanh()
            heads["head"] = nn.Linear(representation_size, num_classes)
        self.heads = nn.Sequential(heads)

        fan_in = self.conv_proj.in_channels * patch_size * patch_size
        nn.init.trunc_normal_(self.conv_proj.weight, std=math.sqrt(1 / fan_in))
        nn.init.zeros_(self.conv_proj.bias)
        if representation_size is not None:
            pre_logits = self.heads.pre_logits
            nn.init.trunc_normal_(pre_logits.weight, std=math.sqrt(1 / pre_logits.in_features))
            nn.init.zeros_(pre_logits.bias)
        nn.init.zeros_(self.heads.head.weight)
        nn.init.zeros_(self.heads.head.bias)

    def _process_input(self, x):
        n, _, h, w = x.shape
        if h != self.image_size or w != self.image_size:
            raise ValueError(f"VisionTransformer: expected {self.image_size}x{self.image_size} "
                             f"images, got {h}x{w}")
        p = self.patch_size
        x = self.conv_proj(x)  # (N, hidden_dim, H / p, W / p)
        return x.reshape(n, self.hidden_dim, (h // p) * (w // p)).permute(0, 2, 1)

    def forward(self, x):
        x = self._process_input(x)
        class_token = self.class_token.expand(x.shape[0], -1, -1)
        x = self.encoder(ember.cat([class_token, x], dim=1))
        return self.heads(x[:, 0])


def _vision_transformer(patch_size, weights, progress, **kwargs):
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", _IMAGENET_NUM_CLASSES)
        _ovewrite_named_param(kwargs, "image_size", weights.meta["min_size"][0])
    image_size = kwargs.pop("image_size", 224)
    model = VisionTransformer(image_size=image_size, patch_size=patch_size, num_layers=12,
                              num_heads=12, hidden_dim=768, mlp_dim=3072, **kwargs)
    if weights is not None:
        _load_weights(model, weights, progress)
    return model


def _weights(file_name, num_params, acc1, acc5):
    return Weights(
        url=f"https://download.pytorch.org/models/{file_name}",
        transforms=partial(ImageClassification, crop_size=224),
        meta={"categories": _IMAGENET_CATEGORIES,
              "min_size": (224, 224), "num_params": num_params,
              "recipe": "https://github.com/pytorch/vision/tree/main/references/"
                        "classification#vit_b_16",
              "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}}},
    )


def _swag_weights(file_name, size, num_params, acc1, acc5, recipe):
    """Weights from SWAG (Singh et al., 2022), evaluated with a bicubic resize straight to the
    crop size."""
    return Weights(
        url=f"https://download.pytorch.org/models/{file_name}",
        transforms=partial(ImageClassification, crop_size=size, resize_size=size,
                           interpolation="bicubic"),
        meta={"categories": _IMAGENET_CATEGORIES,
              "min_size": (size, size), "num_params": num_params, "recipe": recipe,
              "license": "https://github.com/facebookresearch/SWAG/blob/main/LICENSE",
              "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}}},
    )


class ViT_B_16_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("vit_b_16-c867db91.pth", 86567656, 81.072, 95.318)
    # The SWAG trunk fine-tuned end to end at 384 px: min_size makes the builder use
    # image_size=384 (a longer position embedding, hence more parameters).
    IMAGENET1K_SWAG_E2E_V1 = _swag_weights("vit_b_16_swag-9ac1b537.pth", 384, 86859496, 85.304,
                                           97.65, "https://github.com/facebookresearch/SWAG")
    # The frozen SWAG trunk with a linear classifier trained on top, at 224 px.
    IMAGENET1K_SWAG_LINEAR_V1 = _swag_weights("vit_b_16_lc_swag-4e70ced5.pth", 224, 86567656,
                                              81.886, 96.18,
                                              "https://github.com/pytorch/vision/pull/5793")
    DEFAULT = IMAGENET1K_V1


class ViT_B_32_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("vit_b_32-d86f8d99.pth", 88224232, 75.912, 92.466)
    DEFAULT = IMAGENET1K_V1


@register_model()
def vit_b_16(*, weights: Optional[ViT_B_16_Weights] = None, progress=True, **kwargs):
    """ViT-B/16 from `An Image is Worth 16x16 Words`."""
    weights = ViT_B_16_Weights.verify(weights)
    return _vision_transformer(16, weights, progress, **kwargs)


@register_model()
def vit_b_32(*, weights: Optional[ViT_B_32_Weights] = None, progress=True, **kwargs):
    """ViT-B/32 from `An Image is Worth 16x16 Words`."""
    weights = ViT_B_32_Weights.verify(weights)
    return _vision_transformer(32, weights, progress, **kwargs)
