"""Image files <-> uint8 CHW tensors through Pillow: read/decode, encode/write PNG and JPEG."""
import enum
import io
import os

import numpy as np
from PIL import Image, ImageOps

import ember

__all__ = ["ImageReadMode", "decode_image", "decode_jpeg", "decode_png", "encode_jpeg",
           "encode_png", "read_file", "read_image", "write_file", "write_jpeg", "write_png"]


class ImageReadMode(enum.Enum):
    """The channels `read_image`/`decode_image` return (torchvision's values)."""

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = 4  # alias of RGB_ALPHA


_PIL_MODES = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA",
              ImageReadMode.RGB: "RGB", ImageReadMode.RGB_ALPHA: "RGBA"}


def read_file(path):
    """The bytes of the file at `path` as a 1-D uint8 tensor."""
    with open(os.fspath(path), "rb") as f:
        return ember.from_numpy(np.frombuffer(f.read(), dtype=np.uint8).copy())


def write_file(filename, data):
    """Write a 1-D uint8 tensor (the encoded bytes) to `filename`."""
    array = _array(data, "write_file")
    if array.dtype != np.uint8 or array.ndim != 1:
        raise ValueError(f"write_file: expected a 1-D uint8 tensor, got {array.dtype} with "
                         f"shape {array.shape}")
    with open(os.fspath(filename), "wb") as f:
        f.write(array.tobytes())


def _array(tensor, op):
    if not isinstance(tensor, ember.Tensor):
        raise TypeError(f"{op}: expected an ember.Tensor, got {type(tensor).__name__}")
    return np.asarray(tensor.detach().cpu()._data)


def _unchanged(image):
    if image.mode in ("L", "LA", "RGB", "RGBA"):
        return image
    if image.mode == "1":
        return image.convert("L")
    if image.mode == "P":  # palette PNGs decode to their colours, with alpha if transparent
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode == "PA":
        return image.convert("RGBA")
    return image.convert("RGB")


def _decode(data, mode, apply_exif_orientation, op):
    if isinstance(mode, str):
        mode = ImageReadMode[mode.upper()]
    try:
        image = Image.open(data)
        image.load()
    except (OSError, ValueError) as e:
        raise RuntimeError(f"{op}: could not decode the image ({e})") from None
    if apply_exif_orientation:
        image = ImageOps.exif_transpose(image)
    if mode == ImageReadMode.UNCHANGED:
        image = _unchanged(image)
    else:
        image = _unchanged(image).convert(_PIL_MODES[mode])
    array = np.asarray(image, dtype=np.uint8)
    array = array[None] if array.ndim == 2 else array.transpose(2, 0, 1)
    return ember.from_numpy(np.ascontiguousarray(array))


def decode_image(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Decode a JPEG/PNG (or any format Pillow reads) into a uint8 tensor (C, H, W).

    `input` is a 1-D uint8 tensor of the encoded bytes or a path. `mode` picks the channels:
    UNCHANGED keeps the file's (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA).
    """
    if isinstance(input, (str, os.PathLike)):
        return read_image(input, mode, apply_exif_orientation)
    array = _array(input, "decode_image")
    if array.dtype != np.uint8 or array.ndim != 1:
        raise ValueError(f"decode_image: expected a 1-D uint8 tensor of encoded bytes, got "
                         f"{array.dtype} with shape {array.shape}")
    return _decode(io.BytesIO(array.tobytes()), mode, apply_exif_orientation, "decode_image")


def read_image(path, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Read the image file at `path` into a uint8 tensor (C, H, W) (see `decode_image`)."""
    with open(os.fspath(path), "rb") as f:
        return _decode(io.BytesIO(f.read()), mode, apply_exif_orientation, "read_image")


def decode_png(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    return decode_image(input, mode, apply_exif_orientation)


def decode_jpeg(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    return decode_image(input, mode, apply_exif_orientation)


def _to_pil(input, op, channels):
    array = _array(input, op)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[0] not in channels:
        raise ValueError(f"{op}: expected a uint8 tensor (C, H, W) with C in {channels}, got "
                         f"{array.dtype} with shape {array.shape}")
    return Image.fromarray(array[0] if array.shape[0] == 1 else
                           np.ascontiguousarray(array.transpose(1, 2, 0)))


def _encoded(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return ember.from_numpy(np.frombuffer(buffer.getvalue(), dtype=np.uint8).copy())


def encode_png(input, compression_level=6):
    """PNG bytes (a 1-D uint8 tensor) of a uint8 image (C, H, W), C in 1..4. Lossless."""
    if not 0 <= compression_level <= 9:
        raise ValueError(f"encode_png: compression_level must be in 0..9, got "
                         f"{compression_level}")
    return _encoded(_to_pil(input, "encode_png", (1, 2, 3, 4)), "PNG",
                    compress_level=compression_level)


def encode_jpeg(input, quality=75):
    """JPEG bytes (a 1-D uint8 tensor) of a uint8 image (C, H, W), C 1 or 3."""
    if not 1 <= quality <= 100:
        raise ValueError(f"encode_jpeg: quality must be in 1..100, got {quality}")
    return _encoded(_to_pil(input, "encode_jpeg", (1, 3)), "JPEG", quality=quality)


def write_png(input, filename, compression_level=6):
    write_file(filename, encode_png(input, compression_level))


def write_jpeg(input, filename, quality=75):
    write_file(filename, encode_jpeg(input, quality))
