"""FCN with a ResNet-50 backbone (Long et al., 2015), module for module as torchvision's
`models/segmentation/fcn.py`, so its checkpoints load unchanged."""
from functools import partial
from typing import Optional

from .._api import Weights, WeightsEnum, register_model
from .._intermediate import IntermediateLayerGetter
from ..resnet import ResNet50_Weights, resnet50
from ._utils import (FCNHead, SemanticSegmentation, _SimpleSegmentationModel, _VOC_CATEGORIES,
                     _ovewrite_value_param)

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


def _fcn_resnet(backbone, num_classes, aux):
    return_layers = {"layer4": "out"}
    if aux:
        return_layers["layer3"] = "aux"
    backbone = IntermediateLayerGetter(backbone, return_layers=return_layers)
    aux_classifier = FCNHead(1024, num_classes) if aux else None
    return FCN(backbone, FCNHead(2048, num_classes), aux_classifier)


@register_model()
def fcn_resnet50(*, weights: Optional[FCN_ResNet50_Weights] = None, progress=True,
                 num_classes=None, aux_loss=None,
                 weights_backbone: Optional[ResNet50_Weights] = ResNet50_Weights.IMAGENET1K_V1,
                 **kwargs):
    """FCN-ResNet50 from `Fully Convolutional Networks for Semantic Segmentation`; the
    backbone's last two stages are dilated (output stride 8)."""
    weights = FCN_ResNet50_Weights.verify(weights)
    weights_backbone = ResNet50_Weights.verify(weights_backbone)
    if weights is not None:
        weights_backbone = None
        num_classes = _ovewrite_value_param("num_classes", num_classes,
                                            len(weights.meta["categories"]))
        aux_loss = _ovewrite_value_param("aux_loss", aux_loss, True)
    elif num_classes is None:
        num_classes = 21
    backbone = resnet50(weights=weights_backbone,
                        replace_stride_with_dilation=[False, True, True])
    model = _fcn_resnet(backbone, num_classes, aux_loss)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model
