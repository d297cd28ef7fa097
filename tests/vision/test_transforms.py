"""embervision.transforms (v1): tensor kernels vs torch/NumPy, PIL paths vs Pillow, randomness."""
import math

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageOps

import ember
import embervision.transforms as T
import embervision.transforms.functional as F

RNG = np.random.default_rng(0)
HWC = RNG.integers(0, 256, (9, 11, 3), dtype=np.uint8)  # tiny RGB image
PIL_IMG = Image.fromarray(HWC)
U8 = ember.from_numpy(np.ascontiguousarray(HWC.transpose(2, 0, 1)))  # (3, 9, 11) uint8
FLOAT = U8.float() / 255


def chw(pil):
    arr = np.asarray(pil)
    return arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)


# ---------------------------------------------------------------------------- conversions
def test_to_tensor_pil_and_ndarray():
    t = F.to_tensor(PIL_IMG)
    assert t.shape == (3, 9, 11) and t.dtype == ember.float32
    np.testing.assert_allclose(t.numpy(), HWC.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    np.testing.assert_allclose(T.ToTensor()(HWC).numpy(), t.numpy())
    assert T.ToTensor()(HWC.astype(np.float64)).dtype == ember.float64  # no scaling for floats
    assert F.to_tensor(Image.fromarray(HWC[:, :, 0])).shape == (1, 9, 11)


def test_pil_to_tensor_and_back():
    t = T.PILToTensor()(PIL_IMG)
    assert t.dtype == ember.uint8 and np.array_equal(t.numpy(), chw(PIL_IMG))
    assert np.array_equal(np.asarray(T.ToPILImage()(t)), HWC)
    assert np.array_equal(np.asarray(F.to_pil_image(FLOAT)), (FLOAT.numpy() * 255).astype(
        np.uint8).transpose(1, 2, 0))
    assert F.to_pil_image(U8[:1]).mode == "L"
    assert F.to_pil_image(HWC).mode == "RGB"
    with pytest.raises(ValueError, match="2/3 dimensional"):
        F.to_pil_image(ember.zeros(1, 1, 2, 2))


@pytest.mark.parametrize("src, dst, fn", [
    (ember.uint8, ember.float32, lambda a: a.astype(np.float32) / 255),
    (ember.float32, ember.uint8, lambda a: (a * (256 - 1e-3)).astype(np.uint8)),
    (ember.uint8, ember.int16, lambda a: a.astype(np.int16) * 128),
    (ember.int16, ember.uint8, lambda a: (a // 128).astype(np.uint8)),
])
def test_convert_image_dtype(src, dst, fn):
    x = U8.to(src) if src is not ember.float32 else FLOAT
    if src is ember.int16:
        x = (U8.to(ember.int16) * 128)
    out = T.ConvertImageDtype(dst)(x)
    assert out.dtype == dst
    np.testing.assert_allclose(out.numpy(), fn(x.numpy()), rtol=1e-6)


def test_convert_image_dtype_unsafe_cast():
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        F.convert_image_dtype(FLOAT, ember.int32)


# ------------------------------------------------------------------------------ normalize
def test_normalize_values_batched_and_inplace():
    mean, std = [0.5, 0.4, 0.3], [0.2, 0.25, 0.3]
    x = ember.rand(2, 3, 4, 5)
    ref = (x.numpy() - np.array(mean)[:, None, None]) / np.array(std)[:, None, None]
    np.testing.assert_allclose(T.Normalize(mean, std)(x).numpy(), ref, rtol=1e-5)
    y = x.clone()
    assert T.Normalize(mean, std, inplace=True)(y) is y
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-5)


def test_normalize_keeps_autograd():
    x = ember.rand(3, 2, 2, requires_grad=True)
    F.normalize(x, [0.5] * 3, [2.0] * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((3, 2, 2), 0.5))


@pytest.mark.parametrize("x, mean, std, err, match", [
    (ember.rand(3), [0.5], [0.5], ValueError, r"expected a CHW or NCHW tensor, got shape \[3\]"),
    (ember.rand(3, 2, 2), [0.5, 0.5], [0.5] * 3, ValueError, "mean has 2 values"),
    (ember.rand(3, 2, 2), [0.5] * 3, [0.5, 0.0, 1.0], ValueError, "division by zero"),
    (U8, [0.5] * 3, [0.5] * 3, TypeError, "float tensor"),
])
def test_normalize_errors(x, mean, std, err, match):
    with pytest.raises(err, match=match):
        F.normalize(x, mean, std)


# ------------------------------------------------------------------------------- geometry
@pytest.mark.parity
@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic"])
@pytest.mark.parametrize("antialias", [True, False])
@pytest.mark.parametrize("size", [(5, 7), (14, 20)])
def test_resize_tensor_matches_torch(mode, antialias, size):
    torch = pytest.importorskip("torch")
    x = ember.rand(2, 3, 9, 11)
    out = F.resize(x, list(size), T.InterpolationMode(mode), antialias=antialias)
    ref = torch.nn.functional.interpolate(
        torch.from_numpy(x.numpy()), size=size, mode=mode,
        antialias=antialias and mode != "nearest",
        align_corners=None if mode == "nearest" else False)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), atol=2e-6)


