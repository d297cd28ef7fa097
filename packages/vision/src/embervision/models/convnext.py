"""ConvNeXt Tiny and Small (Liu et al., 2022), module for module as torchvision's
`models/convnext.py`, so its checkpoints load unchanged."""
from functools import partial
from typing import Optional

import ember
import ember.nn.functional as F
from ember import nn

from ._api import Weights, WeightsEnum, register_model
from ._blocks import Permute, StochasticDepth
from ._imagenet_categories import _IMAGENET_CATEGORIES
from ._layers import Conv2dNormActivation
from ._presets import ImageClassification
from ._utils import _IMAGENET_NUM_CLASSES, _load_weights, _ovewrite_named_param

__all__ = ["ConvNeXt", "ConvNeXt_Tiny_Weights", "ConvNeXt_Small_Weights", "convnext_tiny",
           "convnext_small"]


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of a (N, C, H, W) tensor."""

    def forward(self, x):
        x = ember.permute(x, (0, 2, 3, 1))
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return ember.permute(x, (0, 3, 1, 2))


class CNBlock(nn.Module):
    """7x7 depthwise conv, LayerNorm, inverted-bottleneck MLP, learned per-channel scale."""

    def __init__(self, dim, layer_scale, stochastic_depth_prob, norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = partial(nn.LayerNorm, eps=1e-6)
        self.block = nn.Sequential(
            nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim, bias=True),
            Permute([0, 2, 3, 1]),  # (N, H, W, C): the norm and the MLP act on channels last
            norm_layer(dim),
            nn.Linear(dim, 4 * dim, bias=True),
            nn.GELU(),
            nn.Linear(4 * dim, dim, bias=True),
            Permute([0, 3, 1, 2]),
        )
        self.layer_scale = nn.Parameter(ember.ones(dim, 1, 1) * layer_scale)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")

    def forward(self, input):
        result = self.layer_scale * self.block(input)
        return self.stochastic_depth(result) + input


class CNBlockConfig:
    """One stage: its width, the next stage's width (None for the last) and its depth."""

    def __init__(self, input_channels, out_channels, num_layers):
        self.input_channels = input_channels
        self.out_channels = out_channels
        self.num_layers = num_layers


class ConvNeXt(nn.Module):
    """(N, 3, H, W) images -> (N, num_classes) logits."""

    def __init__(self, block_setting, stochastic_depth_prob=0.0, layer_scale=1e-6,
                 num_classes=1000, block=None, norm_layer=None):
        super().__init__()
        if not block_setting:
            raise ValueError("The block_setting should not be empty")
        if not all(isinstance(s, CNBlockConfig) for s in block_setting):
            raise TypeError("The block_setting should be List[CNBlockConfig]")
        if block is None:
            block = CNBlock
        if norm_layer is None:
            norm_layer = partial(LayerNorm2d, eps=1e-6)

        first = block_setting[0].input_channels
        # Stem: a 4x4 "patchify" conv with stride 4.
        layers = [Conv2dNormActivation(3, first, kernel_size=4, stride=4, padding=0,
                                       norm_layer=norm_layer, activation_layer=None, bias=True)]
        total_blocks = sum(cnf.num_layers for cnf in block_setting)
        block_id = 0
        for cnf in block_setting:
            stage = []
            for _ in range(cnf.num_layers):
                sd_prob = stochastic_depth_prob * block_id / (total_blocks - 1.0)
                stage.append(block(cnf.input_channels, layer_scale, sd_prob))
                block_id += 1
            layers.append(nn.Sequential(*stage))
            if cnf.out_channels is not None:  # downsampling between stages
                layers.append(nn.Sequential(
                    norm_layer(cnf.input_channels),
                    nn.Conv2d(cnf.input_channels, cnf.out_channels, kernel_size=2, stride=2),
                ))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        last = block_setting[-1]
        last_channels = last.out_channels if last.out_channels is not None \
            else last.input_channels
        self.classifier = nn.Sequential(norm_layer(last_channels), nn.Flatten(1),
                                        nn.Linear(last_channels, num_classes))

        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)))


def _convnext(block_setting, stochastic_depth_prob, weights, progress, **kwargs):
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", _IMAGENET_NUM_CLASSES)
    model = ConvNeXt(block_setting, stochastic_depth_prob=stochastic_depth_prob, **kwargs)
    if weights is not None:
        _load_weights(model, weights, progress)
    return model


def _weights(file_name, num_params, resize_size, acc1, acc5):
    return Weights(
        url=f"https://download.pytorch.org/models/{file_name}",
        transforms=partial(ImageClassification, crop_size=224, resize_size=resize_size),
        meta={"categories": _IMAGENET_CATEGORIES,
              "min_size": (32, 32), "num_params": num_params,
              "recipe": "https://github.com/pytorch/vision/tree/main/references/"
                        "classification#convnext",
              "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}}},
    )


class ConvNeXt_Tiny_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("convnext_tiny-983f1562.pth", 28589128, 236, 82.520, 96.146)
    DEFAULT = IMAGENET1K_V1


class ConvNeXt_Small_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("convnext_small-0c510722.pth", 50223688, 230, 83.616, 96.650)
    DEFAULT = IMAGENET1K_V1


@register_model()
def convnext_tiny(*, weights: Optional[ConvNeXt_Tiny_Weights] = None, progress=True, **kwargs):
    """ConvNeXt Tiny from `A ConvNet for the 2020s`."""
    weights = ConvNeXt_Tiny_Weights.verify(weights)
    setting = [CNBlockConfig(96, 192, 3), CNBlockConfig(192, 384, 3),
               CNBlockConfig(384, 768, 9), CNBlockConfig(768, None, 3)]
    sd_prob = kwargs.pop("stochastic_depth_prob", 0.1)
    return _convnext(setting, sd_prob, weights, progress, **kwargs)


@register_model()
def convnext_small(*, weights: Optional[ConvNeXt_Small_Weights] = None, progress=True,
                   **kwargs):
    """ConvNeXt Small from `A ConvNet for the 2020s`."""
    weights = ConvNeXt_Small_Weights.verify(weights)
    setting = [CNBlockConfig(96, 192, 3), CNBlockConfig(192, 384, 3),
               CNBlockConfig(384, 768, 27), CNBlockConfig(768, None, 3)]
    sd_prob = kwargs.pop("stochastic_depth_prob", 0.4)
    return _convnext(setting, sd_prob, weights, progress, **kwargs)
