"""Shared pieces of the segmentation models (torchvision's `models/segmentation/_utils.py`): the
backbone-plus-heads wrapper, the FCN head, the VOC categories and the evaluation preset."""
from collections import OrderedDict

import ember
import ember.nn.functional as F
from ember import nn

from .._intermediate import IntermediateLayerGetter
from .._presets import ImageClassification, _as_tensor
from ..resnet import ResNet50_Weights, resnet50

__all__ = ["FCNHead", "SemanticSegmentation", "_SimpleSegmentationModel", "_VOC_CATEGORIES",
           "_ovewrite_value_param", "_resnet50_segmentation"]

_VOC_CATEGORIES = [
    "__background__", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat",
    "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep",
    "sofa", "train", "tvmonitor",
]


def _ovewrite_value_param(param, actual, expected):
    """`expected` (what the weights need) unless the caller asked for something else."""
    if actual is not None and actual != expected:
        raise ValueError(f"The parameter '{param}' expected value {expected} but got {actual} "
                         "instead.")
    return expected


class SemanticSegmentation(ImageClassification):
    """The evaluation preprocessing of the segmentation checkpoints: resize the shorter side to
    `resize_size` and normalize, without cropping."""

    def __init__(self, *, resize_size, **kwargs):
        super().__init__(crop_size=None, resize_size=resize_size, **kwargs)

    def forward(self, img):
        img = _as_tensor(img)
        is_uint8 = img.dtype == ember.uint8
        img = self._resize(img.to(ember.float32))
        if is_uint8:
            img = img.round().clamp(0, 255) / 255.0
        mean = ember.tensor(self.mean, dtype=img.dtype, device=img.device).reshape(-1, 1, 1)
        std = ember.tensor(self.std, dtype=img.dtype, device=img.device).reshape(-1, 1, 1)
        return (img - mean) / std


class _SimpleSegmentationModel(nn.Module):
    """backbone -> {"out": classifier(features["out"])[, "aux": aux_classifier(...)]}, each
    upsampled bilinearly to the input's size: (N, num_classes, H, W)."""

    def __init__(self, backbone, classifier, aux_classifier=None):
        super().__init__()
        self.backbone = backbone
        self.classifier = classifier
        self.aux_classifier = aux_classifier

    def forward(self, x):
        input_shape = tuple(x.shape[-2:])
        features = self.backbone(x)
        result = OrderedDict()
        result["out"] = F.interpolate(self.classifier(features["out"]), size=input_shape,
                                      mode="bilinear", align_corners=False)
        if self.aux_classifier is not None:
            result["aux"] = F.interpolate(self.aux_classifier(features["aux"]),
                                          size=input_shape, mode="bilinear",
                                          align_corners=False)
        return result


class FCNHead(nn.Sequential):
    """3x3 conv to in_channels / 4, BN, ReLU, dropout, 1x1 conv to `channels`."""

    def __init__(self, in_channels, channels):
        inter_channels = in_channels // 4
        super().__init__(
            nn.Conv2d(in_channels, inter_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(inter_channels),
            nn.ReLU(),
            nn.Dropout(0.1),
            nn.Conv2d(inter_channels, channels, 1),
        )


def _resnet50_segmentation(model_class, head_class, weights, weights_backbone, progress,
                           num_classes, aux_loss):
    """FCN and DeepLabV3 on a dilated ResNet-50 (output stride 8): `head_class(2048, classes)` on
    layer4 and, with `aux_loss`, an FCN head on layer3; loads `weights` when given."""
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
    return_layers = {"layer4": "out"}
    if aux_loss:
        return_layers["layer3"] = "aux"
    backbone = IntermediateLayerGetter(backbone, return_layers=return_layers)
    aux_classifier = FCNHead(1024, num_classes) if aux_loss else None
    model = model_class(backbone, head_class(2048, num_classes), aux_classifier)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model