def test_resize_uint8_rounds_and_matches_pil_closely():
    out = F.resize(U8, [5, 6])
    assert out.dtype == ember.uint8
    pil = np.asarray(PIL_IMG.resize((6, 5), Image.BILINEAR)).transpose(2, 0, 1)
    assert np.abs(out.numpy().astype(int) - pil).max() <= 2


def test_resize_sizes_and_pil():
    assert F.resize(U8, 6).shape == (3, 6, 7)  # shorter side 9 -> 6, 11 -> int(6 * 11 / 9)
    assert F.resize(U8, 6, max_size=7).shape == (3, 6, 7)
    # the longer side would be 9 > max_size: it is capped and the shorter side follows
    assert F.resize(ember.zeros(1, 4, 12), 3, max_size=6).shape == (1, 2, 6)
    assert T.Resize((4, 5))(PIL_IMG).size == (5, 4)
    assert np.array_equal(np.asarray(T.Resize(4, T.InterpolationMode.BICUBIC)(PIL_IMG)),
                          np.asarray(PIL_IMG.resize((4, 4), Image.BICUBIC)))
    with pytest.raises(ValueError, match="max_size"):
        F.resize(U8, [4, 5], max_size=10)


def test_crops():
    a = U8.numpy()
    assert np.array_equal(F.crop(U8, 2, 3, 4, 5).numpy(), a[:, 2:6, 3:8])
    padded = F.crop(U8, -1, -2, 4, 5).numpy()  # outside the image reads zeros, like PIL's crop
    assert np.array_equal(padded, chw(PIL_IMG.crop((-2, -1, 3, 3))))
    assert np.array_equal(T.CenterCrop(5)(U8).numpy(), a[:, 2:7, 3:8])
    assert np.array_equal(chw(T.CenterCrop(5)(PIL_IMG)), a[:, 2:7, 3:8])
    big = T.CenterCrop((11, 13))(U8)
    assert big.shape == (3, 11, 13) and np.array_equal(big.numpy()[:, 1:10, 1:12], a)
    five = T.FiveCrop(4)(U8)
    assert [c.shape for c in five] == [(3, 4, 4)] * 5
    assert np.array_equal(five[3].numpy(), a[:, 5:, 7:])
    ten = T.TenCrop(4)(PIL_IMG)
    # the flipped image's top-left crop is the mirror of the original's top-right crop
    assert len(ten) == 10 and np.array_equal(np.asarray(ten[5]), np.asarray(ten[1])[:, ::-1])
    with pytest.raises(ValueError, match="bigger than input"):
        F.five_crop(U8, 20)


@pytest.mark.parametrize("mode, np_mode", [("constant", "constant"), ("edge", "edge"),
                                           ("reflect", "reflect"), ("symmetric", "symmetric")])
@pytest.mark.parametrize("padding", [2, [1, 2], [1, 0, 3, 2]])
def test_pad_tensor_and_pil(mode, np_mode, padding):
    ltrb = F.parse_padding(padding)
    ref = np.pad(U8.numpy(), [(0, 0), (ltrb[1], ltrb[3]), (ltrb[0], ltrb[2])], mode=np_mode)
    assert np.array_equal(F.pad(U8, padding, 0, mode).numpy(), ref)
    assert np.array_equal(chw(F.pad(PIL_IMG, padding, 0, mode)), ref)


def test_pad_fill_and_negative():
    out = T.Pad(1, fill=7)(U8).numpy()
    assert out[0, 0, 0] == 7 and np.array_equal(out[:, 1:-1, 1:-1], U8.numpy())
    assert np.array_equal(F.pad(U8, [-1, 0, 0, -2]).numpy(), U8.numpy()[:, :-2, 1:])
    with pytest.raises(ValueError, match="padding mode"):
        F.pad(U8, 1, padding_mode="wrap")


