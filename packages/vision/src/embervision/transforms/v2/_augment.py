"""transforms.v2 conversions, image-only transforms, and the batch mixers MixUp and CutMix."""
import math

import numpy as np
from PIL import Image as _PILImage

import ember
from ember import Tensor
from ember._dtypes import as_dtype

from .. import _color_transforms, _random, autoaugment
from .. import functional as F
from .. import transforms as _v1
from ._transforms import Transform, flatten, leaf_kinds
from .tv_tensors import Image, TVTensor, wrap


class Compose(_v1.Compose):
    def __call__(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        for t in self.transforms:
            sample = t(sample)
        return sample

    forward = __call__


class ToImage(Transform):
    """PIL images, HWC ndarrays and tensors -> `Image`."""

    def __call__(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        leaves, rebuild = flatten(sample)
        kinds = leaf_kinds(leaves)
        out = []
        for x, kind in zip(leaves, kinds):
            if isinstance(x, np.ndarray):
                arr = x[None] if x.ndim == 2 else np.ascontiguousarray(x.transpose(2, 0, 1))
                out.append(Image(ember.from_numpy(arr)))
            elif kind == "image" and not isinstance(x, Image):
                out.append(Image(x))
            else:
                out.append(x)
        return rebuild(out)


class ToPureTensor(Transform):
    def __call__(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        leaves, rebuild = flatten(sample)
        return rebuild([Tensor._make(x._data) if isinstance(x, TVTensor) else x for x in leaves])


class ToDtype(Transform):
    """Cast images (and, with a dict, other tv_tensors); `scale=True` rescales value ranges."""

    def __init__(self, dtype, scale=False):
        self.dtype, self.scale = dtype, scale

    def _target(self, x, kind):
        if not isinstance(self.dtype, dict):
            return self.dtype if kind == "image" else None
        for key, value in self.dtype.items():
            if isinstance(key, type) and isinstance(x, key):
                return value
        if kind == "image" and not isinstance(x, TVTensor) and Tensor in self.dtype:
            return self.dtype[Tensor]
        return self.dtype.get("others")

    def __call__(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        leaves, rebuild = flatten(sample)
        out = []
        for x, kind in zip(leaves, leaf_kinds(leaves)):
            target = self._target(x, kind) if isinstance(x, Tensor) else None
            if target is None:
                out.append(x)
                continue
            y = F.convert_image_dtype(x, target) if self.scale and kind == "image" \
                else Tensor._make(x._data.astype(as_dtype(target).np))
            out.append(wrap(y, like=x) if isinstance(x, TVTensor) else y)
        return rebuild(out)


def _image_only(v1_class):
    """A v2 transform applying a v1 image transform to the images of a sample."""

    class ImageOnly(Transform):
        def __init__(self, *args, **kwargs):
            self._v1 = v1_class(*args, **kwargs)

        def _image(self, img, params):
            return self._v1(img)

        def __repr__(self):
            return repr(self._v1)

    ImageOnly.__name__ = ImageOnly.__qualname__ = v1_class.__name__
    ImageOnly.__doc__ = v1_class.__doc__
    return ImageOnly


Normalize = _image_only(_v1.Normalize)
ColorJitter = _image_only(_color_transforms.ColorJitter)
Grayscale = _image_only(_color_transforms.Grayscale)
RandomGrayscale = _image_only(_color_transforms.RandomGrayscale)
GaussianBlur = _image_only(_color_transforms.GaussianBlur)
RandomErasing = _image_only(_color_transforms.RandomErasing)
RandomInvert = _image_only(_color_transforms.RandomInvert)
RandomAutocontrast = _image_only(_color_transforms.RandomAutocontrast)
RandomEqualize = _image_only(_color_transforms.RandomEqualize)
RandomPosterize = _image_only(_color_transforms.RandomPosterize)
RandomSolarize = _image_only(_color_transforms.RandomSolarize)
RandomAdjustSharpness = _image_only(_color_transforms.RandomAdjustSharpness)
AutoAugment = _image_only(autoaugment.AutoAugment)
RandAugment = _image_only(autoaugment.RandAugment)
TrivialAugmentWide = _image_only(autoaugment.TrivialAugmentWide)
RandomPerspective = _image_only(_v1.RandomPerspective)


class _BaseMixUpCutMix(Transform):
    """Mix a batch (B, C, H, W) with itself rolled by one; labels (B,) become mixed one-hots."""

    def __init__(self, *, alpha=1.0, num_classes=None):
        if alpha <= 0:
            raise ValueError(f"{type(self).__name__}: alpha must be positive, got {alpha}")
        if num_classes is None or num_classes < 1:
            raise ValueError(f"{type(self).__name__}: num_classes must be a positive int, "
                             f"got {num_classes}")
        self.alpha, self.num_classes = float(alpha), num_classes

    def __call__(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        name = type(self).__name__
        if isinstance(sample, dict) and "labels" in sample:
            labels = sample["labels"]
        elif isinstance(sample, (tuple, list)) and len(sample) == 2:
            labels = sample[1]
        else:
            raise ValueError(f"{name}: expected (images, labels) or a dict with a 'labels' key")
        if not (isinstance(labels, Tensor) and labels.ndim == 1
                and not labels.dtype.is_floating_point):
            raise ValueError(f"{name}: labels should be an integer tensor of shape (batch_size,)")
        leaves, rebuild = flatten(sample)
        kinds = leaf_kinds([x for x in leaves if x is not labels])
        images = [x for x in leaves if x is not labels]
        images = [x for x, k in zip(images, kinds) if k == "image"]
        if not images or isinstance(images[0], _PILImage.Image) or images[0].ndim != 4:
            shape = list(images[0].shape) if images and isinstance(images[0], Tensor) else None
            raise ValueError(f"{name}: expected a batched image tensor (B, C, H, W), got {shape}")
        batch = images[0]
        if batch.shape[0] != labels.shape[0]:
            raise ValueError(f"{name}: the batch has {batch.shape[0]} images but "
                             f"{labels.shape[0]} labels")
        lam = float(_random.numpy_generator().beta(self.alpha, self.alpha))
        mixed, lam = self._mix(batch, lam)
        label_dtype = batch.dtype if batch.dtype.is_floating_point else ember.float32
        one_hot = ember.nn.functional.one_hot(labels, self.num_classes).to(label_dtype)
        new_labels = one_hot.roll(1, 0) * (1.0 - lam) + one_hot * lam
        out = []
        for x in leaves:
            if x is batch:
                out.append(wrap(mixed, like=x) if isinstance(x, TVTensor) else mixed)
            elif x is labels:
                out.append(new_labels)
            else:
                out.append(x)
        return rebuild(out)


class MixUp(_BaseMixUpCutMix):
    """MixUp (Zhang et al. 2018): x = lam * x + (1 - lam) * x.roll(1, 0), lam ~ Beta(a, a)."""

    def _mix(self, batch, lam):
        if not batch.dtype.is_floating_point:
            raise TypeError(f"MixUp: expected a float image batch, got {batch.dtype}")
        return batch * lam + batch.roll(1, 0) * (1.0 - lam), lam


class CutMix(_BaseMixUpCutMix):
    """CutMix (Yun et al. 2019): paste a box of the rolled batch; lam = kept area fraction."""

    def _mix(self, batch, lam):
        h, w = batch.shape[-2:]
        r_x, r_y = _random.randint(0, w), _random.randint(0, h)
        r = 0.5 * math.sqrt(1.0 - lam)
        r_w_half, r_h_half = int(r * w), int(r * h)
        x1, y1 = max(r_x - r_w_half, 0), max(r_y - r_h_half, 0)
        x2, y2 = min(r_x + r_w_half, w), min(r_y + r_h_half, h)
        out = batch._data.copy()
        out[..., y1:y2, x1:x2] = batch.roll(1, 0)._data[..., y1:y2, x1:x2]
        return Tensor._make(out), 1.0 - (x2 - x1) * (y2 - y1) / (w * h)
