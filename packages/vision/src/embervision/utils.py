"""Visual helpers: tile images into a grid, save tensors as image files, draw boxes."""
import math

import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFont

import ember
from ember._device import array_module_of

__all__ = ["draw_bounding_boxes", "make_grid", "save_image"]


def _as_batch(tensor):
    """A float-or-int array (B, C, H, W) from a tensor (B|C, H, W) or a list of (C, H, W)."""
    if isinstance(tensor, (list, tuple)):
        tensor = ember.stack([t.detach() for t in tensor])
    if not isinstance(tensor, ember.Tensor):
        raise TypeError(f"make_grid: expected a Tensor or a list of Tensors, got "
                        f"{type(tensor).__name__}")
    array = tensor.detach()._data
    xp = array_module_of(array)
    if array.ndim == 2:
        array = array[None]
    if array.ndim == 3:
        # One image; a single-channel one becomes gray RGB as in torchvision.
        array = (xp.concatenate([array] * 3, 0) if array.shape[0] == 1 else array)[None]
    if array.ndim != 4:
        raise ValueError(f"make_grid: expected a tensor of 2, 3 or 4 dimensions, got shape "
                         f"{tuple(array.shape)}")
    if array.shape[1] == 1:
        array = xp.concatenate([array] * 3, 1)
    return array


def _normalize(array, value_range):
    low, high = value_range if value_range is not None else (array.min(), array.max())
    array = array.clip(low, high)
    return (array - low) / max(float(high) - float(low), 1e-5)


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0):
    """Tile a batch (B, C, H, W) into one image (C, rows*(H+padding)+padding, ...).

    `nrow` images per row; `normalize` maps `value_range` (default each batch's, or with
    `scale_each` each image's, min and max) to [0, 1]. Single-channel images become 3-channel.
    A batch of one image returns that image (after normalisation) without padding. The result
    is not tracked by autograd.
    """
    array = _as_batch(tensor)
    xp = array_module_of(array)
    if value_range is not None and not isinstance(value_range, tuple):
        raise TypeError("make_grid: value_range must be a tuple (min, max) if given")
    if normalize:
        array = array.astype(array.dtype if array.dtype.kind == "f" else np.float32)
        if scale_each:
            array = xp.stack([_normalize(image, value_range) for image in array])
        else:
            array = _normalize(array, value_range)
    if array.shape[0] == 1:
        return ember.Tensor._make(array[0].copy())
    count, channels, height, width = array.shape
    columns = min(nrow, count)
    rows = math.ceil(count / columns)
    cell_h, cell_w = height + padding, width + padding
    grid = xp.full((channels, rows * cell_h + padding, columns * cell_w + padding), pad_value,
                   dtype=array.dtype)
    for k in range(count):
        y, x = divmod(k, columns)
        top, left = y * cell_h + padding, x * cell_w + padding
        grid[:, top:top + height, left:left + width] = array[k]
    return ember.Tensor._make(grid)


def save_image(tensor, fp, format=None, **kwargs):
    """Save a tensor (or a grid of a batch, `kwargs` going to `make_grid`) as an image file.

    Float values in [0, 1] are scaled to 0..255 and rounded, as torchvision does.
    """
    grid = make_grid(tensor, **kwargs)._data
    pixels = (grid * 255 + 0.5).clip(0, 255).astype(np.uint8).transpose(1, 2, 0)
    pixels = np.ascontiguousarray(ember.Tensor._make(pixels).cpu()._data)
    Image.fromarray(pixels[..., 0] if pixels.shape[2] == 1 else pixels).save(fp, format=format)


def _palette(count):
    # torchvision's palette: distinct, deterministic colours without a colour table.
    base = np.array([2 ** 25 - 1, 2 ** 15 - 1, 2 ** 21 - 1])
    return [tuple(int(v) for v in (i * base) % 255) for i in range(count)]


def _rgb(color):
    return ImageColor.getrgb(color) if isinstance(color, str) else tuple(int(c) for c in color)


def _colors(colors, count, op):
    if colors is None:
        return _palette(count)
    if isinstance(colors, list):
        if len(colors) < count:
            raise ValueError(f"{op}: {len(colors)} colors given for {count} boxes")
        return [_rgb(c) for c in colors[:count]]
    return [_rgb(colors)] * count


def draw_bounding_boxes(image, boxes, labels=None, colors=None, fill=False, width=1, font=None,
                        font_size=None, label_colors=None):
    """Draw `boxes` (N, 4) in (x1, y1, x2, y2) pixels on `image` (C, H, W), C 1 or 3.

    `image` is uint8 (or float in [0, 1], returned as float); a gray image comes back as RGB.
    `labels` are written inside each box's top-left corner; `fill` shades boxes with alpha 100.
    `colors` is one colour or a list (names, "#rrggbb" or RGB tuples); default a fixed palette.
    """
    op = "draw_bounding_boxes"
    if not isinstance(image, ember.Tensor):
        raise TypeError(f"{op}: expected an ember.Tensor image, got {type(image).__name__}")
    array = np.asarray(image.detach().cpu()._data)
    was_float = array.dtype.kind == "f"
    if was_float:
        array = (array * 255).astype(np.uint8)
    elif array.dtype != np.uint8:
        raise ValueError(f"{op}: the image must be uint8 or float, got {array.dtype}")
    if array.ndim != 3 or array.shape[0] not in (1, 3):
        raise ValueError(f"{op}: expected an image (C, H, W) with C 1 or 3, got shape "
                         f"{array.shape}")
    box_array = np.asarray(boxes.detach().cpu()._data)
    if box_array.ndim != 2 or box_array.shape[1] != 4:
        raise ValueError(f"{op}: boxes must have shape (N, 4), got {box_array.shape}")
    if ((box_array[:, 0] > box_array[:, 2]) | (box_array[:, 1] > box_array[:, 3])).any():
        raise ValueError(f"{op}: boxes need x1 <= x2 and y1 <= y2 (xyxy format)")
    count = len(box_array)
    if labels is not None and len(labels) != count:
        raise ValueError(f"{op}: {count} boxes but {len(labels)} labels")
    if array.shape[0] == 1:
        array = np.repeat(array, 3, axis=0)
    canvas = Image.fromarray(np.ascontiguousarray(array.transpose(1, 2, 0)))
    draw = ImageDraw.Draw(canvas, "RGBA" if fill else None)
    box_colors = _colors(colors, count, op)
    text_colors = box_colors if label_colors is None else _colors(label_colors, count, op)
    text_font = ImageFont.load_default() if font is None else \
        ImageFont.truetype(font, size=font_size or 10)
    for i, box in enumerate(box_array.astype(np.int64).tolist()):
        color = box_colors[i]
        draw.rectangle(box, width=width, outline=color, fill=color + (100,) if fill else None)
        if labels is not None and labels[i] is not None:
            margin = width + 1
            draw.text((box[0] + margin, box[1] + margin), labels[i], fill=text_colors[i],
                      font=text_font)
    out = np.asarray(canvas).transpose(2, 0, 1)
    out = out.astype(np.float32) / 255 if was_float else np.ascontiguousarray(out)
    return ember.from_numpy(np.ascontiguousarray(out)).to(image.device)
