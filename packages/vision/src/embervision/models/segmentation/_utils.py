"""Shared pieces of the segmentation models (torchvision's `models/segmentation/_utils.py`): the
backbone-plus-heads wrapper, the FCN head, the VOC categories and the evaluation preset."""
from collections import OrderedDict

import ember
import ember.nn.functional as F
from ember import nn

from .._presets import ImageClassification, _as_tensor

__all__ = ["FCNHead", "SemanticSegmentation", "_SimpleSegmentationModel", "_VOC_CATEGORIES",
           "_ovewrite_value_param"]

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
