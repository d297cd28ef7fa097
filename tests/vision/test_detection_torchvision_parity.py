"""fasterrcnn_resnet50_fpn against torchvision (the `parity_vision` session): torchvision's
randomly initialised, perturbed state_dict, saved by torch, loads into ember's model with
strict=True; in eval the transformed batch, the RPN proposals and the final detections match."""
import numpy as np
import pytest

import ember
from embervision.models import detection

pytestmark = pytest.mark.parity_vision

# Small images and few proposals keep both models fast; a low score threshold keeps detections
# from a random head (its softmax over 91 classes is near uniform).
KWARGS = {"min_size": 320, "max_size": 480, "rpn_pre_nms_top_n_test": 300,
          "rpn_post_nms_top_n_test": 100, "box_score_thresh": 0.02, "box_detections_per_img": 40}
# The first image resizes by exactly 2 to a multiple of 32; the second needs the bilinear
# resize with a recomputed scale and padding.
SHAPES = [(3, 160, 240), (3, 150, 203)]


@pytest.fixture(scope="module")
def models_and_images(tmp_path_factory):
    torch = pytest.importorskip("torch")
    torchvision = pytest.importorskip("torchvision")
    torch.set_num_threads(2)
    torch.manual_seed(0)
    reference = torchvision.models.detection.fasterrcnn_resnet50_fpn(
        weights=None, weights_backbone=None, **KWARGS).eval()
    _perturb(torch, reference)
    with torch.no_grad():
        # The random backbone's features are in the hundreds, so its box deltas would be tens:
        # boxes then come out as differences of huge float32 numbers, where rounding alone is
        # off by a pixel fraction. Trained-like deltas (order one) keep the comparison tight.
        for layer in (reference.rpn.head.bbox_pred, reference.roi_heads.box_predictor.bbox_pred):
            layer.weight.mul_(0.02)
            layer.bias.mul_(0.02)
    model = detection.fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None,
                                              **KWARGS).eval()
    _transfer(torch, reference, model, tmp_path_factory.mktemp("frcnn"))
    rng = np.random.default_rng(0)
    images = [rng.random(shape, dtype=np.float32) for shape in SHAPES]
    return torch, reference, model, images


def _perturb(torch, model):
    """Non-trivial values everywhere (zero-initialised biases and unit norms would hide a
    wrong mapping); the classification parity test does the same."""
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if not t.is_floating_point():
                continue
            noise = torch.randn(t.shape, generator=gen)
            if name.endswith("running_var"):
                t.copy_(0.5 + torch.rand(t.shape, generator=gen))
            elif name.endswith("running_mean") or name.endswith("bias"):
                t.copy_(0.1 * noise)
            elif t.ndim == 1:
                t.copy_(1.0 + 0.1 * noise)


def _transfer(torch, reference, model, directory):
    path = directory / "state.pt"
    torch.save(reference.state_dict(), path)
    result = model.load_state_dict(ember.load(str(path)), strict=True)
    assert not result.missing_keys and not result.unexpected_keys


def _match(actual, expected):
    """Index of the actual detection paired with each expected one: same label, nearest box.
    Scores of a random head are close to one another, so near-ties may come in another order;
    the pairing must still be one to one."""
    a_boxes, e_boxes = actual["boxes"].numpy(), expected["boxes"].numpy()
    distance = np.abs(e_boxes[:, None, :] - a_boxes[None, :, :]).max(-1)
    distance[expected["labels"].numpy()[:, None] != actual["labels"].numpy()[None, :]] = np.inf
    pairing = distance.argmin(1)
    assert sorted(pairing) == list(range(len(a_boxes)))
    return pairing


def test_state_dict_keys_match(models_and_images):
    _, reference, model, _ = models_and_images
    assert list(model.state_dict()) == list(reference.state_dict())


def test_transform(models_and_images):
    torch, reference, model, images = models_and_images
    with torch.no_grad():
        expected = reference.transform([torch.from_numpy(x) for x in images])[0]
    with ember.no_grad():
        actual = model.transform([ember.tensor(x) for x in images])[0]
    assert actual.image_sizes == [tuple(s) for s in expected.image_sizes]
    np.testing.assert_allclose(actual.tensors.numpy(), expected.tensors.numpy(), rtol=1e-5,
                               atol=1e-5)


def test_rpn_proposals(models_and_images):
    torch, reference, model, images = models_and_images
    with torch.no_grad():
        image_list = reference.transform([torch.from_numpy(x) for x in images])[0]
        expected = reference.rpn(image_list, reference.backbone(image_list.tensors))[0]
    with ember.no_grad():
        image_list = model.transform([ember.tensor(x) for x in images])[0]
        actual = model.rpn(image_list, model.backbone(image_list.tensors))[0]
    for a, e in zip(actual, expected):
        assert a.shape == tuple(e.shape)
        # Proposals come by decreasing objectness; compare them as sets of boxes.
        a, e = a.numpy(), e.numpy()
        a, e = a[np.lexsort(a.T[::-1])], e[np.lexsort(e.T[::-1])]
        np.testing.assert_allclose(a, e, rtol=1e-3, atol=1e-2)


def test_detections(models_and_images):
    torch, reference, model, images = models_and_images
    with torch.no_grad():
        expected = reference([torch.from_numpy(x) for x in images])
    with ember.no_grad():
        actual = model([ember.tensor(x) for x in images])
    for a, e in zip(actual, expected):
        assert a["boxes"].dtype == ember.float32 and a["labels"].dtype == ember.int64
        assert len(a["scores"]) == len(e["scores"]) > 0
        pairing = _match(a, e)
        np.testing.assert_allclose(a["scores"].numpy()[pairing], e["scores"].numpy(),
                                   rtol=1e-3, atol=1e-5)
        np.testing.assert_allclose(a["boxes"].numpy()[pairing], e["boxes"].numpy(), rtol=1e-3,
                                   atol=1e-2)


def test_frozen_batchnorm_backbone(tmp_path):
    """The published checkpoint's layout: FrozenBatchNorm2d buffers, no num_batches_tracked."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("torchvision")
    from torchvision.models.detection.backbone_utils import resnet_fpn_backbone
    torch.manual_seed(0)
    reference = resnet_fpn_backbone(backbone_name="resnet50", weights=None).eval()
    _perturb(torch, reference)
    model = detection.resnet_fpn_backbone(backbone_name="resnet50", weights=None).eval()
    _transfer(torch, reference, model, tmp_path)
    assert list(model.state_dict()) == list(reference.state_dict())
    x = np.random.default_rng(0).random((1, 3, 64, 96), dtype=np.float32)
    with torch.no_grad():
        expected = reference(torch.from_numpy(x))
    with ember.no_grad():
        actual = model(ember.tensor(x))
    assert list(actual) == list(expected)
    for key in expected:
        e = expected[key].numpy()
        np.testing.assert_allclose(actual[key].numpy(), e, rtol=1e-4,
                                   atol=1e-4 * np.abs(e).max())
