"""embervision.io: PNG round trips are exact, JPEG close; modes; bytes in and out."""
import io

import numpy as np
import pytest
from PIL import Image

import ember
from embervision import io as eio
from embervision.io import ImageReadMode


def image(channels, h=6, w=9, seed=0):
    rng = np.random.default_rng(seed)
    return ember.from_numpy(rng.integers(0, 256, (channels, h, w), dtype=np.uint8))


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_png_round_trip_exact(channels, tmp_path):
    x = image(channels)
    eio.write_png(x, tmp_path / "a.png")
    y = eio.read_image(tmp_path / "a.png")
    assert y.dtype == ember.uint8 and tuple(y.shape) == (channels, 6, 9)
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    np.testing.assert_array_equal(eio.decode_png(eio.encode_png(x, 9)).numpy(), x.numpy())


def test_jpeg_round_trip_close(tmp_path):
    smooth = np.linspace(0, 255, 16 * 16 * 3).reshape(3, 16, 16).astype(np.uint8)
    x = ember.from_numpy(smooth)
    eio.write_jpeg(x, tmp_path / "a.jpg", quality=95)
    y = eio.decode_jpeg(eio.read_file(tmp_path / "a.jpg"))
    assert tuple(y.shape) == (3, 16, 16)
    assert np.abs(y.numpy().astype(int) - smooth.astype(int)).mean() < 4
    gray = eio.decode_image(eio.encode_jpeg(image(1)))
    assert tuple(gray.shape) == (1, 6, 9)


def test_modes(tmp_path):
    rgba = image(4)
    eio.write_png(rgba, tmp_path / "a.png")
    path = tmp_path / "a.png"
    expected = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA",
                ImageReadMode.RGB: "RGB", ImageReadMode.RGB_ALPHA: "RGBA"}
    for mode, pil_mode in expected.items():
        out = eio.read_image(path, mode)
        pil = np.asarray(Image.open(path).convert(pil_mode))
        pil = pil[None] if pil.ndim == 2 else pil.transpose(2, 0, 1)
        np.testing.assert_array_equal(out.numpy(), pil)
    assert eio.read_image(path, "gray").shape[0] == 1
    assert ImageReadMode.RGBA is ImageReadMode.RGB_ALPHA


def test_palette_png_decodes_to_rgb(tmp_path):
    pixels = np.random.default_rng(1).integers(0, 256, (4, 5, 3), dtype=np.uint8)
    Image.fromarray(pixels).convert("P").save(tmp_path / "p.png")
    out = eio.read_image(tmp_path / "p.png")
    expected = np.asarray(Image.open(tmp_path / "p.png").convert("RGB")).transpose(2, 0, 1)
    np.testing.assert_array_equal(out.numpy(), expected)


def test_exif_orientation():
    pixels = np.zeros((2, 3, 3), np.uint8)
    pixels[0, 0] = 255
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise for display
    Image.fromarray(pixels).save(buffer, format="JPEG", exif=exif, quality=100)
    data = ember.from_numpy(np.frombuffer(buffer.getvalue(), np.uint8).copy())
    assert tuple(eio.decode_image(data).shape) == (3, 2, 3)
    assert tuple(eio.decode_image(data, apply_exif_orientation=True).shape) == (3, 3, 2)


def test_read_write_file(tmp_path):
    data = ember.from_numpy(np.arange(10, dtype=np.uint8))
    eio.write_file(tmp_path / "b.bin", data)
    assert (tmp_path / "b.bin").read_bytes() == bytes(range(10))
    np.testing.assert_array_equal(eio.read_file(tmp_path / "b.bin").numpy(), np.arange(10))


def test_errors():
    with pytest.raises(RuntimeError, match="decode_image: could not decode"):
        eio.decode_image(ember.from_numpy(np.arange(20, dtype=np.uint8)))
    with pytest.raises(ValueError, match="decode_image: expected a 1-D uint8"):
        eio.decode_image(ember.zeros(3, 4))
    with pytest.raises(ValueError, match="encode_jpeg: expected a uint8 tensor"):
        eio.encode_jpeg(image(4))
    with pytest.raises(ValueError, match="encode_png: expected a uint8 tensor"):
        eio.encode_png(ember.zeros(3, 4, 4))
    with pytest.raises(ValueError, match="quality"):
        eio.encode_jpeg(image(3), quality=0)
    with pytest.raises(TypeError, match="encode_png: expected an ember.Tensor"):
        eio.encode_png(np.zeros((3, 4, 4), np.uint8))
