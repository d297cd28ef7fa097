"""embervision.ops: boxes vs PyTorch formulas, nms vs a greedy reference, RoI ops vs loop
references written from the documented algorithms, gradchecks, FPN."""
import math
from collections import OrderedDict

import numpy as np
import pytest
from ember_testing import check_gradcheck, check_parity

import ember
from embervision import ops
from embervision.ops.feature_pyramid_network import LastLevelMaxPool, LastLevelP6P7


def random_boxes(n, seed=0, size=20.0):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, size, (n, 2))
    wh = rng.uniform(1, size / 2, (n, 2))
    return np.concatenate([xy, xy + wh], 1)


def torch_iou(m, b1, b2, generalized=False):
    area1 = (b1[:, 2] - b1[:, 0]) * (b1[:, 3] - b1[:, 1])
    area2 = (b2[:, 2] - b2[:, 0]) * (b2[:, 3] - b2[:, 1])
    lt = m.maximum(b1[:, None, :2], b2[:, :2])
    rb = m.minimum(b1[:, None, 2:], b2[:, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[:, :, 0] * wh[:, :, 1]
    union = area1[:, None] + area2 - inter
    if not generalized:
        return inter / union
    whi = (m.maximum(b1[:, None, 2:], b2[:, 2:]) - m.minimum(b1[:, None, :2], b2[:, :2]))
    enclosing = whi[:, :, 0] * whi[:, :, 1]
    return inter / union - (enclosing - union) / enclosing


@pytest.mark.parity
@pytest.mark.parametrize("generalized", [False, True])
def test_box_iou_parity(generalized):
    b1, b2 = random_boxes(5, 1), random_boxes(7, 2)
    fn = ops.generalized_box_iou if generalized else ops.box_iou
    check_parity(lambda m, x, y: fn(x, y) if m is ember else torch_iou(m, x, y, generalized),
                 b1, b2)


@pytest.mark.parametrize("fn", [ops.box_iou, ops.generalized_box_iou])
def test_box_iou_gradcheck(fn):
    check_gradcheck(fn, random_boxes(3, 3), random_boxes(4, 4))


def test_box_area_iou_values():
    boxes = ember.tensor([[0, 0, 2, 2], [1, 1, 3, 3], [4, 4, 5, 6]])
    assert ops.box_area(boxes).tolist() == [4, 4, 2]
    iou = ops.box_iou(boxes, boxes).numpy()
    np.testing.assert_allclose(iou[0], [1, 1 / 7, 0], rtol=1e-6)
    giou = ops.generalized_box_iou(boxes[:1].float(), boxes[2:].float()).numpy()
    np.testing.assert_allclose(giou, [[0 - (30 - 6) / 30]], rtol=1e-6)
    with pytest.raises(ValueError, match=r"box_iou: boxes1 must have shape \(N, 4\)"):
        ops.box_iou(ember.zeros(3, 5), boxes)


@pytest.mark.parametrize("fmt", ["xywh", "cxcywh"])
def test_box_convert_round_trip(fmt):
    boxes = random_boxes(6, 5)
    out = ops.box_convert(ember.from_numpy(boxes), "xyxy", fmt).numpy()
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    expected = np.stack([boxes[:, 0], boxes[:, 1], w, h], 1) if fmt == "xywh" else \
        np.stack([boxes[:, 0] + w / 2, boxes[:, 1] + h / 2, w, h], 1)
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    back = ops.box_convert(ember.from_numpy(out), fmt, "xyxy").numpy()
    np.testing.assert_allclose(back, boxes, rtol=1e-12)
    other = "cxcywh" if fmt == "xywh" else "xywh"
    np.testing.assert_allclose(ops.box_convert(ops.box_convert(ember.from_numpy(out), fmt, other),
                                               other, "xyxy").numpy(), boxes, rtol=1e-12)
    check_gradcheck(lambda b: ops.box_convert(b, "xyxy", fmt), boxes)
    with pytest.raises(ValueError, match="box_convert: unsupported box format 'xy'"):
        ops.box_convert(ember.from_numpy(boxes), "xy", fmt)


def test_clip_and_remove_small():
    boxes = ember.tensor([[-3.0, 2, 12, 30], [1, 1, 1.5, 9], [2, 3, 5, 6]])
    np.testing.assert_array_equal(ops.clip_boxes_to_image(boxes, (20, 10)).numpy(),
                                  [[0, 2, 10, 20], [1, 1, 1.5, 9], [2, 3, 5, 6]])
    keep = ops.remove_small_boxes(boxes, 1.0)
    assert keep.dtype == ember.int64 and keep.tolist() == [0, 2]


def greedy_nms(boxes, scores, threshold):
    order = sorted(range(len(boxes)), key=lambda i: -scores[i])
    kept = []
    for i in order:
        if all(iou(boxes[i], boxes[j]) <= threshold for j in kept):
            kept.append(i)
    return kept


def iou(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.7])
def test_nms_matches_greedy_reference(threshold):
    boxes = random_boxes(60, 6)
    scores = np.random.default_rng(7).permutation(60).astype(np.float32)
    keep = ops.nms(ember.from_numpy(boxes.astype(np.float32)), ember.from_numpy(scores),
                   threshold)
    assert keep.dtype == ember.int64
    assert keep.tolist() == greedy_nms(boxes.tolist(), scores.tolist(), threshold)


def test_batched_nms_is_nms_per_class():
    boxes = random_boxes(40, 8)
    scores = np.random.default_rng(9).permutation(40).astype(np.float64)
    classes = np.random.default_rng(10).integers(0, 3, 40)
    keep = ops.batched_nms(ember.from_numpy(boxes), ember.from_numpy(scores),
                           ember.from_numpy(classes), 0.4).tolist()
    expected = []
    for c in range(3):
        members = np.nonzero(classes == c)[0]
        expected += [int(members[i]) for i in
                     greedy_nms(boxes[members].tolist(), scores[members].tolist(), 0.4)]
    assert keep == sorted(expected, key=lambda i: -scores[i])
    empty = ops.batched_nms(ember.zeros(0, 4), ember.zeros(0), ember.zeros(0, dtype=ember.int64),
                            0.5)
    assert empty.shape == (0,) and empty.dtype == ember.int64
    with pytest.raises(ValueError, match=r"nms: scores must have shape \(40,\)"):
        ops.nms(ember.from_numpy(boxes), ember.zeros(3), 0.5)


def bilinear(image, y, x):
    h, w = image.shape[-2:]
    if y < -1.0 or y > h or x < -1.0 or x > w:
        return np.zeros(image.shape[0])
    y, x = max(y, 0.0), max(x, 0.0)
    y_low, x_low = int(y), int(x)
    if y_low >= h - 1:
        y_high = y_low = h - 1
        y = float(y_low)
    else:
        y_high = y_low + 1
    if x_low >= w - 1:
        x_high = x_low = w - 1
        x = float(x_low)
    else:
        x_high = x_low + 1
    ly, lx = y - y_low, x - x_low
    hy, hx = 1 - ly, 1 - lx
    return (hy * hx * image[:, y_low, x_low] + hy * lx * image[:, y_low, x_high]
            + ly * hx * image[:, y_high, x_low] + ly * lx * image[:, y_high, x_high])


def reference_roi_align(x, rois, ph, pw, scale, ratio, aligned):
    """torchvision's roi_align kernel, one sample at a time."""
    out = np.zeros((len(rois), x.shape[1], ph, pw))
    offset = 0.5 if aligned else 0.0
    for k, (b, x1, y1, x2, y2) in enumerate(rois):
        sx, sy = x1 * scale - offset, y1 * scale - offset
        rw, rh = x2 * scale - offset - sx, y2 * scale - offset - sy
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bh, bw = rh / ph, rw / pw
        gh = ratio if ratio > 0 else math.ceil(rh / ph)
        gw = ratio if ratio > 0 else math.ceil(rw / pw)
        count = max(gh * gw, 1)
        for i in range(ph):
            for j in range(pw):
                total = np.zeros(x.shape[1])
                for iy in range(gh):
                    yy = sy + i * bh + (iy + 0.5) * bh / gh
                    for ix in range(gw):
                        xx = sx + j * bw + (ix + 0.5) * bw / gw
                        total += bilinear(x[int(b)], yy, xx)
                out[k, :, i, j] = total / count
    return out


ROIS = np.array([[0, 1.0, 1.5, 6.3, 5.2], [1, 0.2, 2.0, 8.7, 7.9], [0, -2.0, -1.0, 3.0, 12.0],
                 [1, 4.0, 4.0, 4.2, 4.1], [0, 0.0, 0.0, 18.0, 16.0]])


@pytest.mark.parametrize("aligned", [False, True])
@pytest.mark.parametrize("ratio,scale,size", [(-1, 1.0, (3, 3)), (2, 0.5, (2, 4)),
                                              (0, 1.0, (4, 2)), (1, 0.75, (5, 5))])
def test_roi_align_matches_reference(aligned, ratio, scale, size):
    x = np.random.default_rng(11).normal(size=(2, 3, 9, 10))
    out = ops.roi_align(ember.from_numpy(x), ember.from_numpy(ROIS), size, scale, ratio, aligned)
    expected = reference_roi_align(x, ROIS, size[0], size[1], scale, ratio, aligned)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)


