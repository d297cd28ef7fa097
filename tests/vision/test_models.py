"""embervision.models: torchvision's structure (state_dict keys, shapes, parameter counts), the
registry and weights API, loading weights through the hub, and a ResNet-18 parity check against
a torch.nn definition written here (torchvision itself is not installed)."""
import hashlib
import io
from enum import Enum

import numpy as np
import pytest
from local_http_server import serve

import ember
from ember import hub
from embervision import models
from embervision.models import ResNet18_Weights

# The published parameter counts (torchvision's `meta["num_params"]`).
NUM_PARAMS = {
    "alexnet": 61100840, "densenet121": 7978856, "densenet161": 28681000,
    "densenet169": 14149480, "densenet201": 20013928, "mobilenet_v2": 3504872,
    "mobilenet_v3_large": 5483032, "mobilenet_v3_small": 2542856, "resnet18": 11689512,
    "resnet34": 21797672, "resnet50": 25557032, "resnet101": 44549160, "resnet152": 60192808,
    "resnext50_32x4d": 25028904, "resnext101_32x8d": 88791336, "wide_resnet50_2": 68883240,
    "squeezenet1_0": 1248424, "squeezenet1_1": 1235496, "vgg11": 132863336,
    "vgg11_bn": 132868840, "vgg13": 133047848, "vgg13_bn": 133053736, "vgg16": 138357544,
    "vgg16_bn": 138365992, "vgg19": 143667240, "vgg19_bn": 143678248,
}
# Small enough to run forward and backward quickly, with the smallest input each accepts well.
SMALL = {"resnet18": 32, "mobilenet_v2": 32, "mobilenet_v3_small": 32, "squeezenet1_1": 32,
         "densenet121": 32, "alexnet": 64}


@pytest.fixture
def skip_init(monkeypatch):
    """Building the VGGs draws ~140M random numbers; counting parameters needs none of them."""
    for name in ("normal_", "uniform_", "kaiming_normal_", "kaiming_uniform_", "constant_"):
        monkeypatch.setattr(ember.nn.init, name, lambda tensor, *a, **k: tensor)


