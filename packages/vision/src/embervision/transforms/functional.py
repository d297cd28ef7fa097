"""torchvision.transforms.functional on ember: each op works on PIL images and on ember tensors.

Tensors are images of shape (..., C, H, W) (uint8 or float in [0, 1]); PIL images go through
Pillow (`_functional_pil`), tensors through array kernels (`_functional_tensor`).
"""
import math
import numbers
from enum import Enum

import numpy as np
from PIL import Image

import ember
from ember import Tensor
from ember._dtypes import as_dtype

from . import _functional_pil as F_pil
from . import _functional_tensor as F_t


class InterpolationMode(Enum):
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_PIL_MODES = {
    InterpolationMode.NEAREST: Image.Resampling.NEAREST,
    InterpolationMode.NEAREST_EXACT: Image.Resampling.NEAREST,
    InterpolationMode.BILINEAR: Image.Resampling.BILINEAR,
    InterpolationMode.BICUBIC: Image.Resampling.BICUBIC,
    InterpolationMode.BOX: Image.Resampling.BOX,
    InterpolationMode.HAMMING: Image.Resampling.HAMMING,
    InterpolationMode.LANCZOS: Image.Resampling.LANCZOS,
}
_TENSOR_MODES = {InterpolationMode.NEAREST: "nearest", InterpolationMode.BILINEAR: "bilinear",
                 InterpolationMode.BICUBIC: "bicubic"}


def _interpolation(mode):
    if isinstance(mode, int):  # PIL's integer constants, accepted like torchvision does
        mode = {int(v): k for k, v in _PIL_MODES.items()
                if k != InterpolationMode.NEAREST_EXACT}[mode]
    return InterpolationMode(mode)


def _is_pil(img):
    return isinstance(img, Image.Image)


def _check_image(img, op):
    if not (_is_pil(img) or isinstance(img, Tensor)):
        raise TypeError(f"{op}: img should be PIL Image or Tensor. Got {type(img)}")


def _tensor_op(img, fn, *args):
    return Tensor._make(fn(img._data, *args))


def _tensor_mode(mode, op):
    mode = _interpolation(mode)
    if mode not in _TENSOR_MODES:
        raise ValueError(f"{op}: interpolation {mode} is not supported on tensors "
                         "(use NEAREST, BILINEAR or BICUBIC)")
    return _TENSOR_MODES[mode]


# ---------------------------------------------------------------------------- conversions
def get_dimensions(img):
    _check_image(img, "get_dimensions")
    return F_pil.get_dimensions(img) if _is_pil(img) else F_t.get_dimensions(img._data)


def get_image_size(img):
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img):
    return get_dimensions(img)[0]


def _pil_array(pic):
    arr = np.array(pic, {"I": np.int32, "I;16": np.int16, "F": np.float32}.get(pic.mode, np.uint8),
                   copy=True)
    if pic.mode == "1":
        arr = 255 * arr
    return arr.reshape(pic.size[1], pic.size[0], len(pic.getbands()))


def to_tensor(pic):
    """PIL image or HWC ndarray -> CHW tensor; uint8 becomes float32 in [0, 1]."""
    if _is_pil(pic):
        arr = _pil_array(pic)
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"to_tensor: pic should be 2/3 dimensional. Got {pic.ndim} dims.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"to_tensor: pic should be PIL Image or ndarray. Got {type(pic)}")
    arr = np.ascontiguousarray(arr.transpose(2, 0, 1))
    if arr.dtype == np.uint8:
        dt = ember.get_default_dtype().np
        arr = arr.astype(dt) / dt.type(255)
    return Tensor._make(arr)


def pil_to_tensor(pic):
    if not _is_pil(pic):
        raise TypeError(f"pil_to_tensor: pic should be PIL Image. Got {type(pic)}")
    return Tensor._make(np.ascontiguousarray(_pil_array(pic).transpose(2, 0, 1)))