def test_flips_tensor_pil_batched():
    x = ember.rand(2, 3, 4, 5)
    assert np.array_equal(F.hflip(x).numpy(), x.numpy()[..., ::-1])
    assert np.array_equal(F.vflip(x).numpy(), x.numpy()[..., ::-1, :])
    assert np.array_equal(chw(T.RandomHorizontalFlip(1.0)(PIL_IMG)), U8.numpy()[..., ::-1])
    assert np.array_equal(chw(T.RandomVerticalFlip(1.0)(PIL_IMG)), U8.numpy()[..., ::-1, :])
    assert T.RandomHorizontalFlip(0.0)(x) is x


def test_rotate_right_angles_match_numpy_and_pil():
    sq = U8[:, :9, :9]
    np.testing.assert_array_equal(F.rotate(sq, 90).numpy(), np.rot90(sq.numpy(), 1, (1, 2)))
    pil = Image.fromarray(np.ascontiguousarray(HWC[:9, :9]))
    assert np.array_equal(chw(F.rotate(pil, 90)), np.rot90(sq.numpy(), 1, (1, 2)))
    expanded = F.rotate(U8, 90, expand=True)
    assert expanded.shape == (3, 11, 9)
    assert np.array_equal(expanded.numpy(), np.rot90(U8.numpy(), 1, (1, 2)))
    assert F.rotate(PIL_IMG, 90, expand=True).size == (9, 11)


@pytest.mark.parity
def test_affine_tensor_matches_torch_grid_sample():
    torch = pytest.importorskip("torch")
    x = ember.rand(1, 3, 9, 11)
    angle, translate, scale, shear = 20.0, [1, -2], 1.1, [5.0, -3.0]
    out = F.affine(x, angle, translate, scale, shear, T.InterpolationMode.BILINEAR)
    m = F._get_inverse_affine_matrix([0.0, 0.0], angle, translate, scale, shear)
    theta = torch.tensor(m, dtype=torch.float64).reshape(1, 2, 3)
    # torch's normalised grid: scale the centred-pixel map to [-1, 1] on input and output.
    h, w = 9, 11
    norm = torch.diag(torch.tensor([2.0 / w, 2.0 / h], dtype=torch.float64))
    theta_n = torch.cat([norm @ theta[0, :, :2] @ torch.inverse(norm),
                         (norm @ theta[0, :, 2:])], 1)[None]
    grid = torch.nn.functional.affine_grid(theta_n, (1, 3, h, w), align_corners=False)
    ref = torch.nn.functional.grid_sample(torch.from_numpy(x.numpy()).double(), grid,
                                          align_corners=False)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), atol=1e-5)


def test_affine_identity_and_pil_translate():
    assert np.array_equal(F.affine(U8, 0.0, [0, 0], 1.0, 0.0).numpy(), U8.numpy())
    moved_t = F.affine(U8, 0.0, [2, 1], 1.0, 0.0).numpy()
    moved_p = chw(F.affine(PIL_IMG, 0.0, [2, 1], 1.0, 0.0))
    assert np.array_equal(moved_t, moved_p)
    assert np.array_equal(moved_t[:, 1:, 2:], U8.numpy()[:, :-1, :-2])


def test_rotate_fill_and_perspective_identity():
    out = F.rotate(U8, 45, fill=[9, 9, 9]).numpy()
    assert (out[:, 0, 0] == 9).all()
    corners = [[0, 0], [10, 0], [10, 8], [0, 8]]
    assert np.array_equal(F.perspective(U8, corners, corners).numpy(), U8.numpy())
    # PIL gets the float32 coefficients torchvision passes: bilinear may round 1 off
    same = np.asarray(F.perspective(PIL_IMG, corners, corners)).astype(int)
    assert np.abs(same - HWC).max() <= 1


