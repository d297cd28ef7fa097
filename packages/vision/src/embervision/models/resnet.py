"""ResNet, ResNeXt and Wide ResNet (He et al., 2015; Xie et al., 2016; Zagoruyko & Komodakis,
2016), module for module as torchvision's `models/resnet.py`, so its checkpoints load unchanged.
"""
from functools import partial
from typing import Optional

import ember
from ember import nn

from ._api import Weights, WeightsEnum, register_model
from ._imagenet_categories import _IMAGENET_CATEGORIES
from ._presets import ImageClassification
from ._utils import _IMAGENET_NUM_CLASSES, _load_weights, _ovewrite_named_param

__all__ = [
    "ResNet", "ResNet18_Weights", "ResNet34_Weights", "ResNet50_Weights", "ResNet101_Weights",
    "ResNet152_Weights", "ResNeXt50_32X4D_Weights", "ResNeXt101_32X8D_Weights",
    "Wide_ResNet50_2_Weights", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "resnext50_32x4d", "resnext101_32x8d", "wide_resnet50_2",
]


def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
    """3x3 convolution with padding."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation,
                     groups=groups, bias=False, dilation=dilation)


def conv1x1(in_planes, out_planes, stride=1):
    """1x1 convolution."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1, norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        # Both self.conv1 and self.downsample downsample the input when stride != 1.
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class Bottleneck(nn.Module):
    # The stride sits on the 3x3 convolution (ResNet V1.5, torchvision's choice), which is
    # what its checkpoints were trained with.
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1, norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    """(N, 3, H, W) images -> (N, num_classes) logits."""

    def __init__(self, block, layers, num_classes=1000, zero_init_residual=False, groups=1,
                 width_per_group=64, replace_stride_with_dilation=None, norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self._norm_layer = norm_layer
        self.inplanes = 64
        self.dilation = 1
        if replace_stride_with_dilation is None:
            # Each element says whether to replace the 2x2 stride of that stage with dilation.
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError("replace_stride_with_dilation should be None or a 3-element "
                             f"tuple, got {replace_stride_with_dilation}")
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2,
                                       dilate=replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2,
                                       dilate=replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2,
                                       dilate=replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        # Zero-initialising the last BN of each residual branch makes every block start as the
        # identity, which improves the model by 0.2~0.3% (Goyal et al., 2017).
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck) and m.bn3.weight is not None:
                    nn.init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock) and m.bn2.weight is not None:
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                norm_layer(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample, self.groups,
                        self.base_width, previous_dilation, norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups,
                                base_width=self.base_width, dilation=self.dilation,
                                norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = ember.flatten(self.avgpool(x), 1)
        return self.fc(x)


def _resnet(block, layers, weights, progress, **kwargs):
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", _IMAGENET_NUM_CLASSES)
    model = ResNet(block, layers, **kwargs)
    if weights is not None:
        _load_weights(model, weights, progress)
    return model


_COMMON_META = {"min_size": (1, 1), "categories": _IMAGENET_CATEGORIES}
_V1_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#resnet"
_V2_RECIPE = "https://github.com/pytorch/vision/issues/3995#issuecomment-1013906621"
_V1_TRANSFORMS = partial(ImageClassification, crop_size=224)
_V2_TRANSFORMS = partial(ImageClassification, crop_size=224, resize_size=232)


def _weights(file_name, num_params, recipe, transforms, acc1, acc5):
    return Weights(
        url=f"https://download.pytorch.org/models/{file_name}",
        transforms=transforms,
        meta={**_COMMON_META, "num_params": num_params, "recipe": recipe,
              "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}}},
    )


class ResNet18_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("resnet18-f37072fd.pth", 11689512, _V1_RECIPE, _V1_TRANSFORMS,
                             69.758, 89.078)
    DEFAULT = IMAGENET1K_V1


class ResNet34_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("resnet34-b627a593.pth", 21797672, _V1_RECIPE, _V1_TRANSFORMS,
                             73.314, 91.420)
    DEFAULT = IMAGENET1K_V1


class ResNet50_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("resnet50-0676ba61.pth", 25557032, _V1_RECIPE, _V1_TRANSFORMS,
                             76.130, 92.862)
    IMAGENET1K_V2 = _weights("resnet50-11ad3fa6.pth", 25557032, _V2_RECIPE, _V2_TRANSFORMS,
                             80.858, 95.434)
    DEFAULT = IMAGENET1K_V2


class ResNet101_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("resnet101-63fe2227.pth", 44549160, _V1_RECIPE, _V1_TRANSFORMS,
                             77.374, 93.546)
    IMAGENET1K_V2 = _weights("resnet101-cd907fc2.pth", 44549160, _V2_RECIPE, _V2_TRANSFORMS,
                             81.886, 95.780)
    DEFAULT = IMAGENET1K_V2


class ResNet152_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("resnet152-394f9c45.pth", 60192808, _V1_RECIPE, _V1_TRANSFORMS,
                             78.312, 94.046)
    IMAGENET1K_V2 = _weights("resnet152-f82ba261.pth", 60192808, _V2_RECIPE, _V2_TRANSFORMS,
                             82.284, 96.002)
    DEFAULT = IMAGENET1K_V2


class ResNeXt50_32X4D_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("resnext50_32x4d-7cdf4587.pth", 25028904,
                             "https://github.com/pytorch/vision/tree/main/references/"
                             "classification#resnext", _V1_TRANSFORMS, 77.618, 93.698)
    IMAGENET1K_V2 = _weights("resnext50_32x4d-1a0047aa.pth", 25028904, _V2_RECIPE,
                             _V2_TRANSFORMS, 81.198, 95.340)
    DEFAULT = IMAGENET1K_V2


class ResNeXt101_32X8D_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("resnext101_32x8d-8ba56ff5.pth", 88791336,
                             "https://github.com/pytorch/vision/tree/main/references/"
                             "classification#resnext", _V1_TRANSFORMS, 79.312, 94.526)
    IMAGENET1K_V2 = _weights("resnext101_32x8d-110c445d.pth", 88791336, _V2_RECIPE,
                             _V2_TRANSFORMS, 82.834, 96.228)
    DEFAULT = IMAGENET1K_V2


class Wide_ResNet50_2_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights("wide_resnet50_2-95faca4d.pth", 68883240,
                             "https://github.com/pytorch/vision/pull/912#issue-445437439",
                             _V1_TRANSFORMS, 78.468, 94.086)
    IMAGENET1K_V2 = _weights("wide_resnet50_2-9ba9bcbe.pth", 68883240, _V2_RECIPE,
                             _V2_TRANSFORMS, 81.602, 95.758)
    DEFAULT = IMAGENET1K_V2


@register_model()
def resnet18(*, weights: Optional[ResNet18_Weights] = None, progress=True, **kwargs):
    """ResNet-18 (`Deep Residual Learning for Image Recognition`)."""
    weights = ResNet18_Weights.verify(weights)
    return _resnet(BasicBlock, [2, 2, 2, 2], weights, progress, **kwargs)


@register_model()
def resnet34(*, weights: Optional[ResNet34_Weights] = None, progress=True, **kwargs):
    """ResNet-34 (`Deep Residual Learning for Image Recognition`)."""
    weights = ResNet34_Weights.verify(weights)
    return _resnet(BasicBlock, [3, 4, 6, 3], weights, progress, **kwargs)


@register_model()
def resnet50(*, weights: Optional[ResNet50_Weights] = None, progress=True, **kwargs):
    """ResNet-50 (`Deep Residual Learning for Image Recognition`), V1.5 striding."""
    weights = ResNet50_Weights.verify(weights)
    return _resnet(Bottleneck, [3, 4, 6, 3], weights, progress, **kwargs)


@register_model()
def resnet101(*, weights: Optional[ResNet101_Weights] = None, progress=True, **kwargs):
    """ResNet-101 (`Deep Residual Learning for Image Recognition`), V1.5 striding."""
    weights = ResNet101_Weights.verify(weights)
    return _resnet(Bottleneck, [3, 4, 23, 3], weights, progress, **kwargs)


@register_model()
def resnet152(*, weights: Optional[ResNet152_Weights] = None, progress=True, **kwargs):
    """ResNet-152 (`Deep Residual Learning for Image Recognition`), V1.5 striding."""
    weights = ResNet152_Weights.verify(weights)
    return _resnet(Bottleneck, [3, 8, 36, 3], weights, progress, **kwargs)


@register_model()
def resnext50_32x4d(*, weights: Optional[ResNeXt50_32X4D_Weights] = None, progress=True,
                    **kwargs):
    """ResNeXt-50 32x4d (`Aggregated Residual Transformation for Deep Neural Networks`)."""
    weights = ResNeXt50_32X4D_Weights.verify(weights)
    _ovewrite_named_param(kwargs, "groups", 32)
    _ovewrite_named_param(kwargs, "width_per_group", 4)
    return _resnet(Bottleneck, [3, 4, 6, 3], weights, progress, **kwargs)


@register_model()
def resnext101_32x8d(*, weights: Optional[ResNeXt101_32X8D_Weights] = None, progress=True,
                     **kwargs):
    """ResNeXt-101 32x8d (`Aggregated Residual Transformation for Deep Neural Networks`)."""
    weights = ResNeXt101_32X8D_Weights.verify(weights)
    _ovewrite_named_param(kwargs, "groups", 32)
    _ovewrite_named_param(kwargs, "width_per_group", 8)
    return _resnet(Bottleneck, [3, 4, 23, 3], weights, progress, **kwargs)


@register_model()
def wide_resnet50_2(*, weights: Optional[Wide_ResNet50_2_Weights] = None, progress=True,
                    **kwargs):
    """Wide ResNet-50-2 (`Wide Residual Networks`): the bottleneck is twice as wide."""
    weights = Wide_ResNet50_2_Weights.verify(weights)
    _ovewrite_named_param(kwargs, "width_per_group", 64 * 2)
    return _resnet(Bottleneck, [3, 4, 6, 3], weights, progress, **kwargs)