def to_pil_image(pic, mode=None):
    """CHW tensor or HWC ndarray -> PIL image (floats are scaled by 255 unless mode is 'F')."""
    if isinstance(pic, Tensor):
        arr = pic.detach().cpu().numpy()
        if arr.ndim == 2:
            arr = arr[None]
        if arr.ndim != 3:
            raise ValueError(f"to_pil_image: pic should be 2/3 dimensional. Got {arr.ndim} dims.")
        if arr.dtype.kind == "f" and mode != "F":
            arr = (arr * 255).astype(np.uint8)
        arr = arr.transpose(1, 2, 0)
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"to_pil_image: pic should be 2/3 dimensional. Got {pic.ndim} dims.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"to_pil_image: pic should be Tensor or ndarray. Got {type(pic)}.")
    channels = arr.shape[2]
    if channels == 1:
        arr = arr[:, :, 0]
        default = {np.uint8: "L", np.int16: "I;16", np.int32: "I",
                   np.float32: "F"}.get(arr.dtype.type)
    else:
        default = {2: "LA", 3: "RGB", 4: "RGBA"}.get(channels) if arr.dtype == np.uint8 else None
    mode = mode or default
    if mode is None:
        raise TypeError(f"to_pil_image: input type {arr.dtype} with {channels} channels "
                        "is not supported")
    return Image.fromarray(np.ascontiguousarray(arr), mode)


def convert_image_dtype(image, dtype=ember.float32):
    if not isinstance(image, Tensor):
        raise TypeError(f"convert_image_dtype: expected a Tensor, got {type(image)}")
    return Tensor._make(F_t.convert_image_dtype(image._data, as_dtype(dtype).np))


def normalize(tensor, mean, std, inplace=False):
    """(tensor - mean) / std per channel, with ember ops so autograd flows through."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"Normalize: expected a Tensor, got {type(tensor)}")
    if not tensor.dtype.is_floating_point:
        raise TypeError(f"Normalize: input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError(f"Normalize: expected a CHW or NCHW tensor, got shape "
                         f"{list(tensor.shape)}")
    channels = tensor.shape[-3]
    mean = ember.as_tensor(mean, dtype=tensor.dtype, device=tensor.device).reshape(-1)
    std = ember.as_tensor(std, dtype=tensor.dtype, device=tensor.device).reshape(-1)
    for name, values in (("mean", mean), ("std", std)):
        if values.numel() not in (1, channels):
            raise ValueError(f"Normalize: {name} has {values.numel()} values but the tensor has "
                             f"{channels} channels")
    if bool((std == 0).any()):
        raise ValueError(f"Normalize: std evaluated to zero after conversion to {tensor.dtype}, "
                         "leading to division by zero.")
    mean, std = mean.reshape(-1, 1, 1), std.reshape(-1, 1, 1)
    if inplace:
        return tensor.sub_(mean).div_(std)
    return (tensor - mean) / std


# ------------------------------------------------------------------------------- geometry
def _output_size(h, w, size, max_size):
    if isinstance(size, numbers.Number) or len(size) == 1:
        requested = int(size if isinstance(size, numbers.Number) else size[0])
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"resize: max_size = {max_size} must be strictly greater than the "
                                 f"requested size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        return [new_long, new_short] if w <= h else [new_short, new_long]
    if max_size is not None:
        raise ValueError("resize: max_size should only be passed if size specifies the length of "
                         "the smaller edge, i.e. size should be an int or a sequence of length 1")
    return [int(size[0]), int(size[1])]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to `size` ([h, w], or an int for the shorter side keeping the aspect ratio)."""
    _check_image(img, "resize")
    _, h, w = get_dimensions(img)
    out = _output_size(h, w, size, max_size)
    if out == [h, w]:
        return img
    if _is_pil(img):
        return F_pil.resize(img, out, _PIL_MODES[_interpolation(interpolation)])
    mode = _tensor_mode(interpolation, "resize")
    return _tensor_op(img, F_t.resize, out, mode, bool(antialias))


