"""DeepLabV3 with a ResNet-50 backbone (Chen et al., 2017), module for module as torchvision's
`models/segmentation/deeplabv3.py`, so its checkpoints load unchanged."""
from functools import partial
from typing import Optional

import ember
import ember.nn.functional as F
from ember import nn

from .._api import Weights, WeightsEnum, register_model
from ..resnet import ResNet50_Weights
from ._utils import (SemanticSegmentation, _SimpleSegmentationModel, _VOC_CATEGORIES,
                     _resnet50_segmentation)

__all__ = ["DeepLabV3", "DeepLabV3_ResNet50_Weights", "deeplabv3_resnet50"]


class DeepLabV3(_SimpleSegmentationModel):
    """(N, 3, H, W) -> {"out", ["aux"]}: (N, num_classes, H, W)."""


class ASPPConv(nn.Sequential):
    def __init__(self, in_channels, out_channels, dilation):
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, padding=dilation, dilation=dilation,
                      bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )


class ASPPPooling(nn.Sequential):
    """Image-level features: global average, 1x1 conv, upsampled back to the input's size."""

    def __init__(self, in_channels, out_channels):
        super().__init__(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )

    def forward(self, x):
        size = tuple(x.shape[-2:])
        for module in self:
            x = module(x)
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class ASPP(nn.Module):
    """Atrous spatial pyramid pooling: a 1x1 conv, one 3x3 conv per atrous rate and image
    pooling, concatenated and projected to `out_channels`."""

    def __init__(self, in_channels, atrous_rates, out_channels=256):
        super().__init__()
        modules = [nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, bias=False),
                                 nn.BatchNorm2d(out_channels), nn.ReLU())]
        modules += [ASPPConv(in_channels, out_channels, rate) for rate in tuple(atrous_rates)]
        modules.append(ASPPPooling(in_channels, out_channels))
        self.convs = nn.ModuleList(modules)
        self.project = nn.Sequential(
            nn.Conv2d(len(self.convs) * out_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
            nn.Dropout(0.5),
        )

    def forward(self, x):
        return self.project(ember.cat([conv(x) for conv in self.convs], dim=1))


class DeepLabHead(nn.Sequential):
    def __init__(self, in_channels, num_classes, atrous_rates=(12, 24, 36)):
        super().__init__(
            ASPP(in_channels, atrous_rates),
            nn.Conv2d(256, 256, 3, padding=1, bias=False),
            nn.BatchNorm2d(256),
            nn.ReLU(),
            nn.Conv2d(256, num_classes, 1),
        )


class DeepLabV3_ResNet50_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = Weights(
        url="https://download.pytorch.org/models/deeplabv3_resnet50_coco-cd0a2569.pth",
        transforms=partial(SemanticSegmentation, resize_size=520),
        meta={"categories": _VOC_CATEGORIES, "min_size": (1, 1), "num_params": 42004074,
              "recipe": "https://github.com/pytorch/vision/tree/main/references/"
                        "segmentation#deeplabv3_resnet50",
              "_metrics": {"COCO-val2017-VOC-labels": {"miou": 66.4, "pixel_acc": 92.4}}},
    )
    DEFAULT = COCO_WITH_VOC_LABELS_V1


@register_model()
def deeplabv3_resnet50(*, weights: Optional[DeepLabV3_ResNet50_Weights] = None, progress=True,
                       num_classes=None, aux_loss=None,
                       weights_backbone: Optional[ResNet50_Weights] =
                       ResNet50_Weights.IMAGENET1K_V1, **kwargs):
    """DeepLabV3-ResNet50 from `Rethinking Atrous Convolution for Semantic Image
    Segmentation`; the backbone's last two stages are dilated (output stride 8)."""
    weights = DeepLabV3_ResNet50_Weights.verify(weights)
    return _resnet50_segmentation(DeepLabV3, DeepLabHead, weights, weights_backbone, progress,
                                  num_classes, aux_loss)
