"""The newer embervision builders (EfficientNet, ConvNeXt, RegNet, ShuffleNetV2, GoogLeNet,
Inception v3, ViT, Swin, segmentation): published parameter counts, naming conventions, and a
forward/backward pass at a small input for the small ones. No torch needed."""
import numpy as np
import pytest

import ember
from embervision import models
from embervision.models import segmentation

# The published parameter counts (torchvision's `meta["num_params"]`).
NUM_PARAMS = {
    "efficientnet_b0": 5288548, "efficientnet_b1": 7794184, "efficientnet_b2": 9109994,
    "efficientnet_b3": 12233232, "efficientnet_b4": 19341616, "efficientnet_b5": 30389784,
    "efficientnet_b6": 43040704, "efficientnet_b7": 66347960, "efficientnet_v2_s": 21458488,
    "convnext_tiny": 28589128, "convnext_small": 50223688, "regnet_y_400mf": 4344144,
    "shufflenet_v2_x1_0": 2278604, "googlenet": 6624904, "inception_v3": 27161264,
    "vit_b_16": 86567656, "vit_b_32": 88224232, "swin_t": 28288354,
    "fcn_resnet50": 35322218, "deeplabv3_resnet50": 42004074,
    "lraspp_mobilenet_v3_large": 3221538,
}
SEGMENTATION = {"fcn_resnet50", "deeplabv3_resnet50", "lraspp_mobilenet_v3_large"}
# Builder arguments that give the published checkpoint's architecture without downloading:
# googlenet's checkpoint drops the auxiliary heads, the segmentation ones keep theirs.
BUILD = {"googlenet": {"aux_logits": False}, "fcn_resnet50": {"aux_loss": True},
         "deeplabv3_resnet50": {"aux_loss": True}}
# name: (input side, builder arguments), small enough for a quick forward and backward.
SMALL = {"efficientnet_b0": (32, {}), "regnet_y_400mf": (32, {}),
         "shufflenet_v2_x1_0": (32, {}), "googlenet": (32, {"aux_logits": False})}


@pytest.fixture
def skip_init(monkeypatch):
    """Counting parameters needs no random numbers (the big models draw ~100M of them)."""
    for name in ("normal_", "uniform_", "kaiming_normal_", "kaiming_uniform_", "trunc_normal_",
                 "xavier_uniform_", "constant_"):
        monkeypatch.setattr(ember.nn.init, name, lambda tensor, *a, **k: tensor)


def _build(name, **kwargs):
    if name in SEGMENTATION:
        kwargs.setdefault("weights_backbone", None)  # no download of the ImageNet backbone
    return models.get_model(name, **kwargs)


# Checkpoints whose architecture differs from the builder's default: ViT-B/16 SWAG E2E runs at
# 384 px (a longer position embedding; tests/vision/test_weights_extra.py builds it).
OTHER_NUM_PARAMS = {"ViT_B_16_Weights.IMAGENET1K_SWAG_E2E_V1": 86859496}


@pytest.mark.parametrize("name", sorted(NUM_PARAMS))
def test_num_params(name, skip_init):
    model = _build(name, **BUILD.get(name, {}))
    assert sum(p.numel() for p in model.parameters()) == NUM_PARAMS[name]
    for weights in models.get_model_weights(name):
        expected = OTHER_NUM_PARAMS.get(repr(weights), NUM_PARAMS[name])
        assert weights.meta["num_params"] == expected


def test_registry():
    assert set(NUM_PARAMS) <= set(models.list_models())
    assert set(models.list_models(module=segmentation)) == SEGMENTATION
    assert not SEGMENTATION & set(models.list_models(module=models))


@pytest.mark.parametrize("name", sorted(NUM_PARAMS))
def test_naming_conventions(name):
    builder = models.get_model_builder(name)
    module = segmentation if name in SEGMENTATION else models
    assert getattr(module, name) is builder
    weights_enum = models.get_model_weights(name)
    assert getattr(module, weights_enum.__name__) is weights_enum
    assert weights_enum.__name__.replace("_", "").lower() == \
        name.replace("_", "").lower() + "weights"
    assert "DEFAULT" in weights_enum.__members__
    for member in weights_enum:
        assert member.url.startswith("https://download.pytorch.org/models/")
        assert {"min_size", "num_params", "_metrics"} <= set(member.meta)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_forward_backward(name):
    ember.manual_seed(0)
    size, kwargs = SMALL[name]
    model = models.get_model(name, num_classes=10, **kwargs)
    x = ember.randn(2, 3, size, size)
    out = model(x)
    assert out.shape == (2, 10)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.eval()
    with ember.no_grad():
        assert model(x[:1]).shape == (1, 10)


# The transformer-era models at a fraction of their width and depth (the same code paths; the
# full-size ones draw ~100M random numbers just to initialise).
TINY = {
    "convnext": lambda: models.ConvNeXt([models.convnext.CNBlockConfig(8, 16, 1),
                                         models.convnext.CNBlockConfig(16, None, 2)],
                                        num_classes=10),
    "vit": lambda: models.VisionTransformer(image_size=32, patch_size=8, num_layers=2,
                                            num_heads=2, hidden_dim=16, mlp_dim=32,
                                            num_classes=10),
    "swin": lambda: models.SwinTransformer(patch_size=[2, 2], embed_dim=8, depths=[2, 2],
                                           num_heads=[2, 2], window_size=[4, 4],
                                           num_classes=10),
    "efficientnet_v2": lambda: models.EfficientNet(
        [models.efficientnet.FusedMBConvConfig(1, 3, 1, 8, 8, 2),
         models.efficientnet.FusedMBConvConfig(4, 3, 2, 8, 16, 1),
         models.efficientnet.MBConvConfig(4, 3, 2, 16, 24, 2)], 0.2, num_classes=10),
}


@pytest.mark.parametrize("name", sorted(TINY))
def test_tiny_forward_backward(name):
    ember.manual_seed(0)
    model = TINY[name]()
    x = ember.randn(2, 3, 32, 32)
    out = model(x)
    assert out.shape == (2, 10)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.eval()
    with ember.no_grad():
        assert np.isfinite(model(x).numpy()).all()


def test_training_outputs_of_aux_heads():
    ember.manual_seed(0)
    out = models.googlenet(num_classes=5)(ember.randn(2, 3, 32, 32))
    assert [o.shape for o in out] == [(2, 5)] * 3
    model = models.inception_v3(num_classes=5, init_weights=False).eval()
    with ember.no_grad():
        assert model(ember.randn(1, 3, 75, 75)).shape == (1, 5)


def test_lraspp_forward_backward():
    ember.manual_seed(0)
    model = segmentation.lraspp_mobilenet_v3_large(weights_backbone=None, num_classes=3)
    out = model(ember.randn(2, 3, 32, 48))["out"]
    assert out.shape == (2, 3, 32, 48)
    out.sum().backward()
    model.eval()
    with ember.no_grad():
        assert np.isfinite(model(ember.randn(1, 3, 32, 32))["out"].numpy()).all()


def test_errors():
    with pytest.raises(ValueError, match="divisible"):
        models.VisionTransformer(30, 16, 1, 2, 8, 8)
    with pytest.raises(ValueError, match="expected 32x32"):
        models.VisionTransformer(32, 16, 1, 2, 8, 8)(ember.randn(1, 3, 64, 64))
    with pytest.raises(NotImplementedError):
        segmentation.lraspp_mobilenet_v3_large(weights_backbone=None, aux_loss=True)
    with pytest.raises(ValueError, match="num_classes"):
        segmentation.fcn_resnet50(weights="DEFAULT", num_classes=3)