def test_roi_align_list_boxes_and_module():
    x = ember.randn(2, 2, 6, 6)
    per_image = [ember.from_numpy(ROIS[ROIS[:, 0] == i, 1:]) for i in range(2)]
    stacked = np.concatenate([ROIS[ROIS[:, 0] == i] for i in range(2)])
    expected = ops.roi_align(x, ember.from_numpy(stacked), 2, sampling_ratio=2)
    np.testing.assert_allclose(ops.roi_align(x, per_image, 2, sampling_ratio=2).numpy(),
                               expected.numpy())
    module = ops.RoIAlign(2, 1.0, 2)
    np.testing.assert_allclose(module(x, per_image).numpy(), expected.numpy())
    assert "sampling_ratio=2" in repr(module)
    with pytest.raises(ValueError, match=r"roi_align: boxes must have shape \(K, 5\)"):
        ops.roi_align(x, ember.zeros(3, 4), 2)
    with pytest.raises(ValueError, match="batch indices must be in"):
        ops.roi_align(x, ember.tensor([[2.0, 0, 0, 1, 1]]), 2)


@pytest.mark.parametrize("aligned", [False, True])
def test_roi_align_gradcheck(aligned):
    rois = ember.from_numpy(ROIS[:3])
    check_gradcheck(lambda x: ops.roi_align(x, rois, (2, 3), 0.8, 2, aligned),
                    np.random.default_rng(12).normal(size=(2, 2, 7, 8)), gradgrad=True)