# --------------------------------------------------------------------------------- colour
PIL_OPS = [
    ("adjust_brightness", (1.4,), lambda im: ImageEnhance.Brightness(im).enhance(1.4), 1),
    ("adjust_contrast", (0.6,), lambda im: ImageEnhance.Contrast(im).enhance(0.6), 1),
    ("adjust_saturation", (0.3,), lambda im: ImageEnhance.Color(im).enhance(0.3), 1),
    ("adjust_sharpness", (2.0,), lambda im: ImageEnhance.Sharpness(im).enhance(2.0), 1),
    ("autocontrast", (), ImageOps.autocontrast, 1),
    ("equalize", (), ImageOps.equalize, 0),
    ("posterize", (3,), lambda im: ImageOps.posterize(im, 3), 0),
    ("solarize", (128,), lambda im: ImageOps.solarize(im, 128), 0),
    ("invert", (), ImageOps.invert, 0),
    ("adjust_gamma", (0.7, 1.1), lambda im: F.adjust_gamma(im, 0.7, 1.1), 1),
    # Pillow's HSV is quantised to uint8, so hue is only close (the float path is exact below)
    ("adjust_hue", (0.2,), lambda im: F.adjust_hue(im, 0.2), 8),
]


@pytest.mark.parametrize("name, args, pil_fn, atol", PIL_OPS, ids=[o[0] for o in PIL_OPS])
def test_colour_tensor_close_to_pillow(name, args, pil_fn, atol):
    out = getattr(F, name)(U8, *args)
    assert out.dtype == ember.uint8 and out.shape == U8.shape
    ref = chw(pil_fn(PIL_IMG)).astype(int)
    assert np.abs(out.numpy().astype(int) - ref).max() <= atol
    # PIL input goes through Pillow and stays a PIL image
    assert isinstance(getattr(F, name)(PIL_IMG, *args), Image.Image)


def test_colour_float_and_batched():
    x = ember.rand(2, 3, 5, 6)
    one = F.adjust_contrast(x[1], 0.5).numpy()
    np.testing.assert_allclose(F.adjust_contrast(x, 0.5).numpy()[1], one, rtol=1e-6)
    np.testing.assert_allclose(F.invert(x).numpy(), 1 - x.numpy(), rtol=1e-6)
    np.testing.assert_allclose(F.adjust_brightness(x, 0.5).numpy(), x.numpy() * 0.5, rtol=1e-6)
    import colorsys
    hue = F.adjust_hue(x, 0.3).numpy()
    r, g, b = x.numpy()[0, :, 2, 3]
    h, s, v = colorsys.rgb_to_hsv(r, g, b)
    np.testing.assert_allclose(hue[0, :, 2, 3], colorsys.hsv_to_rgb((h + 0.3) % 1.0, s, v),
                               atol=1e-5)


def test_grayscale():
    g = T.Grayscale()(U8)
    r, gg, b = U8.numpy().astype(np.float32)
    assert g.shape == (1, 9, 11)
    np.testing.assert_array_equal(g.numpy()[0], (0.2989 * r + 0.587 * gg + 0.114 * b).astype(
        np.uint8))
    assert np.abs(g.numpy().astype(int) - chw(PIL_IMG.convert("L"))).max() <= 1
    assert T.Grayscale(3)(PIL_IMG).mode == "RGB"
    assert T.RandomGrayscale(1.0)(U8).shape == (3, 9, 11)


@pytest.mark.parity
def test_gaussian_blur_matches_torch_conv():
    torch = pytest.importorskip("torch")
    x = ember.rand(3, 9, 11)
    out = F.gaussian_blur(x, [5, 3], [1.2, 0.7])
    def k1(n, s):
        t = torch.linspace(-(n - 1) / 2, (n - 1) / 2, n, dtype=torch.float64)
        p = torch.exp(-0.5 * (t / s) ** 2)
        return p / p.sum()
    kernel = (k1(3, 0.7)[:, None] * k1(5, 1.2)[None, :]).expand(3, 1, 3, 5)
    xp = torch.nn.functional.pad(torch.from_numpy(x.numpy()).double()[None], [2, 2, 1, 1],
                                 mode="reflect")
    ref = torch.nn.functional.conv2d(xp, kernel, groups=3)[0]
    np.testing.assert_allclose(out.numpy(), ref.numpy(), atol=1e-6)
    assert isinstance(T.GaussianBlur(3)(PIL_IMG), Image.Image)
    with pytest.raises(ValueError, match="odd"):
        T.GaussianBlur(4)


