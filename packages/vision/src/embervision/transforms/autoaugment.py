"""AutoAugment (ImageNet policy), RandAugment and TrivialAugmentWide, as in torchvision."""
import math
from enum import Enum

import numpy as np
from ember import Tensor

from . import _random
from . import functional as F
from .functional import InterpolationMode
from .transforms import Transform, _channels_fill


def _apply_op(img, op_name, magnitude, interpolation, fill):
    if op_name == "ShearX":
        # torchvision shears around the top-left corner (center=[0, 0]).
        return F.affine(img, 0.0, [0, 0], 1.0, [math.degrees(math.atan(magnitude)), 0.0],
                        interpolation, fill, center=[0, 0])
    if op_name == "ShearY":
        return F.affine(img, 0.0, [0, 0], 1.0, [0.0, math.degrees(math.atan(magnitude))],
                        interpolation, fill, center=[0, 0])
    if op_name == "TranslateX":
        return F.affine(img, 0.0, [int(magnitude), 0], 1.0, [0.0, 0.0], interpolation, fill)
    if op_name == "TranslateY":
        return F.affine(img, 0.0, [0, int(magnitude)], 1.0, [0.0, 0.0], interpolation, fill)
    if op_name == "Rotate":
        return F.rotate(img, magnitude, interpolation, fill=fill)
    if op_name == "Brightness":
        return F.adjust_brightness(img, 1.0 + magnitude)
    if op_name == "Color":
        return F.adjust_saturation(img, 1.0 + magnitude)
    if op_name == "Contrast":
        return F.adjust_contrast(img, 1.0 + magnitude)
    if op_name == "Sharpness":
        return F.adjust_sharpness(img, 1.0 + magnitude)
    if op_name == "Posterize":
        return F.posterize(img, int(magnitude))
    if op_name == "Solarize":
        # Magnitudes are on the uint8 scale; float images threshold on [0, 1].
        bound = 1.0 if isinstance(img, Tensor) and img.dtype.is_floating_point else 255.0
        return F.solarize(img, magnitude * bound / 255.0)
    if op_name == "AutoContrast":
        return F.autocontrast(img)
    if op_name == "Equalize":
        return F.equalize(img)
    if op_name == "Invert":
        return F.invert(img)
    if op_name == "Identity":
        return img
    raise ValueError(f"The provided operator {op_name} is not recognized.")


def _posterize_bins(num_bins, top):
    return 8 - np.round(np.arange(num_bins) / ((num_bins - 1) / top)).astype(np.int64)


def _standard_space(num_bins, height, width, shear, translate_x, translate_y, rotate, enhance,
                    posterize_top):
    return {
        "ShearX": (np.linspace(0.0, shear, num_bins), True),
        "ShearY": (np.linspace(0.0, shear, num_bins), True),
        "TranslateX": (np.linspace(0.0, translate_x, num_bins), True),
        "TranslateY": (np.linspace(0.0, translate_y, num_bins), True),
        "Rotate": (np.linspace(0.0, rotate, num_bins), True),
        "Brightness": (np.linspace(0.0, enhance, num_bins), True),
        "Color": (np.linspace(0.0, enhance, num_bins), True),
        "Contrast": (np.linspace(0.0, enhance, num_bins), True),
        "Sharpness": (np.linspace(0.0, enhance, num_bins), True),
        "Posterize": (_posterize_bins(num_bins, posterize_top), False),
        "Solarize": (np.linspace(255.0, 0.0, num_bins), False),
        "AutoContrast": (np.array(0.0), False),
        "Equalize": (np.array(0.0), False),
    }


class AutoAugmentPolicy(Enum):
    IMAGENET = "imagenet"