def crop(img, top, left, height, width):
    _check_image(img, "crop")
    if _is_pil(img):
        return F_pil.crop(img, top, left, height, width)
    return _tensor_op(img, F_t.crop, top, left, height, width)


def _pair(size, op):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if len(size) == 1:
        return int(size[0]), int(size[0])
    if len(size) != 2:
        raise ValueError(f"{op}: please provide only two dimensions (h, w) for size, got {size}")
    return int(size[0]), int(size[1])


def center_crop(img, output_size):
    crop_h, crop_w = _pair(output_size, "center_crop")
    _, h, w = get_dimensions(img)
    if crop_w > w or crop_h > h:
        dw, dh = max(crop_w - w, 0), max(crop_h - h, 0)
        img = pad(img, [dw // 2, dh // 2, (dw + 1) // 2, (dh + 1) // 2], fill=0)
        _, h, w = get_dimensions(img)
        if crop_w == w and crop_h == h:
            return img
    return crop(img, int(round((h - crop_h) / 2.0)), int(round((w - crop_w) / 2.0)), crop_h, crop_w)


def resized_crop(img, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR,
                 antialias=True):
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def five_crop(img, size):
    crop_h, crop_w = _pair(size, "five_crop")
    _, h, w = get_dimensions(img)
    if crop_w > w or crop_h > h:
        raise ValueError(f"five_crop: requested crop size {(crop_h, crop_w)} is bigger than input "
                         f"size {(h, w)}")
    bottom, right = h - crop_h, w - crop_w
    return (crop(img, 0, 0, crop_h, crop_w), crop(img, 0, right, crop_h, crop_w),
            crop(img, bottom, 0, crop_h, crop_w), crop(img, bottom, right, crop_h, crop_w),
            center_crop(img, [crop_h, crop_w]))


def ten_crop(img, size, vertical_flip=False):
    first = five_crop(img, size)
    return first + five_crop(vflip(img) if vertical_flip else hflip(img), size)


def parse_padding(padding, op="pad"):
    if isinstance(padding, numbers.Number):
        return [int(padding)] * 4
    padding = [int(p) for p in padding]
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return padding * 2
    if len(padding) == 4:
        return padding
    raise ValueError(f"{op}: padding must be an int or a 1, 2, or 4 element sequence, "
                     f"got {len(padding)} elements")


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad by `padding` (int, [lr, tb] or [l, t, r, b]) with constant/edge/reflect/symmetric."""
    _check_image(img, "pad")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError(f"pad: padding mode should be constant, edge, reflect or symmetric, "
                         f"got {padding_mode!r}")
    ltrb = parse_padding(padding)
    if _is_pil(img):
        return F_pil.pad(img, ltrb, fill, padding_mode)
    if not isinstance(fill, numbers.Number):
        raise TypeError(f"pad: fill must be a number on tensors, got {type(fill)}")
    return _tensor_op(img, F_t.pad, ltrb, fill, padding_mode)


def hflip(img):
    _check_image(img, "hflip")
    return F_pil.hflip(img) if _is_pil(img) else _tensor_op(img, F_t.hflip)


def vflip(img):
    _check_image(img, "vflip")
    return F_pil.vflip(img) if _is_pil(img) else _tensor_op(img, F_t.vflip)


def _get_inverse_affine_matrix(center, angle, translate, scale, shear, inverted=True):
    """torchvision's matrix M^-1 with M = T * C * R * S * Sh * C^-1 (angle in degrees)."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    if inverted:
        m = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]
        m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx
        m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy
        return m
    m = [x * scale for x in (a, b, 0.0, c, d, 0.0)]
    m[2] += m[0] * (-cx) + m[1] * (-cy) + cx + tx
    m[5] += m[3] * (-cx) + m[4] * (-cy) + cy + ty
    return m


def _tensor_center(center, w, h):
    return [0.0, 0.0] if center is None else [c - s * 0.5 for c, s in zip(center, (w, h))]


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None,
           fill=None):
    """Rotate counter-clockwise by `angle` degrees around `center` (default: the image centre)."""
    _check_image(img, "rotate")
    if _is_pil(img):
        return F_pil.rotate(img, angle, _PIL_MODES[_interpolation(interpolation)], expand, center,
                            fill)
    _, h, w = get_dimensions(img)
    matrix = _get_inverse_affine_matrix(_tensor_center(center, w, h), -angle, [0.0, 0.0], 1.0,
                                        [0.0, 0.0])
    size = F_t.affine_output_size(matrix, w, h) if expand else (w, h)
    return _tensor_op(img, F_t.affine, matrix, _tensor_mode(interpolation, "rotate"), fill, size)