def test_erase_and_random_erasing():
    out = F.erase(FLOAT, 1, 2, 3, 4, 0.5)
    assert (out.numpy()[:, 1:4, 2:6] == 0.5).all() and out is not FLOAT
    ember.manual_seed(0)
    erased = T.RandomErasing(p=1.0, value="random")(FLOAT)
    assert erased.shape == FLOAT.shape and not np.array_equal(erased.numpy(), FLOAT.numpy())
    with pytest.raises(TypeError, match="Tensor"):
        T.RandomErasing(p=1.0)(PIL_IMG)


# ------------------------------------------------------------------------- random classes
RANDOM = [
    T.RandomCrop(5, padding=2, padding_mode="reflect"),
    T.RandomCrop(12, pad_if_needed=True, fill=3),
    T.RandomResizedCrop(6),
    T.RandomRotation(30, fill=5),
    T.RandomAffine(20, translate=(0.2, 0.2), scale=(0.8, 1.2), shear=(-10, 10, -5, 5)),
    T.RandomPerspective(p=1.0),
    T.ColorJitter(0.4, 0.4, 0.4, 0.1),
    T.GaussianBlur(3),
    T.RandomApply([T.RandomHorizontalFlip(1.0)]),
    T.RandomChoice([T.RandomVerticalFlip(1.0), T.RandomHorizontalFlip(1.0)]),
    T.RandomOrder([T.ColorJitter(0.5), T.RandomInvert(1.0)]),
    T.AutoAugment(),
    T.RandAugment(),
    T.TrivialAugmentWide(),
]


@pytest.mark.parametrize("transform", RANDOM, ids=lambda t: type(t).__name__)
@pytest.mark.parametrize("img", [U8, PIL_IMG], ids=["tensor", "pil"])
def test_random_transforms_reproducible(transform, img):
    outs = []
    for _ in range(2):
        ember.manual_seed(123)
        outs.append([np.asarray(transform(img) if isinstance(img, Image.Image)
                                else transform(img).numpy()) for _ in range(3)])
    for a, b in zip(*outs):
        assert np.array_equal(a, b)
    out = transform(img)
    assert type(out) is type(img) or isinstance(out, Image.Image) == isinstance(img, Image.Image)


def test_random_crop_and_resized_crop_params():
    ember.manual_seed(0)
    i, j, h, w = T.RandomCrop.get_params(U8, (4, 5))
    assert 0 <= i <= 5 and 0 <= j <= 6 and (h, w) == (4, 5)
    with pytest.raises(ValueError, match="larger than input image size"):
        T.RandomCrop.get_params(U8, (20, 5))
    for _ in range(20):
        i, j, h, w = T.RandomResizedCrop.get_params(U8, (0.08, 1.0), (3 / 4, 4 / 3))
        assert 0 <= i and i + h <= 9 and 0 <= j and j + w <= 11
    # An impossible scale makes all 10 tries fail: the centre-crop fallback at the ratio bound.
    assert T.RandomResizedCrop.get_params(U8, (5.0, 6.0), (3 / 4, 4 / 3)) == (0, 0, 9, 11)
    tall = ember.zeros(1, 20, 4)
    assert T.RandomResizedCrop.get_params(tall, (5.0, 6.0), (3 / 4, 4 / 3)) == (7, 0, 5, 4)
    assert T.RandomResizedCrop(6)(U8).shape == (3, 6, 6)


def test_colorjitter_params_and_errors():
    t = T.ColorJitter(brightness=0.5, hue=0.2)
    assert t.brightness == (0.5, 1.5) and t.contrast is None and t.hue == (-0.2, 0.2)
    with pytest.raises(ValueError, match="hue"):
        T.ColorJitter(hue=0.7)


def test_compose_lambda_and_repr():
    pipeline = T.Compose([T.ToTensor(), T.Lambda(lambda x: x * 2),
                          T.Normalize([1.0] * 3, [1.0] * 3)])
    out = pipeline(PIL_IMG)
    np.testing.assert_allclose(out.numpy(), HWC.transpose(2, 0, 1) / 255.0 * 2 - 1, atol=1e-6)
    assert "Normalize" in repr(pipeline)
    with pytest.raises(TypeError):
        T.Lambda(3)


def test_autoaugment_float_tensor_and_batched():
    ember.manual_seed(1)
    for aug in (T.RandAugment(num_ops=4), T.TrivialAugmentWide()):
        out = aug(ember.rand(2, 3, 8, 8))
        assert out.shape == (2, 3, 8, 8) and out.dtype == ember.float32
    assert math.isclose(float(T.RandAugment._augmentation_space(31, (8, 8))["Posterize"][0][9]), 7)
