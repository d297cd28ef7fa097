"""embervision.utils: make_grid's layout as torchvision documents it, save_image, boxes."""
import numpy as np
import pytest
from PIL import Image

import ember
from embervision.utils import draw_bounding_boxes, make_grid, save_image


def batch(n, c=3, h=4, w=5, seed=0):
    return np.random.default_rng(seed).uniform(-1, 2, (n, c, h, w)).astype(np.float32)


def expected_grid(images, nrow, padding, pad_value):
    n, c, h, w = images.shape
    cols = min(nrow, n)
    rows = -(-n // cols)
    grid = np.full((c, rows * (h + padding) + padding, cols * (w + padding) + padding),
                   pad_value, images.dtype)
    for k in range(n):
        y, x = divmod(k, cols)
        grid[:, y * (h + padding) + padding:][:, :h, x * (w + padding) + padding:][:, :, :w] = \
            images[k]
    return grid


@pytest.mark.parametrize("n,nrow,padding,pad_value", [(7, 3, 2, 0.0), (4, 8, 0, 0.5),
                                                      (5, 2, 3, 1.0), (3, 1, 1, -1.0)])
def test_make_grid_layout(n, nrow, padding, pad_value):
    images = batch(n)
    out = make_grid(ember.from_numpy(images), nrow=nrow, padding=padding, pad_value=pad_value)
    np.testing.assert_array_equal(out.numpy(), expected_grid(images, nrow, padding, pad_value))
    as_list = make_grid([ember.from_numpy(i) for i in images], nrow=nrow, padding=padding,
                        pad_value=pad_value)
    np.testing.assert_array_equal(as_list.numpy(), out.numpy())


def test_make_grid_normalize():
    images = batch(4)
    out = make_grid(ember.from_numpy(images), normalize=True, padding=0, nrow=4).numpy()
    scaled = (images - images.min()) / (images.max() - images.min())
    np.testing.assert_allclose(out, np.concatenate(list(scaled), axis=2), rtol=1e-6)
    ranged = make_grid(ember.from_numpy(images), normalize=True, value_range=(0.0, 1.0),
                       padding=0, nrow=4).numpy()
    np.testing.assert_allclose(ranged, np.concatenate(list(images.clip(0, 1)), axis=2))
    each = make_grid(ember.from_numpy(images), normalize=True, scale_each=True, padding=0,
                     nrow=4).numpy()
    per = [(i - i.min()) / (i.max() - i.min()) for i in images]
    np.testing.assert_allclose(each, np.concatenate(per, axis=2), rtol=1e-6, atol=1e-7)
    with pytest.raises(TypeError, match="value_range must be a tuple"):
        make_grid(ember.from_numpy(images), normalize=True, value_range=[0, 1])


def test_make_grid_channels_and_single_image():
    gray = batch(2, c=1)
    out = make_grid(ember.from_numpy(gray), padding=1).numpy()
    assert out.shape == (3, 6, 13) and np.array_equal(out[0], out[2])
    single = batch(1)[0]
    np.testing.assert_array_equal(make_grid(ember.from_numpy(single)).numpy(), single)
    assert make_grid(ember.from_numpy(single[0])).shape == (3, 4, 5)
    ints = make_grid(ember.from_numpy(np.ones((2, 3, 2, 2), np.uint8)), pad_value=7)
    assert ints.dtype == ember.uint8 and int(ints.numpy()[0, 0, 0]) == 7
    with pytest.raises(ValueError, match="2, 3 or 4 dimensions"):
        make_grid(ember.zeros(1, 1, 1, 1, 1))


def test_save_image(tmp_path):
    images = np.random.default_rng(2).uniform(0, 1, (3, 3, 4, 5)).astype(np.float32)
    save_image(ember.from_numpy(images), tmp_path / "g.png", nrow=2, padding=1)
    saved = np.asarray(Image.open(tmp_path / "g.png"))
    grid = expected_grid(images, 2, 1, 0.0)
    np.testing.assert_array_equal(saved, (grid * 255 + 0.5).clip(0, 255).astype(np.uint8)
                                  .transpose(1, 2, 0))


def test_draw_bounding_boxes():
    image = ember.zeros(3, 20, 30, dtype=ember.uint8)
    boxes = ember.tensor([[2, 3, 10, 12], [15, 5, 25, 18]], dtype=ember.float32)
    out = draw_bounding_boxes(image, boxes, colors=["red", (0, 255, 0)], width=1)
    assert out.dtype == ember.uint8 and tuple(out.shape) == (3, 20, 30)
    pixels = out.numpy()
    assert tuple(pixels[:, 3, 5]) == (255, 0, 0) and tuple(pixels[:, 7, 2]) == (255, 0, 0)
    assert tuple(pixels[:, 7, 5]) == (0, 0, 0)  # inside, not filled
    assert tuple(pixels[:, 18, 20]) == (0, 255, 0)
    filled = draw_bounding_boxes(image, boxes, colors="blue", fill=True).numpy()
    assert tuple(filled[:, 7, 5]) == (0, 0, 100)  # alpha 100 over black
    labelled = draw_bounding_boxes(image, boxes[:1], labels=["cat"], colors="white").numpy()
    assert labelled[:, 5:11, 4:9].max() > 100  # the text sits inside the top-left corner
    gray = draw_bounding_boxes(ember.zeros(1, 8, 8, dtype=ember.uint8),
                               ember.tensor([[1, 1, 5, 5]]))
    assert tuple(gray.shape) == (3, 8, 8)
    default = draw_bounding_boxes(image, boxes).numpy()
    assert tuple(default[:, 5, 15]) == (int((2 ** 25 - 1) % 255), int((2 ** 15 - 1) % 255),
                                        int((2 ** 21 - 1) % 255))
    as_float = draw_bounding_boxes(ember.zeros(3, 8, 8), ember.tensor([[1, 1, 5, 5]]),
                                   colors="white")
    assert as_float.dtype == ember.float32 and float(as_float.numpy()[0, 1, 1]) == 1.0


def test_draw_bounding_boxes_errors():
    image = ember.zeros(3, 8, 8, dtype=ember.uint8)
    with pytest.raises(ValueError, match="x1 <= x2"):
        draw_bounding_boxes(image, ember.tensor([[5, 1, 2, 4]]))
    with pytest.raises(ValueError, match="C 1 or 3"):
        draw_bounding_boxes(ember.zeros(4, 8, 8, dtype=ember.uint8), ember.tensor([[1, 1, 2, 2]]))
    with pytest.raises(ValueError, match="2 boxes but 1 labels"):
        draw_bounding_boxes(image, ember.tensor([[1, 1, 2, 2], [1, 1, 3, 3]]), labels=["a"])
    with pytest.raises(ValueError, match="uint8 or float"):
        draw_bounding_boxes(ember.zeros(3, 8, 8, dtype=ember.int32), ember.tensor([[1, 1, 2, 2]]))