def _parse_shear(shear):
    if isinstance(shear, numbers.Number):
        return [float(shear), 0.0]
    shear = [float(s) for s in shear]
    if len(shear) == 1:
        return shear * 2
    if len(shear) != 2:
        raise ValueError(f"affine: shear should be a sequence of length 2, got {shear}")
    return shear


def affine(img, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST,
           fill=None, center=None):
    """Rotate (clockwise), scale, shear and translate, keeping the image size."""
    _check_image(img, "affine")
    if scale <= 0:
        raise ValueError(f"affine: scale must be positive, got {scale}")
    if len(translate) != 2:
        raise ValueError(f"affine: translate should be a sequence of length 2, got {translate}")
    shear = _parse_shear(shear)
    _, h, w = get_dimensions(img)
    if _is_pil(img):
        center = [w * 0.5, h * 0.5] if center is None else center
        matrix = _get_inverse_affine_matrix(center, angle, translate, scale, shear)
        return F_pil.affine(img, matrix, _PIL_MODES[_interpolation(interpolation)], fill)
    matrix = _get_inverse_affine_matrix(_tensor_center(center, w, h), angle,
                                        [float(t) for t in translate], scale, shear)
    return _tensor_op(img, F_t.affine, matrix, _tensor_mode(interpolation, "affine"), fill)


def _get_perspective_coeffs(startpoints, endpoints):
    """The 8 coefficients mapping output (end) points back to input (start) points."""
    a = np.zeros((8, 8))
    for i, ((x, y), (u, v)) in enumerate(zip(endpoints, startpoints)):
        a[2 * i] = [x, y, 1, 0, 0, 0, -u * x, -u * y]
        a[2 * i + 1] = [0, 0, 0, x, y, 1, -v * x, -v * y]
    b = np.asarray(startpoints, dtype=np.float64).reshape(8)
    return np.linalg.lstsq(a, b, rcond=None)[0].astype(np.float32).tolist()


def perspective(img, startpoints, endpoints, interpolation=InterpolationMode.BILINEAR, fill=None):
    _check_image(img, "perspective")
    coeffs = _get_perspective_coeffs(startpoints, endpoints)
    if _is_pil(img):
        return F_pil.perspective(img, coeffs, _PIL_MODES[_interpolation(interpolation)], fill)
    return _tensor_op(img, F_t.perspective, coeffs, _tensor_mode(interpolation, "perspective"),
                      fill)


def gaussian_blur(img, kernel_size, sigma=None):
    _check_image(img, "gaussian_blur")
    kernel_size = list(_pair(kernel_size, "gaussian_blur"))[::-1] if isinstance(
        kernel_size, numbers.Number) else [int(k) for k in kernel_size]
    if len(kernel_size) == 1:
        kernel_size = kernel_size * 2
    if any(k <= 0 or k % 2 == 0 for k in kernel_size):
        raise ValueError(f"gaussian_blur: kernel size should have odd and positive integers, "
                         f"got {kernel_size}")
    if sigma is None:
        sigma = [k * 0.15 + 0.35 for k in kernel_size]
    sigma = [float(sigma)] * 2 if isinstance(sigma, numbers.Number) else [float(s) for s in sigma]
    if len(sigma) == 1:
        sigma = sigma * 2
    if any(s <= 0 for s in sigma):
        raise ValueError(f"gaussian_blur: sigma should have positive values, got {sigma}")
    if _is_pil(img):
        return to_pil_image(gaussian_blur(pil_to_tensor(img), kernel_size, sigma), img.mode)
    return _tensor_op(img, F_t.gaussian_blur, kernel_size, sigma)