def _count(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name", sorted(NUM_PARAMS))
def test_num_params(name, skip_init):
    model = models.get_model(name)
    assert _count(model) == NUM_PARAMS[name]
    for weights in models.get_model_weights(name):
        assert weights.meta["num_params"] == NUM_PARAMS[name]


def test_every_builder_is_listed():
    assert set(NUM_PARAMS) <= set(models.list_models())  # newer builders: test_models_more
    assert models.list_models(include="resnet*") == ["resnet101", "resnet152", "resnet18",
                                                     "resnet34", "resnet50"]
    assert "vgg11_bn" not in models.list_models(include="vgg*", exclude="*_bn")
    assert set(NUM_PARAMS) <= set(models.list_models(module=models))


@pytest.mark.parametrize("name", sorted(NUM_PARAMS))
def test_naming_conventions(name):
    """torchvision's rule: builder `foo_bar` has an enum `FooBar_Weights` exported beside it,
    every member a `Weights` at an official URL, and a DEFAULT alias."""
    builder = models.get_model_builder(name)
    assert getattr(models, name) is builder
    weights_enum = models.get_model_weights(name)
    assert weights_enum is models.get_model_weights(builder)
    assert issubclass(weights_enum, models.WeightsEnum)
    assert weights_enum.__name__.endswith("_Weights")
    assert getattr(models, weights_enum.__name__) is weights_enum
    assert weights_enum.__name__.replace("_", "").lower() == \
        name.replace("_", "").lower() + "weights"
    assert "DEFAULT" in weights_enum.__members__
    for member in weights_enum:
        assert member.url.startswith("https://download.pytorch.org/models/")
        assert hub.HASH_REGEX.search(member.url.rsplit("/", 1)[1])
        assert {"min_size", "num_params", "_metrics"} <= set(member.meta)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_forward_backward(name):
    ember.manual_seed(0)
    model = models.get_model(name, num_classes=10)
    size = SMALL[name]
    x = ember.randn(2, 3, size, size)
    out = model(x)
    assert out.shape == (2, 10)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.eval()
    with ember.no_grad():
        assert model(x[:1]).shape == (1, 10)


@pytest.mark.parametrize("name", ["resnet50", "mobilenet_v3_large", "squeezenet1_0"])
def test_eval_forward(name):
    model = models.get_model(name, num_classes=7).eval()
    with ember.no_grad():
        out = model(ember.randn(1, 3, 64, 64))
    assert out.shape == (1, 7) and np.isfinite(out.numpy()).all()


# --- state_dict keys and shapes, written from torchvision's published definitions -------------

# module, kind, weight shape (conv/linear) or channels (bn)
_RESNET18 = """
conv1 conv 64,3,7,7
bn1 bn 64
layer1.0.conv1 conv 64,64,3,3
layer1.0.bn1 bn 64
layer1.0.conv2 conv 64,64,3,3
layer1.0.bn2 bn 64
layer1.1.conv1 conv 64,64,3,3
layer1.1.bn1 bn 64
layer1.1.conv2 conv 64,64,3,3
layer1.1.bn2 bn 64
layer2.0.conv1 conv 128,64,3,3
layer2.0.bn1 bn 128
layer2.0.conv2 conv 128,128,3,3
layer2.0.bn2 bn 128
layer2.0.downsample.0 conv 128,64,1,1
layer2.0.downsample.1 bn 128
layer2.1.conv1 conv 128,128,3,3
layer2.1.bn1 bn 128
layer2.1.conv2 conv 128,128,3,3
layer2.1.bn2 bn 128
layer3.0.conv1 conv 256,128,3,3
layer3.0.bn1 bn 256
layer3.0.conv2 conv 256,256,3,3
layer3.0.bn2 bn 256
layer3.0.downsample.0 conv 256,128,1,1
layer3.0.downsample.1 bn 256
layer3.1.conv1 conv 256,256,3,3
layer3.1.bn1 bn 256
layer3.1.conv2 conv 256,256,3,3
layer3.1.bn2 bn 256
layer4.0.conv1 conv 512,256,3,3
layer4.0.bn1 bn 512
layer4.0.conv2 conv 512,512,3,3
layer4.0.bn2 bn 512
layer4.0.downsample.0 conv 512,256,1,1
layer4.0.downsample.1 bn 512
layer4.1.conv1 conv 512,512,3,3
layer4.1.bn1 bn 512
layer4.1.conv2 conv 512,512,3,3
layer4.1.bn2 bn 512
fc linear 1000,512
"""


def _expand(prefix, kind, shape):
    if kind == "conv":
        return [(f"{prefix}.weight", shape)]
    if kind == "convb" or kind == "linear":
        return [(f"{prefix}.weight", shape), (f"{prefix}.bias", shape[:1])]
    (c,) = shape
    return [(f"{prefix}.weight", (c,)), (f"{prefix}.bias", (c,)), (f"{prefix}.running_mean", (c,)),
            (f"{prefix}.running_var", (c,)), (f"{prefix}.num_batches_tracked", ())]


def _keys_and_shapes(model):
    return [(k, tuple(v.shape)) for k, v in model.state_dict().items()]


def test_resnet18_state_dict_keys():
    expected = []
    for line in _RESNET18.strip().splitlines():
        prefix, kind, dims = line.split()
        expected += _expand(prefix, kind, tuple(int(d) for d in dims.split(",")))
    assert _keys_and_shapes(models.resnet18()) == expected


def test_mobilenet_v2_state_dict_keys():
    # torchvision: features.0 = Conv2dNormActivation(3, 32, stride 2); then inverted residuals
    # `conv` = [expand 1x1 block (t != 1)], depthwise block, projection conv, bn; features.18 =
    # 1x1 to 1280; classifier = [Dropout, Linear].
    expected = _expand("features.0.0", "conv", (32, 3, 3, 3)) + _expand("features.0.1", "bn", (32,))
    cin, idx = 32, 1
    for t, c, n, _ in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                       (6, 160, 3, 2), (6, 320, 1, 1)]:
        for _ in range(n):
            p, hidden, j = f"features.{idx}.conv", cin * t, 0
            if t != 1:
                expected += _expand(f"{p}.0.0", "conv", (hidden, cin, 1, 1))
                expected += _expand(f"{p}.0.1", "bn", (hidden,))
                j = 1
            expected += _expand(f"{p}.{j}.0", "conv", (hidden, 1, 3, 3))
            expected += _expand(f"{p}.{j}.1", "bn", (hidden,))
            expected += _expand(f"{p}.{j + 1}", "conv", (c, hidden, 1, 1))
            expected += _expand(f"{p}.{j + 2}", "bn", (c,))
            cin, idx = c, idx + 1
    expected += _expand("features.18.0", "conv", (1280, 320, 1, 1))
    expected += _expand("features.18.1", "bn", (1280,))
    expected += _expand("classifier.1", "linear", (1000, 1280))
    assert _keys_and_shapes(models.mobilenet_v2()) == expected