_IMAGENET_POLICY = [
    (("Posterize", 0.4, 8), ("Rotate", 0.6, 9)),
    (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
    (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
    (("Posterize", 0.6, 7), ("Posterize", 0.6, 6)),
    (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
    (("Equalize", 0.4, None), ("Rotate", 0.8, 8)),
    (("Solarize", 0.6, 3), ("Equalize", 0.6, None)),
    (("Posterize", 0.8, 5), ("Equalize", 1.0, None)),
    (("Rotate", 0.2, 3), ("Solarize", 0.6, 8)),
    (("Equalize", 0.6, None), ("Posterize", 0.4, 6)),
    (("Rotate", 0.8, 8), ("Color", 0.4, 0)),
    (("Rotate", 0.4, 9), ("Equalize", 0.6, None)),
    (("Equalize", 0.0, None), ("Equalize", 0.8, None)),
    (("Invert", 0.6, None), ("Equalize", 1.0, None)),
    (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
    (("Rotate", 0.8, 8), ("Color", 1.0, 2)),
    (("Color", 0.8, 8), ("Solarize", 0.8, 7)),
    (("Sharpness", 0.4, 7), ("Invert", 0.6, None)),
    (("ShearX", 0.6, 5), ("Equalize", 1.0, None)),
    (("Color", 0.4, 0), ("Equalize", 0.6, None)),
    (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
    (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
    (("Invert", 0.6, None), ("Equalize", 1.0, None)),
    (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
    (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
]


class AutoAugment(Transform):
    """AutoAugment (Cubuk et al. 2019) with the ImageNet policy; uint8 tensors or PIL images."""

    def __init__(self, policy=AutoAugmentPolicy.IMAGENET, interpolation=InterpolationMode.NEAREST,
                 fill=None):
        self.policy = AutoAugmentPolicy(policy)
        self.interpolation, self.fill = F._interpolation(interpolation), fill
        self.policies = _IMAGENET_POLICY

    @staticmethod
    def _augmentation_space(num_bins, image_size):
        space = _standard_space(num_bins, *image_size, 0.3, 150.0 / 331.0 * image_size[1],
                                150.0 / 331.0 * image_size[0], 30.0, 0.9, 4)
        space["Invert"] = (np.array(0.0), False)
        return space

    def get_params(self, transform_num):
        policy_id = _random.randint(0, transform_num)
        probs = [_random.rand(), _random.rand()]
        signs = [_random.randint(0, 2), _random.randint(0, 2)]
        return policy_id, probs, signs

    def forward(self, img):
        _, height, width = F.get_dimensions(img)
        fill = _channels_fill(self.fill, img)
        policy_id, probs, signs = self.get_params(len(self.policies))
        space = self._augmentation_space(10, (height, width))
        for i, (op_name, p, magnitude_id) in enumerate(self.policies[policy_id]):
            if probs[i] <= p:
                magnitudes, signed = space[op_name]
                magnitude = float(magnitudes[magnitude_id]) if magnitude_id is not None else 0.0
                if signed and signs[i] == 0:
                    magnitude *= -1.0
                img = _apply_op(img, op_name, magnitude, self.interpolation, fill)
        return img


class RandAugment(Transform):
    """RandAugment (Cubuk et al. 2020): `num_ops` random ops at a fixed magnitude."""

    def __init__(self, num_ops=2, magnitude=9, num_magnitude_bins=31,
                 interpolation=InterpolationMode.NEAREST, fill=None):
        self.num_ops, self.magnitude = num_ops, magnitude
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation, self.fill = F._interpolation(interpolation), fill

    @staticmethod
    def _augmentation_space(num_bins, image_size):
        space = {"Identity": (np.array(0.0), False)}
        space.update(_standard_space(num_bins, *image_size, 0.3, 150.0 / 331.0 * image_size[1],
                                     150.0 / 331.0 * image_size[0], 30.0, 0.9, 4))
        return space

    def forward(self, img):
        _, height, width = F.get_dimensions(img)
        fill = _channels_fill(self.fill, img)
        space = self._augmentation_space(self.num_magnitude_bins, (height, width))
        names = list(space)
        for _ in range(self.num_ops):
            op_name = names[_random.randint(0, len(names))]
            magnitudes, signed = space[op_name]
            magnitude = float(magnitudes[self.magnitude]) if magnitudes.ndim > 0 else 0.0
            if signed and _random.randint(0, 2):
                magnitude *= -1.0
            img = _apply_op(img, op_name, magnitude, self.interpolation, fill)
        return img

    def extra_repr(self):
        return f"num_ops={self.num_ops}, magnitude={self.magnitude}"


class TrivialAugmentWide(Transform):
    """TrivialAugment (Müller & Hutter 2021): one random op at a random magnitude."""

    def __init__(self, num_magnitude_bins=31, interpolation=InterpolationMode.NEAREST, fill=None):
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation, self.fill = F._interpolation(interpolation), fill

    @staticmethod
    def _augmentation_space(num_bins):
        space = {"Identity": (np.array(0.0), False)}
        space.update(_standard_space(num_bins, 0, 0, 0.99, 32.0, 32.0, 135.0, 0.99, 6))
        return space

    def forward(self, img):
        fill = _channels_fill(self.fill, img)
        space = self._augmentation_space(self.num_magnitude_bins)
        names = list(space)
        op_name = names[_random.randint(0, len(names))]
        magnitudes, signed = space[op_name]
        magnitude = float(magnitudes[_random.randint(0, len(magnitudes))]) \
            if magnitudes.ndim > 0 else 0.0
        if signed and _random.randint(0, 2):
            magnitude *= -1.0
        return _apply_op(img, op_name, magnitude, self.interpolation, fill)