# --------------------------------------------------------------------------------- colour
def _colour_op(name, img, *args):
    _check_image(img, name)
    if _is_pil(img):
        return getattr(F_pil, name)(img, *args)
    rgb_only = name in ("adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue")
    if rgb_only and img.ndim >= 3 and img.shape[-3] not in (1, 3):
        raise TypeError(f"{name}: input image tensor permitted channel values are 1 or 3, "
                        f"but found {img.shape[-3]}")
    return _tensor_op(img, getattr(F_t, name), *args)


def _check_factor(name, factor):
    if factor < 0:
        raise ValueError(f"{name}: factor ({factor}) is not non-negative.")


def adjust_brightness(img, brightness_factor):
    _check_factor("adjust_brightness", brightness_factor)
    return _colour_op("adjust_brightness", img, brightness_factor)


def adjust_contrast(img, contrast_factor):
    _check_factor("adjust_contrast", contrast_factor)
    return _colour_op("adjust_contrast", img, contrast_factor)


def adjust_saturation(img, saturation_factor):
    _check_factor("adjust_saturation", saturation_factor)
    return _colour_op("adjust_saturation", img, saturation_factor)


def adjust_sharpness(img, sharpness_factor):
    _check_factor("adjust_sharpness", sharpness_factor)
    return _colour_op("adjust_sharpness", img, sharpness_factor)


def adjust_hue(img, hue_factor):
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"adjust_hue: hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    return _colour_op("adjust_hue", img, hue_factor)


def adjust_gamma(img, gamma, gain=1.0):
    if gamma < 0:
        raise ValueError("adjust_gamma: gamma should be a non-negative real number")
    return _colour_op("adjust_gamma", img, gamma, gain)


def autocontrast(img):
    return _colour_op("autocontrast", img)


def equalize(img):
    return _colour_op("equalize", img)


def posterize(img, bits):
    if not 0 <= bits <= 8:
        raise ValueError(f"posterize: the number of bits should be between 0 and 8, got {bits}")
    return _colour_op("posterize", img, bits)


def solarize(img, threshold):
    return _colour_op("solarize", img, threshold)


def invert(img):
    return _colour_op("invert", img)


def rgb_to_grayscale(img, num_output_channels=1):
    _check_image(img, "rgb_to_grayscale")
    if num_output_channels not in (1, 3):
        raise ValueError("rgb_to_grayscale: num_output_channels should be either 1 or 3")
    if _is_pil(img):
        return F_pil.to_grayscale(img, num_output_channels)
    if img.ndim < 3 or img.shape[-3] not in (1, 3):
        raise TypeError(f"rgb_to_grayscale: expected a (..., 1 or 3, H, W) tensor, got shape "
                        f"{list(img.shape)}")
    return _tensor_op(img, F_t.rgb_to_grayscale, num_output_channels)


to_grayscale = rgb_to_grayscale


def erase(img, i, j, h, w, v, inplace=False):
    """Fill img[..., i:i+h, j:j+w] with `v` (a tensor or number); tensors only."""
    if not isinstance(img, Tensor):
        raise TypeError(f"erase: img should be a Tensor. Got {type(img)}")
    value = v._data if isinstance(v, Tensor) else v
    if inplace:
        F_t.erase(img._data, i, j, h, w, value, inplace=True)
        img._vc[0] += 1
        return img
    return _tensor_op(img, F_t.erase, i, j, h, w, value)