@pytest.mark.parametrize("name, keys", [
    ("mobilenet_v3_small", ["features.1.block.0.0.weight", "features.1.block.1.fc1.weight",
                            "features.1.block.1.fc2.bias", "features.12.1.running_var",
                            "classifier.0.weight", "classifier.3.bias"]),
    ("densenet121", ["features.conv0.weight", "features.denseblock1.denselayer1.norm1.weight",
                     "features.denseblock4.denselayer16.conv2.weight",
                     "features.transition3.conv.weight", "features.norm5.running_mean",
                     "classifier.weight"]),
    ("squeezenet1_0", ["features.0.weight", "features.3.squeeze.weight",
                       "features.12.expand3x3.bias", "classifier.1.weight"]),
    ("resnext50_32x4d", ["layer1.0.downsample.0.weight", "layer4.2.bn3.num_batches_tracked"]),
])
def test_state_dict_landmarks(name, keys, skip_init):
    state = models.get_model(name).state_dict()
    assert set(keys) <= set(state)


def test_grouped_and_wide_bottlenecks(skip_init):
    assert models.resnext50_32x4d().layer1[0].conv2.weight.shape == (128, 4, 3, 3)
    assert models.wide_resnet50_2().layer1[0].conv2.weight.shape == (128, 128, 3, 3)


def test_initialisation_schemes():
    ember.manual_seed(0)
    model = models.resnet50(zero_init_residual=True)
    assert (model.layer1[0].bn3.weight.detach().numpy() == 0).all()
    assert (model.bn1.weight.detach().numpy() == 1).all()
    assert (model.bn1.bias.detach().numpy() == 0).all()
    # kaiming_normal_(mode="fan_out", nonlinearity="relu"): std = sqrt(2 / (out * kh * kw))
    w = models.resnet18().layer3[0].conv2.weight.detach().numpy()
    assert abs(w.std() - np.sqrt(2 / (256 * 9))) < 0.05 * np.sqrt(2 / (256 * 9))
    fc = models.mobilenet_v2().classifier[1]
    assert abs(fc.weight.detach().numpy().std() - 0.01) < 1e-3
    assert (fc.bias.detach().numpy() == 0).all()


def test_builder_errors():
    with pytest.raises(ValueError, match="Unknown model"):
        models.get_model("resnet9")
    with pytest.raises(ValueError, match="num_classes"):
        models.resnet18(weights="DEFAULT", num_classes=10)
    with pytest.raises(TypeError, match="ResNet18_Weights"):
        models.resnet18(weights=models.ResNet34_Weights.DEFAULT)
    with pytest.raises(ValueError, match="IMAGENET1K_V9"):
        models.resnet18(weights="IMAGENET1K_V9")
    with pytest.raises(ValueError, match="version"):
        models.SqueezeNet("2_0")
    with pytest.raises(ValueError, match="BasicBlock"):
        models.resnet18(groups=2)


# --- the weights API ----------------------------------------------------------------------------

def test_weights_enum():
    assert models.ResNet50_Weights.DEFAULT is models.ResNet50_Weights.IMAGENET1K_V2
    assert list(models.ResNet50_Weights) == [models.ResNet50_Weights.IMAGENET1K_V1,
                                             models.ResNet50_Weights.IMAGENET1K_V2]
    assert isinstance(ResNet18_Weights.DEFAULT, Enum)
    assert repr(ResNet18_Weights.DEFAULT) == "ResNet18_Weights.IMAGENET1K_V1"
    assert ResNet18_Weights.verify("ResNet18_Weights.IMAGENET1K_V1") is ResNet18_Weights.DEFAULT
    assert models.get_weight("ResNet50_Weights.DEFAULT") is models.ResNet50_Weights.IMAGENET1K_V2
    assert ResNet18_Weights.DEFAULT.url == \
        "https://download.pytorch.org/models/resnet18-f37072fd.pth"
    assert ResNet18_Weights.DEFAULT.meta["_metrics"]["ImageNet-1K"]["acc@1"] == 69.758


