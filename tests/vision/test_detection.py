"""embervision.models.detection: Faster R-CNN builds with torchvision's parameter count and
state_dict keys, detects in eval, returns its losses (and gradients) in training; its pieces
(anchors, box coding, matching, transform, multi-scale RoI pooling, frozen batch norm)."""
import math

import numpy as np
import pytest

import ember
from embervision import models
from embervision.models import detection
from embervision.models.detection._utils import BoxCoder, Matcher
from embervision.models.detection.image_list import ImageList
from embervision.ops import MultiScaleRoIAlign

SMALL = {"min_size": 64, "max_size": 96, "rpn_pre_nms_top_n_test": 50,
         "rpn_post_nms_top_n_test": 20, "rpn_pre_nms_top_n_train": 50,
         "rpn_post_nms_top_n_train": 20, "rpn_batch_size_per_image": 32,
         "box_batch_size_per_image": 16, "box_score_thresh": 0.0, "box_detections_per_img": 8}


@pytest.fixture(scope="module")
def model():
    ember.manual_seed(0)
    return detection.fasterrcnn_resnet50_fpn(weights_backbone=None, num_classes=5, **SMALL)


def _images():
    gen = ember.Generator().manual_seed(1)
    return [ember.rand(3, 50, 70, generator=gen), ember.rand(3, 64, 48, generator=gen)]


def test_registered_with_weights():
    assert "fasterrcnn_resnet50_fpn" in models.list_models(module=detection)
    weights = models.get_model_weights("fasterrcnn_resnet50_fpn")
    assert weights is detection.FasterRCNN_ResNet50_FPN_Weights
    assert weights.DEFAULT.url.endswith("fasterrcnn_resnet50_fpn_coco-258fb6c6.pth")
    assert weights.DEFAULT.meta["num_params"] == 41755286
    assert len(weights.DEFAULT.meta["categories"]) == 91


def test_num_params_and_keys():
    # The published model: FrozenBatchNorm2d in the backbone (buffers, not parameters).
    backbone = detection.resnet_fpn_backbone(backbone_name="resnet50", weights=None,
                                             trainable_layers=5)
    model = detection.FasterRCNN(backbone, num_classes=91)
    assert sum(p.numel() for p in model.parameters()) == 41755286
    keys = set(model.state_dict())
    for key in ("backbone.body.layer1.0.conv1.weight", "backbone.body.bn1.running_var",
                "backbone.fpn.inner_blocks.0.0.weight", "backbone.fpn.layer_blocks.3.0.bias",
                "rpn.head.conv.0.0.weight", "rpn.head.cls_logits.weight",
                "rpn.head.bbox_pred.bias", "roi_heads.box_head.fc6.weight",
                "roi_heads.box_head.fc7.bias", "roi_heads.box_predictor.cls_score.weight",
                "roi_heads.box_predictor.bbox_pred.weight"):
        assert key in keys, key
    assert not any(k.endswith("num_batches_tracked") for k in keys)


def test_trainable_layers():
    backbone = detection.resnet_fpn_backbone(backbone_name="resnet50", weights=None,
                                             trainable_layers=2)
    trainable = {n.split(".")[1] for n, p in backbone.named_parameters()
                 if p.requires_grad and n.startswith("body.")}
    assert trainable == {"layer3", "layer4"}
    with pytest.raises(ValueError, match="range"):
        detection.resnet_fpn_backbone(backbone_name="resnet50", weights=None,
                                      trainable_layers=6)


def test_eval_forward(model):
    model.eval()
    with ember.no_grad():
        out = model(_images())
    assert len(out) == 2
    for det, (h, w) in zip(out, [(50, 70), (64, 48)]):
        assert set(det) == {"boxes", "labels", "scores"}
        n = det["boxes"].shape[0]
        assert 0 < n <= SMALL["box_detections_per_img"]
        assert det["boxes"].shape == (n, 4) and det["boxes"].dtype == ember.float32
        assert det["labels"].shape == (n,) and det["labels"].dtype == ember.int64
        assert det["scores"].dtype == ember.float32
        boxes = det["boxes"].numpy()
        # Boxes are mapped back to the input image, inside it.
        assert boxes.min() >= 0 and boxes[:, 2].max() <= w + 1e-3 and boxes[:, 3].max() <= h + 1e-3
        assert (np.diff(det["scores"].numpy()) <= 0).all()  # by decreasing score
        assert set(det["labels"].tolist()) <= {1, 2, 3, 4}


def test_training_forward_backward(model):
    model.train()
    targets = [{"boxes": ember.tensor([[5.0, 6.0, 30.0, 40.0], [20.0, 10.0, 45.0, 30.0]]),
                "labels": ember.tensor([1, 2])},
               {"boxes": ember.zeros((0, 4)), "labels": ember.zeros((0,), dtype=ember.int64)}]
    try:
        losses = model(_images(), targets)
    finally:
        model.eval()
    assert set(losses) == {"loss_classifier", "loss_box_reg", "loss_objectness",
                           "loss_rpn_box_reg"}
    assert all(v.ndim == 0 and math.isfinite(v.item()) for v in losses.values())
    model.zero_grad()
    sum(losses.values()).backward()
    assert model.roi_heads.box_predictor.cls_score.weight.grad.abs().sum().item() > 0
    assert model.rpn.head.cls_logits.weight.grad.abs().sum().item() > 0
    assert model.backbone.body.layer4[0].conv1.weight.grad is not None


def test_training_needs_valid_targets(model):
    model.train()
    try:
        with pytest.raises(ValueError, match="targets should not be None"):
            model(_images())
        bad = [{"boxes": ember.tensor([[5.0, 6.0, 5.0, 40.0]]), "labels": ember.tensor([1])}]
        with pytest.raises(ValueError, match="positive height and width"):
            model(_images()[:1], bad)
    finally:
        model.eval()


