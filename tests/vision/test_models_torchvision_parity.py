"""embervision against torchvision itself (the `parity_vision` nox session installs it): for
every registered builder, torchvision's randomly initialised (then perturbed) state_dict, saved
by torch, loads into ember's model with strict=True and gives the same eval outputs; the weights
enums point at torchvision's URLs; deterministic transforms match on the same input."""
import numpy as np
import pytest

import ember
from embervision import models

pytestmark = pytest.mark.parity_vision

# Input side per builder (small where the architecture allows) and extra builder arguments
# given to both libraries.
SIZE = {"inception_v3": 75, "alexnet": 64, "swin_t": 64}
KWARGS = {"vit_b_16": {"image_size": 32}, "vit_b_32": {"image_size": 64}}
SIZE.update({"vit_b_16": 32, "vit_b_32": 64})
SEGMENTATION = ["deeplabv3_resnet50", "fcn_resnet50", "lraspp_mobilenet_v3_large"]


@pytest.fixture(scope="module")
def tv():
    torch = pytest.importorskip("torch")
    torchvision = pytest.importorskip("torchvision")
    torch.set_num_threads(2)
    return torch, torchvision


@pytest.fixture
def skip_init(monkeypatch):
    """ember's model is overwritten by the loaded state_dict; its random init is wasted time."""
    for name in ("normal_", "uniform_", "kaiming_normal_", "kaiming_uniform_", "trunc_normal_",
                 "xavier_uniform_"):
        monkeypatch.setattr(ember.nn.init, name, lambda tensor, *a, **k: tensor)


def _perturb(torch, model):
    """Give every tensor non-trivial values (zero-initialised heads, unit norms and fresh
    running statistics would hide a wrong mapping)."""
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
            elif t.ndim == 1:  # norm scales
                t.copy_(1.0 + 0.1 * noise)
            elif bool((t == 0).all()):
                t.copy_(0.02 * noise)


def _transfer(torch, tv_model, ember_model, tmp_path):
    path = tmp_path / "state.pt"
    torch.save(tv_model.state_dict(), path)
    result = ember_model.load_state_dict(ember.load(str(path)), strict=True)
    assert not result.missing_keys and not result.unexpected_keys


def _close(actual, expected):
    expected = expected.detach().numpy()
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-4, atol=1e-4 * scale)


def _classification_names():
    return models.list_models(module=models)


@pytest.mark.parametrize("name", _classification_names())
def test_classification_parity(name, tv, tmp_path, skip_init):
    torch, torchvision = tv
    kwargs = KWARGS.get(name, {})
    torch.manual_seed(0)
    reference = torchvision.models.get_model(name, **kwargs).eval()
    _perturb(torch, reference)
    model = models.get_model(name, **kwargs).eval()
    _transfer(torch, reference, model, tmp_path)
    size = SIZE.get(name, 32)
    x = np.random.default_rng(0).standard_normal((2, 3, size, size)).astype(np.float32)
    with torch.no_grad():
        expected = reference(torch.from_numpy(x))
    with ember.no_grad():
        actual = model(ember.tensor(x))
    _close(actual, expected)


@pytest.mark.parametrize("name", SEGMENTATION)
def test_segmentation_parity(name, tv, tmp_path, skip_init):
    torch, torchvision = tv
    kwargs = {"weights_backbone": None, "num_classes": 5}
    if name != "lraspp_mobilenet_v3_large":
        kwargs["aux_loss"] = True
    torch.manual_seed(0)
    reference = torchvision.models.get_model(name, **kwargs).eval()
    _perturb(torch, reference)
    model = models.get_model(name, **kwargs).eval()
    _transfer(torch, reference, model, tmp_path)
    x = np.random.default_rng(0).standard_normal((1, 3, 40, 56)).astype(np.float32)
    with torch.no_grad():
        expected = reference(torch.from_numpy(x))
    with ember.no_grad():
        actual = model(ember.tensor(x))
    assert list(actual) == list(expected)
    for key in expected:
        _close(actual[key], expected[key])


@pytest.mark.parametrize("name", sorted(models.list_models()))
def test_weights_match_torchvision(name, tv):
    _, torchvision = tv
    ours = models.get_model_weights(name)
    theirs = torchvision.models.get_model_weights(name)
    assert ours.__name__ == theirs.__name__
    assert ours.DEFAULT.url == theirs.DEFAULT.url
    for member in ours:
        reference = theirs[member.name]
        assert member.url == reference.url, member
        assert member.meta["num_params"] == reference.meta["num_params"], member
        assert member.meta["min_size"] == reference.meta["min_size"], member


# --- transforms ---------------------------------------------------------------------------

def _image():
    from PIL import Image
    rng = np.random.default_rng(1)
    return Image.fromarray(rng.integers(0, 256, (37, 53, 3), dtype=np.uint8))


@pytest.mark.parametrize("build", [
    lambda T: T.ToTensor(),
    lambda T: T.Compose([T.Resize(24), T.ToTensor()]),
    lambda T: T.Compose([T.Resize((20, 30)), T.CenterCrop(16), T.ToTensor()]),
    lambda T: T.Compose([T.CenterCrop(31), T.ToTensor(),
                         T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))]),
    lambda T: T.Compose([T.PILToTensor(), T.Resize(24, antialias=True)]),
    lambda T: T.Compose([T.ToTensor(), T.Resize(19, antialias=True), T.CenterCrop(15)]),
])
def test_transforms_parity(build, tv):
    from torchvision import transforms as tvt

    from embervision import transforms as evt
    expected = build(tvt)(_image())
    actual = build(evt)(_image())
    assert tuple(actual.shape) == tuple(expected.shape)
    assert actual.dtype.is_floating_point == expected.dtype.is_floating_point
    # uint8 resizes may round one step apart; float paths agree to float32 precision.
    atol = 1.0 if not expected.dtype.is_floating_point else 1e-5
    np.testing.assert_allclose(actual.numpy().astype(np.float64),
                               expected.numpy().astype(np.float64), atol=atol)


def _preset_images():
    """Noise, pure black and white regions (bicubic overshoot that Pillow clips between its two
    uint8 passes) and an image smaller than the crop (upscaled)."""
    from PIL import Image
    rng = np.random.default_rng(2)
    black_white = np.zeros((230, 317, 3), dtype=np.uint8)
    black_white[:, ::5] = 255
    black_white[60:170, 100:220] = 255
    return {"noise": Image.fromarray(rng.integers(0, 256, (300, 451, 3), dtype=np.uint8)),
            "black_white": Image.fromarray(black_white),
            "small": Image.fromarray(rng.integers(0, 256, (150, 97, 3), dtype=np.uint8))}


@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic"])
@pytest.mark.parametrize("crop_size, resize_size", [(224, 256), (224, 160), (384, 384)])
def test_image_classification_preset_on_pil_matches(tv, interpolation, crop_size, resize_size):
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms._presets import ImageClassification as Theirs

    from embervision.models._presets import ImageClassification as Ours
    theirs = Theirs(crop_size=crop_size, resize_size=resize_size,
                    interpolation=InterpolationMode(interpolation))
    ours = Ours(crop_size=crop_size, resize_size=resize_size, interpolation=interpolation)
    for name, image in _preset_images().items():
        expected, actual = theirs(image).numpy(), ours(image).numpy()
        assert actual.shape == expected.shape == (3, crop_size, crop_size), name
        # resize_size < crop_size pads the crop with zeros, as torchvision's center_crop does.
        np.testing.assert_array_equal(actual, expected, err_msg=name)