def reference_roi_pool(x, rois, ph, pw, scale):
    out = np.zeros((len(rois), x.shape[1], ph, pw))
    h, w = x.shape[-2:]

    def c_round(v):
        return math.floor(v + 0.5) if v >= 0 else -math.floor(-v + 0.5)
    for k, (b, x1, y1, x2, y2) in enumerate(rois):
        sx, sy, ex, ey = (c_round(v * scale) for v in (x1, y1, x2, y2))
        rw, rh = max(ex - sx + 1, 1), max(ey - sy + 1, 1)
        for i in range(ph):
            hs = min(max(math.floor(i * rh / ph) + sy, 0), h)
            he = min(max(math.ceil((i + 1) * rh / ph) + sy, 0), h)
            for j in range(pw):
                ws = min(max(math.floor(j * rw / pw) + sx, 0), w)
                we = min(max(math.ceil((j + 1) * rw / pw) + sx, 0), w)
                if he > hs and we > ws:
                    out[k, :, i, j] = x[int(b), :, hs:he, ws:we].max(axis=(1, 2))
    return out


@pytest.mark.parametrize("scale,size", [(1.0, (2, 2)), (0.5, (3, 2)), (1.3, (4, 4))])
def test_roi_pool_matches_reference(scale, size):
    x = np.random.default_rng(13).normal(size=(2, 3, 9, 10))
    rois = np.concatenate([ROIS, [[1, 30.0, 30.0, 40.0, 40.0]]])  # outside: empty bins
    out = ops.roi_pool(ember.from_numpy(x), ember.from_numpy(rois), size, scale)
    np.testing.assert_array_equal(out.numpy(), reference_roi_pool(x, rois, *size, scale))