def test_builder_errors():
    with pytest.raises(ValueError, match="num_classes should be None"):
        detection.FasterRCNN(detection.resnet_fpn_backbone(backbone_name="resnet50",
                                                           weights=None),
                             num_classes=3, box_predictor=detection.FastRCNNPredictor(1024, 3))
    with pytest.raises(ValueError, match="out_channels"):
        detection.FasterRCNN(ember.nn.Identity(), num_classes=3)


def test_transform_resize_pad_and_postprocess():
    t = detection.GeneralizedRCNNTransform(64, 96, [0.5] * 3, [0.25] * 3).eval()
    images, _ = t([ember.full((3, 50, 70), 0.5), ember.full((3, 64, 48), 0.75)])
    # Scales min(64/50, 96/70) = 1.28 -> 64x89 and min(64/48, 96/64) = 4/3 -> 85x64, both
    # padded to 96x96 (multiples of 32).
    assert images.image_sizes == [(64, 89), (85, 64)]
    assert tuple(images.tensors.shape) == (2, 3, 96, 96)
    data = images.tensors.numpy()
    np.testing.assert_allclose(data[0, :, :64, :89], 0.0, atol=1e-6)
    np.testing.assert_allclose(data[1, :, :85, :64], 1.0, atol=1e-6)
    assert (data[1, :, :, 64:] == 0).all() and (data[1, :, 85:] == 0).all()
    result = t.postprocess([{"boxes": ember.tensor([[0.0, 0.0, 89.0, 64.0]])}], [(64, 89)],
                           [(50, 70)])
    np.testing.assert_allclose(result[0]["boxes"].numpy(), [[0, 0, 70, 50]], rtol=1e-5)
    with pytest.raises(TypeError, match="floating type"):
        t([ember.zeros((3, 8, 8), dtype=ember.uint8)])
    with pytest.raises(ValueError, match="3d tensors"):
        t([ember.zeros((8, 8))])


def test_anchor_generator():
    gen = detection.AnchorGenerator(((32,), (64,)), ((0.5, 1.0, 2.0),) * 2)
    assert gen.num_anchors_per_location() == [3, 3]
    images = ImageList(ember.zeros((1, 3, 32, 64)), [(30, 60)])
    anchors = gen(images, [ember.zeros((1, 8, 8, 16)), ember.zeros((1, 8, 4, 8))])
    assert len(anchors) == 1 and anchors[0].shape == (8 * 16 * 3 + 4 * 8 * 3, 4)
    # Aspect ratio 1, size 32 at the origin; the next position is one stride (4) to the right.
    np.testing.assert_array_equal(anchors[0][1].numpy(), [-16, -16, 16, 16])
    np.testing.assert_array_equal(anchors[0][4].numpy(), [-12, -16, 20, 16])


def test_box_coder_roundtrip():
    coder = BoxCoder((10.0, 10.0, 5.0, 5.0))
    proposals = ember.tensor([[0.0, 0.0, 10.0, 20.0], [5.0, 5.0, 25.0, 15.0]])
    gt = ember.tensor([[1.0, 2.0, 12.0, 18.0], [4.0, 6.0, 30.0, 14.0]])
    codes = coder.encode_single(gt, proposals)
    np.testing.assert_allclose(coder.decode(codes, [proposals]).reshape(-1, 4).numpy(),
                               gt.numpy(), rtol=1e-5, atol=1e-4)


def test_matcher():
    iou = ember.tensor([[0.9, 0.4, 0.1, 0.2], [0.1, 0.6, 0.2, 0.25]])
    np.testing.assert_array_equal(Matcher(0.7, 0.3)(iou).numpy(), [0, -2, -1, -1])
    # Low-quality matches keep each ground truth's best prediction (index 1 for gt 1).
    np.testing.assert_array_equal(Matcher(0.7, 0.3, True)(iou).numpy(), [0, 1, -1, -1])


def test_multiscale_roi_align_levels():
    pool = MultiScaleRoIAlign(["a", "b"], output_size=2, sampling_ratio=2)
    feats = {"a": ember.ones(1, 1, 64, 64), "b": 2 * ember.ones(1, 1, 32, 32),
             "ignored": ember.zeros(1, 1, 16, 16)}
    # Level floor(4 + log2(sqrt(area) / 224)) clamped to [2, 3]: a 200-pixel box pools from the
    # coarser map (value 2), an 8-pixel box from the finer one (value 1).
    boxes = [ember.tensor([[0.0, 0.0, 200.0, 200.0], [0.0, 0.0, 8.0, 8.0]])]
    out = pool(feats, boxes, [(256, 256)])
    assert pool.scales == [0.25, 0.125]
    np.testing.assert_allclose(out[:, 0, 0, 0].numpy(), [2.0, 1.0])


def test_frozen_batchnorm_loads_batchnorm_state():
    bn = ember.nn.BatchNorm2d(4).eval()
    for name in ("weight", "bias", "running_mean"):
        getattr(bn, name).data.copy_(ember.randn(4))
    bn.running_var.data.copy_(ember.rand(4) + 0.5)
    frozen = detection.FrozenBatchNorm2d(4)
    frozen.load_state_dict(bn.state_dict())  # strict: num_batches_tracked is dropped
    x = ember.randn(2, 4, 3, 3)
    with ember.no_grad():
        np.testing.assert_allclose(frozen(x).numpy(), bn(x).numpy(), rtol=1e-5, atol=1e-5)
    assert not list(frozen.parameters())
