"""FCN with a ResNet-50 backbone (Long et al., 2015), module for module as torchvision's
`models/segmentation/fcn.py`, so its checkpoints load unchanged."""
from functools import partial
from typing import Optional

from .._api import Weights, WeightsEnum, register_model
from ..resnet import ResNet50_Weights
from ._utils import (FCNHead, SemanticSegmentation, _SimpleSegmentationModel, _VOC_CATEGORIES,
                     _resnet50_segmentation)

__all__ = ["FCN", "FCN_ResNet50_Weights", "fcn_resnet50"]


class FCN(_SimpleSegmentationModel):
    """Fully convolutional network: (N, 3, H, W) -> {"out", ["aux"]}: (N, num_classes, H, W)."""


class FCN_ResNet50_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = Weights(
        url="https://download.pytorch.org/models/fcn_resnet50_coco-1167a1af.pth",
        transforms=partial(SemanticSegmentation, resize_size=520),
        meta={"categories": _VOC_CATEGORIES, "min_size": (1, 1), "num_params": 35322218,
              "recipe": "https://github.com/pytorch/vision/tree/main/references/"
                        "segmentation#fcn_resnet50",
              "_metrics": {"COCO-val2017-VOC-labels": {"miou": 60.5, "pixel_acc": 91.4}}},
    )
    DEFAULT = COCO_WITH_VOC_LABELS_V1


@register_model()
def fcn_resnet50(*, weights: Optional[FCN_ResNet50_Weights] = None, progress=True,
                 num_classes=None, aux_loss=None,
                 weights_backbone: Optional[ResNet50_Weights] = ResNet50_Weights.IMAGENET1K_V1,
                 **kwargs):
    """FCN-ResNet50 from `Fully Convolutional Networks for Semantic Segmentation`; the
    backbone's last two stages are dilated (output stride 8)."""
    weights = FCN_ResNet50_Weights.verify(weights)
    return _resnet50_segmentation(FCN, FCNHead, weights, weights_backbone, progress,
                                  num_classes, aux_loss)
