"""EfficientNet B0-B7 (Tan & Le, 2019) and EfficientNetV2-S (Tan & Le, 2021), module for module as
torchvision's `models/efficientnet.py`, so its checkpoints load unchanged."""
import copy
import math
from functools import partial
from typing import Optional

import ember
from ember import nn

from ._api import Weights, WeightsEnum, register_model
from ._blocks import StochasticDepth
from ._imagenet_categories import _IMAGENET_CATEGORIES
from ._layers import Conv2dNormActivation, SqueezeExcitation
from ._presets import ImageClassification
from ._utils import _IMAGENET_NUM_CLASSES, _load_weights, _make_divisible, _ovewrite_named_param

__all__ = [
    "EfficientNet", "EfficientNet_B0_Weights", "EfficientNet_B1_Weights",
    "EfficientNet_B2_Weights", "EfficientNet_B3_Weights", "EfficientNet_B4_Weights",
    "EfficientNet_B5_Weights", "EfficientNet_B6_Weights", "EfficientNet_B7_Weights",
    "EfficientNet_V2_S_Weights", "efficientnet_b0", "efficientnet_b1", "efficientnet_b2",
    "efficientnet_b3", "efficientnet_b4", "efficientnet_b5", "efficientnet_b6",
    "efficientnet_b7", "efficientnet_v2_s",
]


class MBConvConfig:
    """One stage of the B-series table: channels scaled by `width_mult`, depth by `depth_mult`."""

    def __init__(self, expand_ratio, kernel, stride, input_channels, out_channels, num_layers,
                 width_mult=1.0, depth_mult=1.0, block=None):
        self.expand_ratio = expand_ratio
        self.kernel = kernel
        self.stride = stride
        self.input_channels = self.adjust_channels(input_channels, width_mult)
        self.out_channels = self.adjust_channels(out_channels, width_mult)
        self.num_layers = int(math.ceil(num_layers * depth_mult))
        self.block = MBConv if block is None else block

    @staticmethod
    def adjust_channels(channels, width_mult, min_value=None):
        return _make_divisible(channels * width_mult, 8, min_value)


class FusedMBConvConfig(MBConvConfig):
    """One stage of the V2 table (no scaling), built from FusedMBConv blocks."""

    def __init__(self, expand_ratio, kernel, stride, input_channels, out_channels, num_layers,
                 block=None):
        super().__init__(expand_ratio, kernel, stride, input_channels, out_channels, num_layers,
                         block=FusedMBConv if block is None else block)


class MBConv(nn.Module):
    """1x1 expansion, depthwise conv, squeeze-and-excitation, linear 1x1 projection."""

    def __init__(self, cnf, stochastic_depth_prob, norm_layer, se_layer=SqueezeExcitation):
        super().__init__()
        if not 1 <= cnf.stride <= 2:
            raise ValueError(f"illegal stride value {cnf.stride}")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        layers = []
        if expanded != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded, kernel_size=1,
                                               norm_layer=norm_layer, activation_layer=nn.SiLU))
        layers.append(Conv2dNormActivation(expanded, expanded, kernel_size=cnf.kernel,
                                           stride=cnf.stride, groups=expanded,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU))
        squeeze_channels = max(1, cnf.input_channels // 4)
        layers.append(se_layer(expanded, squeeze_channels,
                               activation=partial(nn.SiLU, inplace=True)))
        layers.append(Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=None))
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, input):
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result) + input
        return result


class FusedMBConv(nn.Module):
    """The expansion and depthwise convs fused into one full conv (V2's early stages)."""

    def __init__(self, cnf, stochastic_depth_prob, norm_layer):
        super().__init__()
        if not 1 <= cnf.stride <= 2:
            raise ValueError(f"illegal stride value {cnf.stride}")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded != cnf.input_channels:
            layers = [
                Conv2dNormActivation(cnf.input_channels, expanded, kernel_size=cnf.kernel,
                                     stride=cnf.stride, norm_layer=norm_layer,
                                     activation_layer=nn.SiLU),
                Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1,
                                     norm_layer=norm_layer, activation_layer=None),
            ]
        else:
            layers = [Conv2dNormActivation(cnf.input_channels, cnf.out_channels,
                                           kernel_size=cnf.kernel, stride=cnf.stride,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU)]
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, input):
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result) + input
        return result