def test_roi_pool_gradcheck():
    rois = ember.from_numpy(ROIS[:3])
    check_gradcheck(lambda x: ops.roi_pool(x, rois, 2, 0.9),
                    np.random.default_rng(14).normal(size=(2, 2, 7, 8)))


def torch_focal(m, inputs, targets, alpha, gamma, reduction):
    p = m.sigmoid(inputs)
    ce = m.nn.functional.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


@pytest.mark.parity
@pytest.mark.parametrize("alpha,gamma,reduction", [(0.25, 2.0, "none"), (-1, 1.5, "mean"),
                                                   (0.5, 0.0, "sum")])
def test_sigmoid_focal_loss_parity(alpha, gamma, reduction):
    targets = (np.random.default_rng(15).uniform(size=(4, 5)) > 0.5).astype(np.float64)
    logits = np.random.default_rng(16).normal(size=(4, 5))
    check_parity(lambda m, x, t: ops.sigmoid_focal_loss(x, t, alpha, gamma, reduction)
                 if m is ember else torch_focal(m, x, t, alpha, gamma, reduction),
                 logits, targets)


def test_sigmoid_focal_loss_gradcheck_and_errors():
    targets = ember.from_numpy((np.arange(12) % 2).astype(np.float64).reshape(3, 4))
    check_gradcheck(lambda x: ops.sigmoid_focal_loss(x, targets, reduction="sum"),
                    np.random.default_rng(17).normal(size=(3, 4)))
    with pytest.raises(ValueError, match="sigmoid_focal_loss: invalid reduction 'avg'"):
        ops.sigmoid_focal_loss(ember.zeros(2), ember.zeros(2), reduction="avg")


def test_feature_pyramid_network():
    ember.manual_seed(0)
    fpn = ops.FeaturePyramidNetwork([4, 8, 16], 6, extra_blocks=LastLevelMaxPool())
    assert sorted(fpn.state_dict()) == sorted(
        f"{kind}.{i}.0.{p}" for kind in ("inner_blocks", "layer_blocks") for i in range(3)
        for p in ("weight", "bias"))
    assert all(float(abs(v).sum()) == 0 for k, v in fpn.state_dict().items() if "bias" in k)
    features = OrderedDict(c3=ember.randn(2, 4, 16, 16), c4=ember.randn(2, 8, 8, 8),
                           c5=ember.randn(2, 16, 3, 3, requires_grad=True))
    out = fpn(features)
    assert list(out) == ["c3", "c4", "c5", "pool"]
    assert [tuple(v.shape) for v in out.values()] == [(2, 6, 16, 16), (2, 6, 8, 8),
                                                      (2, 6, 3, 3), (2, 6, 2, 2)]
    # The top level is the 3x3 conv of the 1x1 lateral of c5 alone.
    top = fpn.layer_blocks[2](fpn.inner_blocks[2](features["c5"]))
    np.testing.assert_allclose(out["c5"].detach().numpy(), top.detach().numpy(), rtol=1e-6)
    out["c3"].sum().backward()
    assert features["c5"].grad is not None
    p6p7 = ops.FeaturePyramidNetwork([4, 8], 6, extra_blocks=LastLevelP6P7(8, 6))
    names = list(p6p7(OrderedDict(a=ember.randn(1, 4, 8, 8), b=ember.randn(1, 8, 4, 4))))
    assert names == ["a", "b", "p6", "p7"]
    with pytest.raises(ValueError, match="in_channels=0"):
        ops.FeaturePyramidNetwork([0, 4], 6)
