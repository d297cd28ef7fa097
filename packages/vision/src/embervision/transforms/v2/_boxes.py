"""Bounding-box geometry on raw (N, 4) arrays, in XYXY, to follow the image transforms."""
import numpy as np

from ember._device import array_module_of

from .tv_tensors import BoundingBoxes, BoundingBoxFormat


def to_xyxy(boxes, fmt):
    xp = array_module_of(boxes)
    a, b, c, d = (boxes[..., i] for i in range(4))
    if fmt == BoundingBoxFormat.XYWH:
        return xp.stack([a, b, a + c, b + d], axis=-1)
    if fmt == BoundingBoxFormat.CXCYWH:
        return xp.stack([a - c / 2, b - d / 2, a + c / 2, b + d / 2], axis=-1)
    return boxes


def from_xyxy(boxes, fmt):
    xp = array_module_of(boxes)
    x1, y1, x2, y2 = (boxes[..., i] for i in range(4))
    if fmt == BoundingBoxFormat.XYWH:
        return xp.stack([x1, y1, x2 - x1, y2 - y1], axis=-1)
    if fmt == BoundingBoxFormat.CXCYWH:
        return xp.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], axis=-1)
    return boxes


def convert_format(boxes, new_format):
    """BoundingBoxes in another format (torchvision's `convert_bounding_box_format`)."""
    from ember import Tensor
    new_format = BoundingBoxFormat[new_format.upper()] if isinstance(new_format, str) \
        else BoundingBoxFormat(new_format)
    arr = boxes._data.astype(np.float64)
    out = from_xyxy(to_xyxy(arr, boxes.format), new_format).astype(boxes._data.dtype)
    return BoundingBoxes._wrap(Tensor._make(out), format=new_format, canvas_size=boxes.canvas_size)


def transform(boxes, fn, canvas_size, clamp=True):
    """Apply `fn` to XYXY float boxes, clamp to the new canvas, return BoundingBoxes."""
    from ember import Tensor
    xp = array_module_of(boxes._data)
    xyxy = to_xyxy(boxes._data.astype(np.float64), boxes.format)
    xyxy = fn(xyxy)
    if clamp:
        h, w = canvas_size
        xyxy = xp.stack([xp.clip(xyxy[..., 0], 0, w), xp.clip(xyxy[..., 1], 0, h),
                         xp.clip(xyxy[..., 2], 0, w), xp.clip(xyxy[..., 3], 0, h)], axis=-1)
    out = from_xyxy(xyxy, boxes.format)
    if boxes._data.dtype.kind in "iu":
        out = xp.round(out)  # cos(90 deg) is 6e-17, not 0: truncation would lose a pixel
    out = out.astype(boxes._data.dtype)
    return BoundingBoxes._wrap(Tensor._make(out), format=boxes.format, canvas_size=canvas_size)


def _row(xyxy, values):
    return array_module_of(xyxy).asarray(values, dtype=xyxy.dtype)


def hflip(xyxy, width):
    return xyxy[..., [2, 1, 0, 3]] * _row(xyxy, [-1, 1, -1, 1]) + _row(xyxy, [width, 0, width, 0])


def vflip(xyxy, height):
    return xyxy[..., [0, 3, 2, 1]] * _row(xyxy, [1, -1, 1, -1]) + _row(xyxy, [0, height, 0, height])


def translate_scale(xyxy, dx=0.0, dy=0.0, sx=1.0, sy=1.0):
    return (xyxy + _row(xyxy, [dx, dy, dx, dy])) * _row(xyxy, [sx, sy, sx, sy])


def affine(xyxy, matrix):
    """The axis-aligned hull of each box's four corners mapped by the forward 2x3 `matrix`."""
    xp = array_module_of(xyxy)
    m = xp.asarray(np.asarray(matrix, dtype=np.float64).reshape(2, 3))
    x1, y1, x2, y2 = (xyxy[..., i] for i in range(4))
    xs = xp.stack([x1, x2, x2, x1], axis=-1)
    ys = xp.stack([y1, y1, y2, y2], axis=-1)
    tx = m[0, 0] * xs + m[0, 1] * ys + m[0, 2]
    ty = m[1, 0] * xs + m[1, 1] * ys + m[1, 2]
    return xp.stack([tx.min(-1), ty.min(-1), tx.max(-1), ty.max(-1)], axis=-1)
