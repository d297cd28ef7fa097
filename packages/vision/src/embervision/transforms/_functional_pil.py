"""Image ops on PIL images, through Pillow (torchvision's `_functional_pil`)."""
import numpy as np
from PIL import Image, ImageEnhance, ImageOps

from . import _functional_tensor as F_t


def get_dimensions(img):
    return [len(img.getbands()), img.size[1], img.size[0]]


def parse_fill(fill, img, name="fillcolor"):
    """A fill colour in the form Pillow wants for this image's bands."""
    bands = len(img.getbands())
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and bands > 1:
        fill = tuple([fill] * bands)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = tuple(fill) * bands
        elif len(fill) != bands:
            raise ValueError(f"The number of elements in 'fill' does not match the number of "
                             f"bands of the image ({len(fill)} != {bands})")
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, tuple) else int(fill)
    return {name: fill}


def _to_chw(img):
    arr = np.asarray(img)
    return arr[None] if arr.ndim == 2 else np.moveaxis(arr, -1, 0)


def _from_chw(arr, mode):
    arr = np.ascontiguousarray(arr[0] if arr.shape[0] == 1 else np.moveaxis(arr, 0, -1))
    return Image.fromarray(arr, mode)


def crop(img, top, left, height, width):
    return img.crop((left, top, left + width, top + height))


def resize(img, size, interpolation):
    return img.resize((size[1], size[0]), interpolation)


def pad(img, padding_ltrb, fill=0, padding_mode="constant"):
    if padding_mode == "constant" and min(padding_ltrb) >= 0:
        out = ImageOps.expand(img, border=tuple(padding_ltrb), **parse_fill(fill, img, "fill"))
        if img.mode == "P":
            out.putpalette(img.getpalette())
        return out
    if padding_mode == "constant" and isinstance(fill, (list, tuple)):
        raise ValueError("pad: a per-channel fill needs non-negative padding on PIL images")
    return _from_chw(F_t.pad(_to_chw(img), padding_ltrb, fill, padding_mode), img.mode)


def hflip(img):
    return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def vflip(img):
    return img.transpose(Image.Transpose.FLIP_TOP_BOTTOM)


def rotate(img, angle, interpolation, expand, center, fill):
    return img.rotate(angle, interpolation, expand, center, **parse_fill(fill, img))


def affine(img, matrix, interpolation, fill):
    return img.transform(img.size, Image.Transform.AFFINE, matrix, interpolation,
                         **parse_fill(fill, img))


def perspective(img, coeffs, interpolation, fill):
    return img.transform(img.size, Image.Transform.PERSPECTIVE, coeffs, interpolation,
                         **parse_fill(fill, img))


def adjust_brightness(img, factor):
    return ImageEnhance.Brightness(img).enhance(factor)


def adjust_contrast(img, factor):
    return ImageEnhance.Contrast(img).enhance(factor)


def adjust_saturation(img, factor):
    return ImageEnhance.Color(img).enhance(factor)


def adjust_sharpness(img, factor):
    return ImageEnhance.Sharpness(img).enhance(factor)


def adjust_hue(img, hue_factor):
    if img.mode in {"L", "1", "I", "F"}:
        return img
    h, s, v = img.convert("HSV").split()
    # Hue is a circle: the uint8 wrap-around is the rotation.
    np_h = (np.asarray(h, dtype=np.int64) + int(hue_factor * 255)) % 256
    h = Image.fromarray(np_h.astype(np.uint8), "L")
    return Image.merge("HSV", (h, s, v)).convert(img.mode)


def adjust_gamma(img, gamma, gain=1.0):
    mode = img.mode
    img = img.convert("RGB") if mode not in ("L", "RGB") else img
    lut = [int((255 + 1 - 1e-3) * gain * pow(v / 255.0, gamma)) for v in range(256)]
    return img.point(lut * len(img.getbands())).convert(mode)


def to_grayscale(img, num_output_channels):
    gray = img.convert("L")
    if num_output_channels == 3:
        arr = np.asarray(gray)
        return Image.fromarray(np.dstack([arr, arr, arr]), "RGB")
    return gray


def autocontrast(img):
    return ImageOps.autocontrast(img)


def equalize(img):
    return ImageOps.equalize(img)


def posterize(img, bits):
    return ImageOps.posterize(img, bits)


def solarize(img, threshold):
    return ImageOps.solarize(img, threshold)


def invert(img):
    return ImageOps.invert(img)
