"""torchvision.tv_tensors on ember: Tensor subclasses that tell v2 transforms what they hold.

Like torchvision, ops on them return plain tensors; the v2 transforms re-wrap their outputs.
"""
from enum import Enum

import numpy as np
from PIL import Image as _PILImage

import ember
from ember import Tensor


class TVTensor(Tensor):
    """Base of Image, Mask and BoundingBoxes."""

    @classmethod
    def _wrap(cls, tensor, **meta):
        out = object.__new__(cls)
        Tensor._init(out, tensor._data, tensor.requires_grad, tensor.grad_fn, tensor._vc,
                     tensor._base)
        out.__dict__.update(meta)
        return out

    def __repr__(self):
        return f"{type(self).__name__}({Tensor.__repr__(self)})"


def _as_tensor(data, dtype, device, requires_grad):
    t = data if isinstance(data, Tensor) else ember.as_tensor(data)
    if dtype is not None or device is not None:
        t = t.to(device=device, dtype=dtype)
    return t.requires_grad_(requires_grad) if requires_grad else t


class Image(TVTensor):
    """A (..., C, H, W) image; accepts tensors, arrays and PIL images."""

    def __init__(self, data, *, dtype=None, device=None, requires_grad=False):
        if isinstance(data, _PILImage.Image):
            from .. import functional as F
            data = F.pil_to_tensor(data)
        t = _as_tensor(data, dtype, device, requires_grad)
        if t.ndim < 2:
            raise ValueError(f"Image: expected a tensor of at least 2 dims, got shape "
                             f"{list(t.shape)}")
        if t.ndim == 2:
            t = t.unsqueeze(0)
        Tensor._init(self, t._data, t.requires_grad)


class Mask(TVTensor):
    """A segmentation mask (..., H, W)."""

    def __init__(self, data, *, dtype=None, device=None, requires_grad=False):
        if isinstance(data, _PILImage.Image):
            data = np.asarray(data)
        t = _as_tensor(data, dtype, device, requires_grad)
        Tensor._init(self, t._data, t.requires_grad)


class BoundingBoxFormat(Enum):
    XYXY = "XYXY"
    XYWH = "XYWH"
    CXCYWH = "CXCYWH"


class BoundingBoxes(TVTensor):
    """(N, 4) boxes in `format` on an image of `canvas_size` = (H, W)."""

    def __init__(self, data, *, format, canvas_size, dtype=None, device=None,
                 requires_grad=False):
        t = _as_tensor(data, dtype, device, requires_grad)
        if t.ndim == 1:
            t = t.unsqueeze(0)
        if t.ndim != 2 or t.shape[-1] != 4:
            raise ValueError(f"BoundingBoxes: expected shape (N, 4), got {list(t.shape)}")
        Tensor._init(self, t._data, t.requires_grad)
        self.format = BoundingBoxFormat[format.upper()] if isinstance(format, str) \
            else BoundingBoxFormat(format)
        self.canvas_size = tuple(int(s) for s in canvas_size)

    @classmethod
    def _wrap(cls, tensor, *, format, canvas_size):
        return super()._wrap(tensor, format=format, canvas_size=tuple(canvas_size))

    def __repr__(self):
        return (f"BoundingBoxes({Tensor.__repr__(self)}, format={self.format.value}, "
                f"canvas_size={self.canvas_size})")


def wrap(tensor, *, like):
    """Wrap `tensor` as the same kind of TVTensor as `like` (boxes keep format and canvas)."""
    if isinstance(like, BoundingBoxes):
        return BoundingBoxes._wrap(tensor, format=like.format, canvas_size=like.canvas_size)
    return type(like)._wrap(tensor)
