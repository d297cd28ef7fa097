"""The weights entries beyond IMAGENET1K_V1 that need builder support: ViT-B/16's two SWAG
checkpoints (the end-to-end one at 384 px) and VGG-16's SSD feature-extractor trunk
(IMAGENET1K_FEATURES, a NaN classifier and 0-255 normalization). No download: the builders' load
step is fed a state_dict built here."""
import math

import numpy as np
import pytest

import ember
from embervision import models
from embervision.models._imagenet_categories import _IMAGENET_CATEGORIES

ViT = models.ViT_B_16_Weights
VGG16 = models.VGG16_Weights
SWAG_LICENSE = "https://github.com/facebookresearch/SWAG/blob/main/LICENSE"
# name: (url file, side, num_params, acc@1, acc@5, recipe)
SWAG = {
    "IMAGENET1K_SWAG_E2E_V1": ("vit_b_16_swag-9ac1b537.pth", 384, 86859496, 85.304, 97.65,
                               "https://github.com/facebookresearch/SWAG"),
    "IMAGENET1K_SWAG_LINEAR_V1": ("vit_b_16_lc_swag-4e70ced5.pth", 224, 86567656, 81.886, 96.18,
                                  "https://github.com/pytorch/vision/pull/5793"),
}
VGG_FEATURES_MEAN = (0.48235, 0.45882, 0.40784)


@pytest.fixture
def skip_init(monkeypatch):
    """The checkpoint (or the test) sets every value; ~100M random draws would be wasted."""
    for name in ("normal_", "uniform_", "kaiming_normal_", "kaiming_uniform_", "trunc_normal_",
                 "xavier_uniform_", "constant_"):
        monkeypatch.setattr(ember.nn.init, name, lambda tensor, *a, **k: tensor)


def _serve(monkeypatch, weights_enum, state_dict):
    """Make every member of `weights_enum` "download" `state_dict`, recording the calls."""
    calls = []

    def get_state_dict(self, *args, **kwargs):
        calls.append((self, kwargs))
        return state_dict
    monkeypatch.setattr(weights_enum, "get_state_dict", get_state_dict)
    return calls


@pytest.mark.parametrize("name", sorted(SWAG))
def test_swag_entries(name):
    file_name, side, num_params, acc1, acc5, recipe = SWAG[name]
    member = ViT[name]
    assert member.url == f"https://download.pytorch.org/models/{file_name}"
    meta = member.meta
    assert meta["categories"] is _IMAGENET_CATEGORIES
    assert meta["min_size"] == (side, side) and meta["num_params"] == num_params
    assert meta["recipe"] == recipe and meta["license"] == SWAG_LICENSE
    assert meta["_metrics"] == {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}}
    preset = member.transforms()
    assert preset.crop_size == [side] and preset.resize_size == [side]
    assert preset.interpolation == "bicubic"
    assert ViT.DEFAULT is ViT.IMAGENET1K_V1
    assert ViT.verify(f"ViT_B_16_Weights.{name}") is member


def test_vgg16_features_entry():
    member = VGG16.IMAGENET1K_FEATURES
    assert member.url == ("https://download.pytorch.org/models/"
                          "vgg16_features-amdegroot-88682ab5.pth")
    meta = member.meta
    assert meta["categories"] is None
    assert meta["min_size"] == (32, 32) and meta["num_params"] == 138357544
    assert meta["recipe"] == "https://github.com/amdegroot/ssd.pytorch#training-ssd"
    assert all(math.isnan(v) for v in meta["_metrics"]["ImageNet-1K"].values())
    assert set(meta["_metrics"]["ImageNet-1K"]) == {"acc@1", "acc@5"}
    assert VGG16.DEFAULT is VGG16.IMAGENET1K_V1
    assert list(VGG16) == [VGG16.IMAGENET1K_V1, VGG16.IMAGENET1K_FEATURES]


def test_vgg16_features_transforms_work_in_0_255_units():
    preset = VGG16.IMAGENET1K_FEATURES.transforms()
    assert preset.crop_size == [224] and preset.resize_size == [256]
    assert preset.interpolation == "bilinear"
    from PIL import Image
    image = Image.fromarray(np.full((240, 300, 3), 200, dtype=np.uint8))
    out = preset(image).numpy()
    assert out.shape == (3, 224, 224)
    # SSD's trunk saw raw pixel values minus the mean pixel: std 1/255 undoes the [0, 1] scaling.
    expected = 200.0 - 255.0 * np.array(VGG_FEATURES_MEAN)
    np.testing.assert_allclose(out, np.broadcast_to(expected[:, None, None], out.shape),
                               rtol=1e-5)


def test_vit_b_16_swag_e2e_builds_at_384(skip_init, monkeypatch):
    # The checkpoint's position embedding covers (384 / 16)^2 patches and the class token.
    source = models.vit_b_16(image_size=384)
    source.encoder.pos_embedding.data.fill_(0.25)
    calls = _serve(monkeypatch, ViT, source.state_dict())
    model = models.vit_b_16(weights=ViT.IMAGENET1K_SWAG_E2E_V1, progress=False)
    assert calls == [(ViT.IMAGENET1K_SWAG_E2E_V1, {"progress": False, "check_hash": True})]
    assert model.image_size == 384 and model.seq_length == 577
    assert model.encoder.pos_embedding.shape == (1, 577, 768)
    assert np.all(model.encoder.pos_embedding.detach().numpy() == 0.25)
    assert sum(p.numel() for p in model.parameters()) == 86859496
    assert model.heads.head.out_features == 1000
    # Anything else than 384-px input is refused before any compute.
    with pytest.raises(ValueError, match="384x384"):
        model(ember.zeros(1, 3, 224, 224))
    with pytest.raises(ValueError, match="image_size"):
        models.vit_b_16(weights="IMAGENET1K_SWAG_E2E_V1", image_size=224)