class EfficientNet(nn.Module):
    """(N, 3, H, W) images -> (N, num_classes) logits."""

    def __init__(self, inverted_residual_setting, dropout, stochastic_depth_prob=0.2,
                 num_classes=1000, norm_layer=None, last_channel=None):
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        if not all(isinstance(s, MBConvConfig) for s in inverted_residual_setting):
            raise TypeError("The inverted_residual_setting should be List[MBConvConfig]")
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d

        layers = [Conv2dNormActivation(3, inverted_residual_setting[0].input_channels,
                                       kernel_size=3, stride=2, norm_layer=norm_layer,
                                       activation_layer=nn.SiLU)]
        total_blocks = sum(cnf.num_layers for cnf in inverted_residual_setting)
        block_id = 0
        for cnf in inverted_residual_setting:
            stage = []
            for _ in range(cnf.num_layers):
                block_cnf = copy.copy(cnf)
                if stage:  # only a stage's first block changes channels and stride
                    block_cnf.input_channels = block_cnf.out_channels
                    block_cnf.stride = 1
                # The drop probability grows linearly with depth.
                sd_prob = stochastic_depth_prob * float(block_id) / total_blocks
                stage.append(block_cnf.block(block_cnf, sd_prob, norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
        last_in = inverted_residual_setting[-1].out_channels
        last_out = last_channel if last_channel is not None else 4 * last_in
        layers.append(Conv2dNormActivation(last_in, last_out, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True),
                                        nn.Linear(last_out, num_classes))

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                init_range = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -init_range, init_range)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = ember.flatten(self.avgpool(self.features(x)), 1)
        return self.classifier(x)


def _efficientnet_conf(arch, width_mult=1.0, depth_mult=1.0):
    """The stage table of `arch` and its last channel count (None: 4x the last stage's)."""
    if arch.startswith("efficientnet_b"):
        bneck = partial(MBConvConfig, width_mult=width_mult, depth_mult=depth_mult)
        # expand ratio, kernel, stride, in, out, layers
        setting = [
            bneck(1, 3, 1, 32, 16, 1),
            bneck(6, 3, 2, 16, 24, 2),
            bneck(6, 5, 2, 24, 40, 2),
            bneck(6, 3, 2, 40, 80, 3),
            bneck(6, 5, 1, 80, 112, 3),
            bneck(6, 5, 2, 112, 192, 4),
            bneck(6, 3, 1, 192, 320, 1),
        ]
        return setting, None
    if arch == "efficientnet_v2_s":
        setting = [
            FusedMBConvConfig(1, 3, 1, 24, 24, 2),
            FusedMBConvConfig(4, 3, 2, 24, 48, 4),
            FusedMBConvConfig(4, 3, 2, 48, 64, 4),
            MBConvConfig(4, 3, 2, 64, 128, 6),
            MBConvConfig(6, 3, 1, 128, 160, 9),
            MBConvConfig(6, 3, 2, 160, 256, 15),
        ]
        return setting, 1280
    raise ValueError(f"Unsupported model type {arch}")


def _efficientnet(arch, weights, progress, dropout, width_mult=1.0, depth_mult=1.0,
                  norm_layer=None, **kwargs):
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", _IMAGENET_NUM_CLASSES)
    setting, last_channel = _efficientnet_conf(arch, width_mult, depth_mult)
    model = EfficientNet(setting, kwargs.pop("dropout", dropout), last_channel=last_channel,
                         norm_layer=norm_layer, **kwargs)
    if weights is not None:
        _load_weights(model, weights, progress)
    return model


def _weights(file_name, num_params, crop, resize, interpolation, acc1, acc5, recipe,
             min_size=(1, 1)):
    return Weights(
        url=f"https://download.pytorch.org/models/{file_name}",
        transforms=partial(ImageClassification, crop_size=crop, resize_size=resize,
                           interpolation=interpolation),
        meta={"categories": _IMAGENET_CATEGORIES,
              "min_size": min_size, "num_params": num_params, "recipe": recipe,
              "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}}},
    )


_V1 = "https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v1"
_V2 = "https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v2"
_REG_TUNING = "https://github.com/pytorch/vision/issues/3995#new-recipe-with-lr-wd-crop-tuning"


class EfficientNet_B0_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("efficientnet_b0_rwightman-7f5810bc.pth", 5288548, 224, 256,
                             "bicubic", 77.692, 93.532, _V1)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B1_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("efficientnet_b1_rwightman-bac287d4.pth", 7794184, 240, 256,
                             "bicubic", 78.642, 94.186, _V1)
    IMAGENET1K_V2 = _weights("efficientnet_b1-c27df63c.pth", 7794184, 240, 255, "bilinear",
                             79.838, 94.934, _REG_TUNING)
    DEFAULT = IMAGENET1K_V2


class EfficientNet_B2_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("efficientnet_b2_rwightman-c35c1473.pth", 9109994, 288, 288,
                             "bicubic", 80.608, 95.310, _V1)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B3_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("efficientnet_b3_rwightman-b3899882.pth", 12233232, 300, 320,
                             "bicubic", 82.008, 96.054, _V1)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B4_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("efficientnet_b4_rwightman-23ab8bcd.pth", 19341616, 380, 384,
                             "bicubic", 83.384, 96.594, _V1)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B5_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("efficientnet_b5_lukemelas-1a07897c.pth", 30389784, 456, 456,
                             "bicubic", 83.444, 96.628, _V1)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B6_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("efficientnet_b6_lukemelas-24a108a5.pth", 43040704, 528, 528,
                             "bicubic", 84.008, 96.916, _V1)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B7_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("efficientnet_b7_lukemelas-c5b4e57e.pth", 66347960, 600, 600,
                             "bicubic", 84.122, 96.908, _V1)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_S_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("efficientnet_v2_s-dd5fe13b.pth", 21458488, 384, 384, "bilinear",
                             84.228, 96.878, _V2, min_size=(33, 33))
    DEFAULT = IMAGENET1K_V1


# (width_mult, depth_mult, dropout) of each B variant; B5-B7 were ported from checkpoints
# trained with TensorFlow's batch-norm settings.
_B_SCALING = {
    "efficientnet_b0": (1.0, 1.0, 0.2), "efficientnet_b1": (1.0, 1.1, 0.2),
    "efficientnet_b2": (1.1, 1.2, 0.3), "efficientnet_b3": (1.2, 1.4, 0.3),
    "efficientnet_b4": (1.4, 1.8, 0.4), "efficientnet_b5": (1.6, 2.2, 0.4),
    "efficientnet_b6": (1.8, 2.6, 0.5), "efficientnet_b7": (2.0, 3.1, 0.5),
}
_TF_BATCH_NORM = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)


def _b(arch, weights, progress, kwargs):
    width, depth, dropout = _B_SCALING[arch]
    norm_layer = _TF_BATCH_NORM if arch in ("efficientnet_b5", "efficientnet_b6",
                                            "efficientnet_b7") else None
    return _efficientnet(arch, weights, progress, dropout, width, depth, norm_layer, **kwargs)


@register_model()
def efficientnet_b0(*, weights: Optional[EfficientNet_B0_Weights] = None, progress=True,
                    **kwargs):
    """EfficientNet B0 from `EfficientNet: Rethinking Model Scaling for CNNs`."""
    weights = EfficientNet_B0_Weights.verify(weights)
    return _b("efficientnet_b0", weights, progress, kwargs)


@register_model()
def efficientnet_b1(*, weights: Optional[EfficientNet_B1_Weights] = None, progress=True,
                    **kwargs):
    """EfficientNet B1 from `EfficientNet: Rethinking Model Scaling for CNNs`."""
    weights = EfficientNet_B1_Weights.verify(weights)
    return _b("efficientnet_b1", weights, progress, kwargs)


@register_model()
def efficientnet_b2(*, weights: Optional[EfficientNet_B2_Weights] = None, progress=True,
                    **kwargs):
    """EfficientNet B2 from `EfficientNet: Rethinking Model Scaling for CNNs`."""
    weights = EfficientNet_B2_Weights.verify(weights)
    return _b("efficientnet_b2", weights, progress, kwargs)


@register_model()
def efficientnet_b3(*, weights: Optional[EfficientNet_B3_Weights] = None, progress=True,
                    **kwargs):
    """EfficientNet B3 from `EfficientNet: Rethinking Model Scaling for CNNs`."""
    weights = EfficientNet_B3_Weights.verify(weights)
    return _b("efficientnet_b3", weights, progress, kwargs)


@register_model()
def efficientnet_b4(*, weights: Optional[EfficientNet_B4_Weights] = None, progress=True,
                    **kwargs):
    """EfficientNet B4 from `EfficientNet: Rethinking Model Scaling for CNNs`."""
    weights = EfficientNet_B4_Weights.verify(weights)
    return _b("efficientnet_b4", weights, progress, kwargs)


@register_model()
def efficientnet_b5(*, weights: Optional[EfficientNet_B5_Weights] = None, progress=True,
                    **kwargs):
    """EfficientNet B5 from `EfficientNet: Rethinking Model Scaling for CNNs`."""
    weights = EfficientNet_B5_Weights.verify(weights)
    return _b("efficientnet_b5", weights, progress, kwargs)


@register_model()
def efficientnet_b6(*, weights: Optional[EfficientNet_B6_Weights] = None, progress=True,
                    **kwargs):
    """EfficientNet B6 from `EfficientNet: Rethinking Model Scaling for CNNs`."""
    weights = EfficientNet_B6_Weights.verify(weights)
    return _b("efficientnet_b6", weights, progress, kwargs)


@register_model()
def efficientnet_b7(*, weights: Optional[EfficientNet_B7_Weights] = None, progress=True,
                    **kwargs):
    """EfficientNet B7 from `EfficientNet: Rethinking Model Scaling for CNNs`."""
    weights = EfficientNet_B7_Weights.verify(weights)
    return _b("efficientnet_b7", weights, progress, kwargs)


@register_model()
def efficientnet_v2_s(*, weights: Optional[EfficientNet_V2_S_Weights] = None, progress=True,
                      **kwargs):
    """EfficientNetV2-S from `EfficientNetV2: Smaller Models and Faster Training`."""
    weights = EfficientNet_V2_S_Weights.verify(weights)
    return _efficientnet("efficientnet_v2_s", weights, progress, 0.2,
                         norm_layer=partial(nn.BatchNorm2d, eps=1e-03), **kwargs)
