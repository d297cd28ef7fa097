"""The inference preprocessing a classification checkpoint was evaluated with
(torchvision's `transforms/_presets.py`): resize the shorter side with antialiasing, center-crop,
scale to [0, 1] and normalize. A PIL image goes through Pillow in torchvision's order (resize and
crop in uint8, then to a float tensor) so the values match torchvision's exactly; a tensor is
resized here with ember ops (autograd flows through).
"""
import numpy as np
from PIL import Image

import ember
from ember import nn

from ..transforms import functional as F
from ..transforms._functional_tensor import _resize_weights

__all__ = ["ImageClassification"]

_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


# Antialiased resampling of tensors as torch's interpolate does it (PIL's filters), the same
# weights the transforms use.
_INTERPOLATIONS = ("bilinear", "bicubic")


def _as_tensor(img):
    if isinstance(img, ember.Tensor):
        return img
    # Anything array-like in HWC layout becomes a CHW tensor.
    array = np.asarray(img)
    if array.ndim == 2:
        array = array[:, :, None]
    return ember.tensor(np.ascontiguousarray(array.transpose(2, 0, 1)))


class ImageClassification(nn.Module):
    """Image (PIL, or a (..., C, H, W) tensor, uint8 or float in [0, 1]) -> normalized float
    tensor of shape (..., C, crop_size, crop_size)."""

    def __init__(self, *, crop_size, resize_size=256, mean=_IMAGENET_MEAN, std=_IMAGENET_STD,
                 interpolation="bilinear", antialias=True):
        super().__init__()
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(f"ImageClassification: interpolation must be one of "
                             f"{sorted(_INTERPOLATIONS)}, got {interpolation!r}")
        if not antialias:
            raise ValueError("ImageClassification: only antialias=True is supported")
        self.crop_size = [crop_size]
        self.resize_size = [resize_size]
        self.mean, self.std = list(mean), list(std)
        self.interpolation, self.antialias = interpolation, antialias

    def _resize(self, img):
        h, w = img.shape[-2:]
        size = self.resize_size[0]
        # The shorter side becomes `size`; the longer keeps the aspect ratio (truncated).
        if h <= w:
            out_h, out_w = size, int(size * w / h)
        else:
            out_h, out_w = int(size * h / w), size
        rows = ember.tensor(_resize_weights(h, out_h, self.interpolation, True),
                            dtype=img.dtype, device=img.device)
        cols = ember.tensor(_resize_weights(w, out_w, self.interpolation, True).T,
                            dtype=img.dtype, device=img.device)
        return rows @ img @ cols

    def _pil_to_float(self, img):
        # torchvision resizes a PIL image with Pillow (two uint8 passes, rounded and clipped in
        # between) and crops it (padding when smaller) before converting: the same steps here.
        img = F.resize(img, self.resize_size, interpolation=self.interpolation)
        img = F.center_crop(img, self.crop_size)
        return F.convert_image_dtype(F.pil_to_tensor(img), ember.float32)

    def _tensor_to_float(self, img):
        img = _as_tensor(img)
        if img.ndim < 3:
            raise ValueError(f"ImageClassification: expected an image of shape (..., C, H, W), "
                             f"got shape {tuple(img.shape)}")
        is_uint8 = img.dtype == ember.uint8
        img = self._resize(img.to(ember.float32))
        if is_uint8:  # torchvision resizes uint8 images in uint8: round like it does
            img = img.round().clamp(0, 255) / 255.0
        return F.center_crop(img, self.crop_size)  # pads with zeros when smaller, as torchvision

    def forward(self, img):
        if isinstance(img, Image.Image):
            img = self._pil_to_float(img)
        else:
            img = self._tensor_to_float(img)
        return F.normalize(img, self.mean, self.std)

    def __repr__(self):
        return (f"{self.__class__.__name__}(\n    crop_size={self.crop_size}\n"
                f"    resize_size={self.resize_size}\n    mean={self.mean}\n    std={self.std}\n"
                f"    interpolation={self.interpolation}\n)")

    def describe(self):
        return (f"Accepts PIL images and (B, C, H, W) / (C, H, W) tensors. Images are resized to "
                f"resize_size={self.resize_size} with {self.interpolation} interpolation, then "
                f"center-cropped to crop_size={self.crop_size}; values are rescaled to [0.0, 1.0] "
                f"and normalized with mean={self.mean} and std={self.std}.")