def test_weights_transforms():
    preprocess = models.ResNet50_Weights.DEFAULT.transforms()
    assert preprocess.resize_size == [232] and preprocess.crop_size == [224]
    image = ember.randint(0, 256, (3, 300, 400), dtype=ember.uint8)
    out = preprocess(image)
    assert out.shape == (3, 224, 224) and out.dtype == ember.float32
    assert preprocess(ember.rand(2, 3, 240, 240)).shape == (2, 3, 224, 224)
    from PIL import Image
    pil = Image.fromarray(np.zeros((260, 250, 3), dtype=np.uint8))
    out = preprocess(pil).numpy()
    assert out.shape == (3, 224, 224)
    np.testing.assert_allclose(out[:, 0, 0], -np.array([0.485, 0.456, 0.406]) /
                               np.array([0.229, 0.224, 0.225]), rtol=1e-5)
    with pytest.raises(ValueError, match="ImageClassification"):
        preprocess(ember.rand(5, 5))


@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic"])
def test_transforms_on_pil_resize_and_crop_in_uint8(interpolation):
    """A PIL image is resized and cropped by Pillow before becoming a float tensor (torchvision's
    order): every value is a uint8 level of Pillow's own resize, normalized."""
    from PIL import Image

    from embervision.models._presets import ImageClassification
    # Pure black and white: Pillow clips bicubic overshoot between its two passes.
    pixels = np.random.default_rng(0).integers(0, 2, (90, 131, 3), dtype=np.uint8) * 255
    image = Image.fromarray(pixels)
    preset = ImageClassification(crop_size=40, resize_size=48, interpolation=interpolation)
    out = preset(image)
    assert out.shape == (3, 40, 40) and out.dtype == ember.float32
    mean, std = np.array(preset.mean)[:, None, None], np.array(preset.std)[:, None, None]
    levels = out.numpy() * std + mean
    assert levels.min() >= -1e-6 and levels.max() <= 1 + 1e-6
    resample = {"bilinear": Image.Resampling.BILINEAR, "bicubic": Image.Resampling.BICUBIC}
    resized = np.asarray(image.resize((69, 48), resample[interpolation]))  # 48 * 131 / 90 -> 69
    expected = resized[4:44, 14:54].transpose(2, 0, 1) / 255.0  # offsets round(4.0), round(14.5)
    np.testing.assert_allclose(levels, expected, atol=1e-6)


def test_transforms_on_pil_pad_a_crop_larger_than_the_resized_image():
    from PIL import Image

    from embervision.models._presets import ImageClassification
    preset = ImageClassification(crop_size=32, resize_size=24)
    out = preset(Image.fromarray(np.full((30, 45, 3), 255, dtype=np.uint8))).numpy()
    assert out.shape == (3, 32, 32)
    mean, std = np.array(preset.mean), np.array(preset.std)
    # 24 x 36 resized, then 4 zero rows above and below and the width cropped to 32.
    np.testing.assert_allclose(out[:, :4], np.broadcast_to((-mean / std)[:, None, None],
                                                           (3, 4, 32)), rtol=1e-6)
    np.testing.assert_allclose(out[:, 4:28], np.broadcast_to(((1 - mean) / std)[:, None, None],
                                                             (3, 24, 32)), rtol=1e-6)
    np.testing.assert_allclose(out[:, 28:], out[:, :4], rtol=0)


@pytest.mark.parity
@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic"])
def test_transforms_parity(interpolation):
    import torch
    from embervision.models._presets import ImageClassification
    x = np.random.default_rng(0).random((3, 300, 451), dtype=np.float32)
    preset = ImageClassification(crop_size=224, interpolation=interpolation)
    t = torch.nn.functional.interpolate(torch.from_numpy(x)[None], size=(256, 384),
                                        mode=interpolation, antialias=True)[0, :, 16:240, 80:304]
    t = (t - torch.tensor(preset.mean)[:, None, None]) / torch.tensor(preset.std)[:, None, None]
    np.testing.assert_allclose(preset(ember.tensor(x)).numpy(), t.numpy(), atol=2e-4)


# --- weights through the hub ---------------------------------------------------------------------

@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("EMBER_OFFLINE", raising=False)
    monkeypatch.setattr(hub, "_hub_dir", None)