def test_vit_b_16_swag_linear_builds_at_224(skip_init, monkeypatch):
    source = models.vit_b_16()
    _serve(monkeypatch, ViT, source.state_dict())
    model = models.vit_b_16(weights="IMAGENET1K_SWAG_LINEAR_V1")
    assert model.image_size == 224
    assert sum(p.numel() for p in model.parameters()) == 86567656


def test_vgg16_features_loads_nan_classifier(skip_init, monkeypatch):
    """As torchvision: the weights fix no num_classes (they have no categories), and the NaN
    classifier loads unchanged while the convolutional trunk stays usable."""
    source = models.vgg16()
    for p in source.features.parameters():
        p.data.fill_(0.01)
    for p in source.classifier.parameters():
        p.data.fill_(float("nan"))
    _serve(monkeypatch, VGG16, source.state_dict())
    model = models.vgg16(weights="IMAGENET1K_FEATURES").eval()
    assert np.isnan(model.classifier[6].weight.detach().numpy()).all()
    with ember.no_grad():
        features = model.features(ember.ones(1, 3, 32, 32))
        assert features.shape == (1, 512, 1, 1)
        assert np.isfinite(features.numpy()).all() and (features.numpy() > 0).all()
        assert np.isnan(model(ember.ones(1, 3, 32, 32)).numpy()).all()
    # num_classes is not forced to 1000 by these weights: a mismatch surfaces at load time
    # (the head alone is served, enough for the error and cheaper than a second full load).
    _serve(monkeypatch, VGG16, {k: v for k, v in source.state_dict().items()
                                if k.startswith("classifier.6.")})
    with pytest.raises(RuntimeError, match=r"size mismatch for classifier\.6\.weight"):
        models.vgg16(weights="IMAGENET1K_FEATURES", num_classes=10)
    with pytest.raises(ValueError, match="num_classes"):
        models.vgg16(weights="IMAGENET1K_V1", num_classes=10)


# --- against torchvision ------------------------------------------------------------------------

def _pil_image():
    """Full-range noise with pure black and white blocks: bicubic overshoots there, and Pillow
    clips its intermediate uint8 pass (torchvision's PIL path), which ours must follow."""
    from PIL import Image
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, (300, 451, 3), dtype=np.uint8)
    pixels[40:120, 60:200] = 0
    pixels[150:260, 200:330] = 255
    pixels[:, ::9] = 255
    return Image.fromarray(pixels)


@pytest.mark.parity_vision
def test_swag_e2e_state_dict_and_output_match_torchvision(skip_init, monkeypatch, tmp_path):
    torch = pytest.importorskip("torch")
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    reference = torchvision.models.vit_b_16(image_size=384).eval()
    with torch.no_grad():  # the head starts at zero: give it values so the output means something
        reference.heads.head.weight.normal_(std=0.02)
        reference.heads.head.bias.normal_(std=0.02)
    path = tmp_path / "state.pt"
    torch.save(reference.state_dict(), path)
    state_dict = ember.load(str(path))
    _serve(monkeypatch, ViT, state_dict)
    # The builder loads with strict=True: a missing, extra or misshapen key would raise here.
    model = models.vit_b_16(weights=ViT.IMAGENET1K_SWAG_E2E_V1).eval()
    x = np.random.default_rng(0).standard_normal((1, 3, 384, 384)).astype(np.float32)
    with torch.no_grad():
        expected = reference(torch.from_numpy(x)).numpy()
    with ember.no_grad():
        actual = model(ember.tensor(x)).numpy()
    np.testing.assert_allclose(actual, expected, atol=1e-4, rtol=0)


@pytest.mark.parity_vision
@pytest.mark.parametrize("name", ["ViT_B_16_Weights.IMAGENET1K_SWAG_E2E_V1",
                                  "ViT_B_16_Weights.IMAGENET1K_SWAG_LINEAR_V1",
                                  "VGG16_Weights.IMAGENET1K_FEATURES"])
def test_transforms_match_torchvision(name):
    torchvision = pytest.importorskip("torchvision")
    ours, theirs = models.get_weight(name), torchvision.models.get_weight(name)
    assert ours.url == theirs.url
    assert ours.meta["min_size"] == theirs.meta["min_size"]
    assert ours.meta["num_params"] == theirs.meta["num_params"]
    assert ours.meta.get("license") == theirs.meta.get("license")
    assert ours.meta["recipe"] == theirs.meta["recipe"]
    np.testing.assert_equal(ours.meta["_metrics"], theirs.meta["_metrics"])
    assert (ours.meta["categories"] is None) == (theirs.meta["categories"] is None)
    expected = theirs.transforms()(_pil_image()).numpy()
    actual = ours.transforms()(_pil_image()).numpy()
    # Same Pillow resize and crop, same float32 scaling and normalization: bit for bit.
    assert actual.dtype == expected.dtype
    np.testing.assert_array_equal(actual, expected)
