"""GeneralizedRCNNTransform (torchvision's `models/detection/transform.py`): normalize, resize
and pad a list of images into one batch, and map the detections back to the input sizes."""
import math

import numpy as np

import ember
import ember.nn.functional as F
from ember import nn

from .image_list import ImageList

__all__ = ["GeneralizedRCNNTransform", "resize_boxes"]


def _resize_image(image, self_min_size, self_max_size, fixed_size=None):
    """Bilinear resize so that the shorter side is `self_min_size` unless the longer would
    then exceed `self_max_size`; the output size is floor(side * scale) and the sampling uses
    the recomputed in/out ratio (`recompute_scale_factor=True`), exactly as torchvision."""
    if fixed_size is not None:
        size, scale_factor, recompute = [fixed_size[1], fixed_size[0]], None, None
    else:
        h, w = image.shape[-2:]
        size, recompute = None, True
        scale_factor = min(self_min_size / min(h, w), self_max_size / max(h, w))
    return F.interpolate(image[None], size=size, scale_factor=scale_factor, mode="bilinear",
                         recompute_scale_factor=recompute, align_corners=False)[0]


def resize_boxes(boxes, original_size, new_size):
    """Scale xyxy boxes from an image of `original_size` (h, w) to one of `new_size`."""
    # The ratios are float32 quotients, as torchvision computes them.
    ratio_h, ratio_w = (float(np.float32(s) / np.float32(s_orig))
                        for s, s_orig in zip(new_size, original_size))
    xmin, ymin, xmax, ymax = boxes.unbind(1)
    return ember.stack((xmin * ratio_w, ymin * ratio_h, xmax * ratio_w, ymax * ratio_h), dim=1)


class GeneralizedRCNNTransform(nn.Module):
    """forward(images: [(C, H_i, W_i)] float, targets=None) -> (ImageList, targets): each
    image normalized with image_mean/std and resized (training: shorter side drawn from
    `min_size`; eval: its last entry), target boxes resized alike, then zero-padded to a common
    size divisible by `size_divisible`."""

    def __init__(self, min_size, max_size, image_mean, image_std, size_divisible=32,
                 fixed_size=None, **kwargs):
        super().__init__()
        if not isinstance(min_size, (list, tuple)):
            min_size = (min_size,)
        self.min_size = min_size
        self.max_size = max_size
        self.image_mean = image_mean
        self.image_std = image_std
        self.size_divisible = size_divisible
        self.fixed_size = fixed_size
        self._skip_resize = kwargs.pop("_skip_resize", False)
        if kwargs:
            raise TypeError(f"GeneralizedRCNNTransform: unexpected arguments {sorted(kwargs)}")

    def forward(self, images, targets=None):
        images = list(images)
        if targets is not None:
            targets = [dict(t) for t in targets]
        for i, image in enumerate(images):
            if image.ndim != 3:
                raise ValueError(f"images is expected to be a list of 3d tensors of shape "
                                 f"[C, H, W], got {tuple(image.shape)}")
            image, target = self.resize(self.normalize(image),
                                        targets[i] if targets is not None else None)
            images[i] = image
            if targets is not None and target is not None:
                targets[i] = target
        image_sizes = [tuple(int(s) for s in img.shape[-2:]) for img in images]
        batched = self.batch_images(images, size_divisible=self.size_divisible)
        return ImageList(batched, image_sizes), targets

    def normalize(self, image):
        if not image.is_floating_point():
            raise TypeError(f"Expected input images to be of floating type (in range [0, 1]), "
                            f"but found type {image.dtype} instead")
        mean = ember.tensor(self.image_mean, dtype=image.dtype, device=image.device)
        std = ember.tensor(self.image_std, dtype=image.dtype, device=image.device)
        return (image - mean[:, None, None]) / std[:, None, None]

    def torch_choice(self, k):
        """A uniformly drawn element of `k`, from ember's generator (reproducible under
        `ember.manual_seed`)."""
        index = int(ember.empty(1).uniform_(0.0, float(len(k))).item())
        return k[index]

    def resize(self, image, target=None):
        h, w = image.shape[-2:]
        if self.training:
            if self._skip_resize:
                return image, target
            size = self.torch_choice(self.min_size)
        else:
            size = self.min_size[-1]
        image = _resize_image(image, size, self.max_size, self.fixed_size)
        if target is None:
            return image, target
        target["boxes"] = resize_boxes(target["boxes"], (h, w), image.shape[-2:])
        return image, target

    def batch_images(self, images, size_divisible=32):
        """Zero-pad the images (bottom and right) to the largest height and width, rounded up
        to multiples of `size_divisible`, and stack them."""
        stride = float(size_divisible)
        channels = max(img.shape[0] for img in images)
        height = int(math.ceil(max(img.shape[1] for img in images) / stride) * stride)
        width = int(math.ceil(max(img.shape[2] for img in images) / stride) * stride)
        return ember.stack([F.pad(img, (0, width - img.shape[2], 0, height - img.shape[1],
                                        0, channels - img.shape[0]))
                            for img in images])

    def postprocess(self, result, image_shapes, original_image_sizes):
        if self.training:
            return result
        for pred, im_s, o_im_s in zip(result, image_shapes, original_image_sizes):
            pred["boxes"] = resize_boxes(pred["boxes"], im_s, o_im_s)
        return result

    def __repr__(self):
        indent = "\n    "
        return (f"{self.__class__.__name__}({indent}Normalize(mean={self.image_mean}, "
                f"std={self.image_std}){indent}Resize(min_size={self.min_size}, "
                f"max_size={self.max_size}, mode='bilinear')\n)")