def _checkpoint(state_dict, stem):
    """Bytes of `state_dict` saved by ember and the file name carrying their SHA-256 prefix."""
    buf = io.BytesIO()
    ember.save(state_dict, buf)
    data = buf.getvalue()
    return data, f"{stem}-{hashlib.sha256(data).hexdigest()[:8]}.pth"


def test_pretrained_resnet18_through_local_server(cache, monkeypatch):
    ember.manual_seed(1)
    source = models.resnet18()
    data, name = _checkpoint(source.state_dict(), "resnet18")
    with serve() as server:
        server.files["/models/" + name] = data
        monkeypatch.setattr(ResNet18_Weights.IMAGENET1K_V1.value, "url",
                            server.url("/models/" + name))
        model = models.resnet18(weights="DEFAULT", progress=False)
        again = models.get_model("resnet18", weights=ResNet18_Weights.IMAGENET1K_V1)
        assert len(server.requests) == 1  # the second build reads the cache
    for a, b in zip(source.state_dict().values(), again.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(model.fc.weight.detach().numpy(),
                                  source.fc.weight.detach().numpy())


def test_pretrained_checkpoint_with_wrong_hash_is_refused(cache, monkeypatch):
    data, _ = _checkpoint(models.squeezenet1_1().state_dict(), "squeezenet1_1")
    with serve() as server:
        server.files["/models/squeezenet1_1-00000000.pth"] = data
        monkeypatch.setattr(models.SqueezeNet1_1_Weights.IMAGENET1K_V1.value, "url",
                            server.url("/models/squeezenet1_1-00000000.pth"))
        with pytest.raises(RuntimeError, match="squeezenet1_1-00000000"):
            models.squeezenet1_1(weights="DEFAULT", progress=False)


def test_densenet_loads_checkpoints_with_legacy_keys(cache, tmp_path, monkeypatch):
    # The published DenseNet files name `denselayer1.norm1` as `denselayer1.norm.1`.
    ember.manual_seed(2)
    source = models.densenet121()
    # They also predate BatchNorm's num_batches_tracked buffer.
    legacy = {k.replace(".norm1.", ".norm.1.").replace(".conv2.", ".conv.2."): v
              for k, v in source.state_dict().items() if "num_batches_tracked" not in k}
    assert "features.denseblock1.denselayer1.norm.1.weight" in legacy
    data, name = _checkpoint(legacy, "densenet121")
    (tmp_path / name).write_bytes(data)
    monkeypatch.setattr(models.DenseNet121_Weights.IMAGENET1K_V1.value, "url",
                        (tmp_path / name).as_uri())
    model = models.densenet121(weights="DEFAULT", progress=False)
    np.testing.assert_array_equal(model.features.denseblock4.denselayer16.conv2.weight.detach().numpy(),
                                  source.features.denseblock4.denselayer16.conv2.weight.detach().numpy())


# --- parity with a torchvision-identical ResNet-18 written in torch.nn ---------------------------

def _torch_resnet18():
    from torch import nn

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                                nn.BatchNorm2d(cout))

        def forward(self, x):
            out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            return self.relu(out + (x if self.downsample is None else self.downsample(x)))

    class ResNet18(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            widths = [(64, 64, 1), (64, 128, 2), (128, 256, 2), (256, 512, 2)]
            for i, (cin, cout, stride) in enumerate(widths, 1):
                setattr(self, f"layer{i}", nn.Sequential(Block(cin, cout, stride),
                                                         Block(cout, cout, 1)))
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512, 1000)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(self.avgpool(x).flatten(1))

    return ResNet18()


@pytest.mark.parity
def test_resnet18_parity_with_torch():
    import torch
    torch.manual_seed(0)
    reference = _torch_resnet18()
    # Non-trivial BN statistics, so eval mode exercises them.
    for m in reference.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    reference.eval()
    state = {k: ember.tensor(v.numpy()) for k, v in reference.state_dict().items()}
    model = models.resnet18()
    model.load_state_dict(state, strict=True)
    model.eval()
    x = np.random.default_rng(0).standard_normal((2, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        expected = reference(torch.from_numpy(x)).numpy()
    with ember.no_grad():
        actual = model(ember.tensor(x)).numpy()
    np.testing.assert_allclose(actual, expected, atol=1e-4, rtol=1e-4)
