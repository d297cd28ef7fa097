"""LR-ASPP with a MobileNetV3-Large backbone (Howard et al., 2019), module for module as
torchvision's `models/segmentation/lraspp.py`, so its checkpoints load unchanged."""
from collections import OrderedDict
from functools import partial
from typing import Optional

import ember.nn.functional as F
from ember import nn

from .._api import Weights, WeightsEnum, register_model
from .._intermediate import IntermediateLayerGetter
from ..mobilenetv3 import MobileNet_V3_Large_Weights, mobilenet_v3_large
from ._utils import SemanticSegmentation, _VOC_CATEGORIES, _ovewrite_value_param

__all__ = ["LRASPP", "LRASPP_MobileNet_V3_Large_Weights", "lraspp_mobilenet_v3_large"]


class LRASPPHead(nn.Module):
    """High-level features gated by their global context, upsampled to the low-level
    features' size; each set classified by a 1x1 conv and the two summed."""

    def __init__(self, low_channels, high_channels, num_classes, inter_channels):
        super().__init__()
        self.cbr = nn.Sequential(
            nn.Conv2d(high_channels, inter_channels, 1, bias=False),
            nn.BatchNorm2d(inter_channels),
            nn.ReLU(inplace=True),
        )
        self.scale = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(high_channels, inter_channels, 1, bias=False),
            nn.Sigmoid(),
        )
        self.low_classifier = nn.Conv2d(low_channels, num_classes, 1)
        self.high_classifier = nn.Conv2d(inter_channels, num_classes, 1)

    def forward(self, input):
        low, high = input["low"], input["high"]
        x = self.cbr(high) * self.scale(high)
        x = F.interpolate(x, size=tuple(low.shape[-2:]), mode="bilinear", align_corners=False)
        return self.low_classifier(low) + self.high_classifier(x)


class LRASPP(nn.Module):
    """(N, 3, H, W) -> {"out": (N, num_classes, H, W)}."""

    def __init__(self, backbone, low_channels, high_channels, num_classes, inter_channels=128):
        super().__init__()
        self.backbone = backbone
        self.classifier = LRASPPHead(low_channels, high_channels, num_classes, inter_channels)

    def forward(self, input):
        out = self.classifier(self.backbone(input))
        out = F.interpolate(out, size=tuple(input.shape[-2:]), mode="bilinear",
                            align_corners=False)
        return OrderedDict(out=out)


class LRASPP_MobileNet_V3_Large_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = Weights(
        url="https://download.pytorch.org/models/lraspp_mobilenet_v3_large-d234d4ea.pth",
        transforms=partial(SemanticSegmentation, resize_size=520),
        meta={"categories": _VOC_CATEGORIES, "min_size": (1, 1), "num_params": 3221538,
              "recipe": "https://github.com/pytorch/vision/tree/main/references/"
                        "segmentation#lraspp_mobilenet_v3_large",
              "_metrics": {"COCO-val2017-VOC-labels": {"miou": 57.9, "pixel_acc": 91.2}}},
    )
    DEFAULT = COCO_WITH_VOC_LABELS_V1


def _lraspp_mobilenetv3(backbone, num_classes):
    features = backbone.features
    # Stage boundaries: the first layer, each strided block ("C" layers) and the last layer.
    stage_indices = [0] + [i for i, b in enumerate(features) if getattr(b, "_is_cn", False)] \
        + [len(features) - 1]
    low_pos, high_pos = stage_indices[-4], stage_indices[-1]
    low_channels = features[low_pos].out_channels
    high_channels = features[high_pos].out_channels
    features = IntermediateLayerGetter(features, return_layers={str(low_pos): "low",
                                                                str(high_pos): "high"})
    return LRASPP(features, low_channels, high_channels, num_classes)


@register_model()
def lraspp_mobilenet_v3_large(*, weights: Optional[LRASPP_MobileNet_V3_Large_Weights] = None,
                              progress=True, num_classes=None,
                              weights_backbone: Optional[MobileNet_V3_Large_Weights] =
                              MobileNet_V3_Large_Weights.IMAGENET1K_V1, **kwargs):
    """LR-ASPP-MobileNetV3-Large from `Searching for MobileNetV3`."""
    if kwargs.pop("aux_loss", False):
        raise NotImplementedError("This model does not use auxiliary loss")
    weights = LRASPP_MobileNet_V3_Large_Weights.verify(weights)
    weights_backbone = MobileNet_V3_Large_Weights.verify(weights_backbone)
    if weights is not None:
        weights_backbone = None
        num_classes = _ovewrite_value_param("num_classes", num_classes,
                                            len(weights.meta["categories"]))
    elif num_classes is None:
        num_classes = 21
    backbone = mobilenet_v3_large(weights=weights_backbone, dilated=True)
    model = _lraspp_mobilenetv3(backbone, num_classes)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model
