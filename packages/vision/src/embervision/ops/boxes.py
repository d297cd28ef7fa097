"""Box utilities on (N, 4) tensors in (x1, y1, x2, y2) pixels unless said otherwise.

Box arithmetic is written with ember ops, so IoUs and conversions are differentiable; nms and
the index-returning helpers work on raw arrays of the boxes' device.
"""
import numpy as np

import ember
from ember._device import array_module_of

__all__ = ["batched_nms", "box_area", "box_convert", "box_iou", "clip_boxes_to_image",
           "generalized_box_iou", "nms", "remove_small_boxes"]


def _check_boxes(boxes, op, name="boxes"):
    if not isinstance(boxes, ember.Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(boxes).__name__}")
    if boxes.ndim != 2 or boxes.shape[-1] != 4:
        raise ValueError(f"{op}: {name} must have shape (N, 4), got {tuple(boxes.shape)}")


def _upcast(t):
    # Products of int16/uint8 coordinates overflow: widen like torchvision does.
    if t.is_floating_point():
        return t if t.dtype in (ember.float32, ember.float64) else t.float()
    return t if t.dtype in (ember.int32, ember.int64) else t.int()


def box_area(boxes):
    """Areas (N,) of boxes (N, 4) in xyxy format."""
    _check_boxes(boxes, "box_area")
    boxes = _upcast(boxes)
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def _inter_union(boxes1, boxes2):
    area1, area2 = box_area(boxes1), box_area(boxes2)
    boxes1, boxes2 = _upcast(boxes1), _upcast(boxes2)
    lt = ember.maximum(boxes1[:, None, :2], boxes2[:, :2])  # (N, M, 2)
    rb = ember.minimum(boxes1[:, None, 2:], boxes2[:, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[:, :, 0] * wh[:, :, 1]
    return inter, area1[:, None] + area2 - inter


def box_iou(boxes1, boxes2):
    """Pairwise intersection over union (N, M) of boxes1 (N, 4) and boxes2 (M, 4), xyxy."""
    _check_boxes(boxes1, "box_iou", "boxes1")
    _check_boxes(boxes2, "box_iou", "boxes2")
    inter, union = _inter_union(boxes1, boxes2)
    return inter / union


def generalized_box_iou(boxes1, boxes2):
    """Pairwise generalized IoU (N, M): IoU minus the share of the enclosing box not covered
    by the union. Boxes must satisfy x1 <= x2 and y1 <= y2."""
    _check_boxes(boxes1, "generalized_box_iou", "boxes1")
    _check_boxes(boxes2, "generalized_box_iou", "boxes2")
    inter, union = _inter_union(boxes1, boxes2)
    iou = inter / union
    boxes1, boxes2 = _upcast(boxes1), _upcast(boxes2)
    lti = ember.minimum(boxes1[:, None, :2], boxes2[:, :2])
    rbi = ember.maximum(boxes1[:, None, 2:], boxes2[:, 2:])
    whi = (rbi - lti).clamp(min=0)
    enclosing = whi[:, :, 0] * whi[:, :, 1]
    return iou - (enclosing - union) / enclosing


_FORMATS = ("xyxy", "xywh", "cxcywh")


def box_convert(boxes, in_fmt, out_fmt):
    """Convert boxes (..., 4) between "xyxy", "xywh" (corner and size) and "cxcywh" (centre)."""
    for fmt in (in_fmt, out_fmt):
        if fmt not in _FORMATS:
            raise ValueError(f"box_convert: unsupported box format {fmt!r}; expected one of "
                             f"{', '.join(_FORMATS)}")
    if in_fmt == out_fmt:
        return boxes.clone()
    a, b, c, d = boxes.unbind(-1)
    if in_fmt == "xywh":
        a, b, c, d = a, b, a + c, b + d
    elif in_fmt == "cxcywh":
        a, b, c, d = a - 0.5 * c, b - 0.5 * d, a + 0.5 * c, b + 0.5 * d
    # now xyxy
    if out_fmt == "xywh":
        a, b, c, d = a, b, c - a, d - b
    elif out_fmt == "cxcywh":
        a, b, c, d = (a + c) / 2, (b + d) / 2, c - a, d - b
    return ember.stack((a, b, c, d), dim=-1)


def clip_boxes_to_image(boxes, size):
    """Clamp xyxy boxes (..., 4) into an image of `size` (height, width)."""
    height, width = size
    x = boxes[..., 0::2].clamp(min=0, max=width)
    y = boxes[..., 1::2].clamp(min=0, max=height)
    return ember.stack((x, y), dim=-1).reshape(boxes.shape)


def remove_small_boxes(boxes, min_size):
    """Indices (int64) of the boxes whose width and height are both at least `min_size`."""
    _check_boxes(boxes, "remove_small_boxes")
    data = boxes.detach()._data
    keep = ((data[:, 2] - data[:, 0]) >= min_size) & ((data[:, 3] - data[:, 1]) >= min_size)
    return ember.Tensor._make(array_module_of(data).nonzero(keep)[0].astype("int64"))


def nms(boxes, scores, iou_threshold):
    """Greedy non-maximum suppression: visiting boxes by decreasing score, drop every later box
    whose IoU with a kept one exceeds `iou_threshold`. Returns the kept indices (int64), by
    decreasing score."""
    _check_boxes(boxes, "nms")
    if scores.ndim != 1 or scores.shape[0] != boxes.shape[0]:
        raise ValueError(f"nms: scores must have shape ({boxes.shape[0]},), got "
                         f"{tuple(scores.shape)}")
    data = boxes.detach()._data
    xp = array_module_of(data)
    if data.shape[0] == 0:
        return ember.Tensor._make(xp.zeros(0, dtype="int64"))
    data = data.astype("float64")
    order = xp.argsort(-scores.detach()._data.astype("float64"), kind="stable")
    data = data[order]
    areas = (data[:, 2] - data[:, 0]) * (data[:, 3] - data[:, 1])
    lt = xp.maximum(data[:, None, :2], data[None, :, :2])
    rb = xp.minimum(data[:, None, 2:], data[None, :, 2:])
    wh = (rb - lt).clip(0, None)
    inter = wh[..., 0] * wh[..., 1]
    overlaps = inter / (areas[:, None] + areas[None, :] - inter) > iou_threshold
    # The greedy pass is sequential: run it on the host over the precomputed overlap matrix.
    overlaps = ember.Tensor._make(overlaps).cpu()._data
    suppressed = np.zeros(len(overlaps), dtype=bool)
    kept = []
    for i in range(len(overlaps)):
        if not suppressed[i]:
            kept.append(i)
            suppressed |= overlaps[i]
    return ember.Tensor._make(order[xp.asarray(kept, dtype="int64")].astype("int64"))


def batched_nms(boxes, scores, idxs, iou_threshold):
    """nms within each category `idxs` (N,) independently; indices by decreasing score."""
    _check_boxes(boxes, "batched_nms")
    if boxes.shape[0] == 0:
        return ember.Tensor._make(array_module_of(boxes._data).zeros(0, dtype="int64"))
    # Shift each category's boxes far apart so that boxes of different categories never overlap.
    data = boxes.detach()._data.astype("float64")
    offsets = idxs.detach()._data.astype("float64") * (float(data.max()) + 1)
    return nms(ember.Tensor._make(data + offsets[:, None]), scores, iou_threshold)
