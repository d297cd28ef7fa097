"""transforms.v2 base and geometric transforms: any input structure, boxes and masks follow.

A sample (tuple, list, dict, nested) is flattened; parameters are drawn once from the images'
size; each leaf is transformed by its kind: images (PIL, `Image`, or the first plain tensor when
there is no image), `BoundingBoxes`, `Mask`. Everything else (labels, strings) passes through.
"""
from PIL import Image as _PILImage

from ember import Tensor

from .. import _random
from .. import functional as F
from ..functional import InterpolationMode
from ..transforms import (_channels_fill, _setup_angle, _setup_size, random_crop_params,
                          random_resized_crop_params)
from . import _boxes
from .tv_tensors import BoundingBoxes, Image, Mask, TVTensor, wrap


def flatten(sample):
    """Leaves of nested tuples/lists/dicts and a function rebuilding the structure."""
    if isinstance(sample, (tuple, list)):
        parts = [flatten(s) for s in sample]
        leaves = [leaf for p in parts for leaf in p[0]]

        def rebuild(values):
            out, pos = [], 0
            for p in parts:
                n = len(p[0])
                out.append(p[1](values[pos:pos + n]))
                pos += n
            return type(sample)(out)
        return leaves, rebuild
    if isinstance(sample, dict):
        keys = list(sample)
        inner_leaves, inner_rebuild = flatten([sample[k] for k in keys])
        return inner_leaves, lambda values: dict(zip(keys, inner_rebuild(values)))
    return [sample], lambda values: values[0]


def is_image(x):
    return isinstance(x, (_PILImage.Image, Image))


def leaf_kinds(leaves):
    """'image', 'boxes', 'mask' or None per leaf (torchvision's plain-tensor heuristic)."""
    has_image = any(is_image(x) for x in leaves)
    kinds, plain_seen = [], False
    for x in leaves:
        if is_image(x):
            kinds.append("image")
        elif isinstance(x, BoundingBoxes):
            kinds.append("boxes")
        elif isinstance(x, Mask):
            kinds.append("mask")
        elif isinstance(x, Tensor) and not isinstance(x, TVTensor):
            kinds.append("image" if not (has_image or plain_seen) else None)
            plain_seen = True
        else:
            kinds.append(None)
    return kinds


def query_size(leaves, kinds):
    """(H, W) of the sample, from its images, masks or boxes."""
    for x, kind in zip(leaves, kinds):
        if kind in ("image", "mask"):
            return tuple(F.get_dimensions(x)[1:]) if kind == "image" else tuple(x.shape[-2:])
    for x, kind in zip(leaves, kinds):
        if kind == "boxes":
            return x.canvas_size
    raise TypeError("No image, video, mask or bounding box was found in the sample")


class Transform:
    """Base of v2 transforms: override `make_params` and `_image`/`_boxes`/`_mask`."""

    def __call__(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        leaves, rebuild = flatten(sample)
        kinds = leaf_kinds(leaves)
        params = self.make_params(leaves, kinds)
        out = []
        for x, kind in zip(leaves, kinds):
            if kind is None:
                out.append(x)
                continue
            y = getattr(self, "_" + kind)(x, params)
            rewrap = isinstance(x, TVTensor) and kind != "boxes" and y is not x
            out.append(wrap(y, like=x) if rewrap else y)
        return rebuild(out)

    forward = __call__

    def make_params(self, leaves, kinds):
        return {}

    def _image(self, img, params):
        return img

    def _boxes(self, boxes, params):
        return boxes

    def _mask(self, mask, params):
        return mask

    def __repr__(self):
        return f"{type(self).__name__}()"


class _RandomApply(Transform):
    """Transform with probability p (drawn once per sample)."""

    def __init__(self, p=0.5):
        if not 0.0 <= p <= 1.0:
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        self.p = p

    def __call__(self, *inputs):
        if _random.rand() >= self.p:
            return inputs if len(inputs) > 1 else inputs[0]
        return super().__call__(*inputs)


class RandomHorizontalFlip(_RandomApply):
    def _image(self, img, params):
        return F.hflip(img)

    _mask = _image

    def _boxes(self, boxes, params):
        return _boxes.transform(boxes, lambda b: _boxes.hflip(b, boxes.canvas_size[1]),
                                boxes.canvas_size)


class RandomVerticalFlip(_RandomApply):
    def _image(self, img, params):
        return F.vflip(img)

    _mask = _image

    def _boxes(self, boxes, params):
        return _boxes.transform(boxes, lambda b: _boxes.vflip(b, boxes.canvas_size[0]),
                                boxes.canvas_size)


def _resize_boxes(boxes, size):
    (h, w), (oh, ow) = boxes.canvas_size, size
    return _boxes.transform(boxes, lambda b: _boxes.translate_scale(b, sx=ow / w, sy=oh / h), size)


def _crop_boxes(boxes, top, left, height, width):
    return _boxes.transform(boxes, lambda b: _boxes.translate_scale(b, -left, -top),
                            (height, width))


def _mask_resize(mask, size):
    squeeze = mask.ndim == 2
    out = F.resize(mask.unsqueeze(0) if squeeze else mask, list(size), InterpolationMode.NEAREST)
    return out.squeeze(0) if squeeze else out


class Resize(Transform):
    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                 antialias=True):
        self.size, self.max_size, self.antialias = size, max_size, antialias
        self.interpolation = F._interpolation(interpolation)

    def make_params(self, leaves, kinds):
        h, w = query_size(leaves, kinds)
        return {"size": F._output_size(h, w, self.size, self.max_size)}

    def _image(self, img, params):
        return F.resize(img, params["size"], self.interpolation, antialias=self.antialias)

    def _mask(self, mask, params):
        return _mask_resize(mask, params["size"])

    def _boxes(self, boxes, params):
        return _resize_boxes(boxes, params["size"])


class _Crop(Transform):
    """Crop by params (top, left, height, width); subclasses choose the box."""

    def _image(self, img, params):
        return F.crop(img, *params["crop"])

    _mask = _image

    def _boxes(self, boxes, params):
        return _crop_boxes(boxes, *params["crop"])


class CenterCrop(_Crop):
    def __init__(self, size):
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")

    def make_params(self, leaves, kinds):
        h, w = query_size(leaves, kinds)
        ch, cw = self.size
        # Larger crops pad evenly (extra pixel at the bottom/right), as torchvision.
        top = -((ch - h) // 2) if ch > h else int(round((h - ch) / 2.0))
        left = -((cw - w) // 2) if cw > w else int(round((w - cw) / 2.0))
        return {"crop": (top, left, ch, cw)}


class RandomCrop(Transform):
    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")
        self.padding = F.parse_padding(padding) if padding is not None else None
        self.pad_if_needed, self.fill, self.padding_mode = pad_if_needed, fill, padding_mode

    def make_params(self, leaves, kinds):
        h, w = query_size(leaves, kinds)
        pad = list(self.padding) if self.padding is not None else [0, 0, 0, 0]
        h, w = h + pad[1] + pad[3], w + pad[0] + pad[2]
        if self.pad_if_needed and w < self.size[1]:
            extra = self.size[1] - w
            pad[0], pad[2], w = pad[0] + extra, pad[2] + extra, w + 2 * extra
        if self.pad_if_needed and h < self.size[0]:
            extra = self.size[0] - h
            pad[1], pad[3], h = pad[1] + extra, pad[3] + extra, h + 2 * extra
        return {"pad": pad, "crop": random_crop_params(h, w, self.size)}

    def _image(self, img, params):
        if any(params["pad"]):
            img = F.pad(img, params["pad"], self.fill, self.padding_mode)
        return F.crop(img, *params["crop"])

    def _mask(self, mask, params):
        if any(params["pad"]):
            mask = F.pad(mask, params["pad"], 0, self.padding_mode)
        return F.crop(mask, *params["crop"])

    def _boxes(self, boxes, params):
        left, top, right, bottom = params["pad"]
        h, w = boxes.canvas_size
        boxes = _boxes.transform(boxes, lambda b: _boxes.translate_scale(b, left, top),
                                 (h + top + bottom, w + left + right))
        return _crop_boxes(boxes, *params["crop"])


class RandomResizedCrop(Transform):
    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")
        self.scale, self.ratio, self.antialias = scale, ratio, antialias
        self.interpolation = F._interpolation(interpolation)

    def make_params(self, leaves, kinds):
        h, w = query_size(leaves, kinds)
        return {"crop": random_resized_crop_params(h, w, self.scale, self.ratio)}

    def _image(self, img, params):
        return F.resized_crop(img, *params["crop"], list(self.size), self.interpolation,
                              self.antialias)

    def _mask(self, mask, params):
        return _mask_resize(F.crop(mask, *params["crop"]), self.size)

    def _boxes(self, boxes, params):
        return _resize_boxes(_crop_boxes(boxes, *params["crop"]), self.size)


class Pad(Transform):
    def __init__(self, padding, fill=0, padding_mode="constant"):
        self.padding = F.parse_padding(padding, "Pad")
        self.fill, self.padding_mode = fill, padding_mode

    def _image(self, img, params):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def _mask(self, mask, params):
        return F.pad(mask, self.padding, 0, self.padding_mode)

    def _boxes(self, boxes, params):
        left, top, right, bottom = self.padding
        h, w = boxes.canvas_size
        return _boxes.transform(boxes, lambda b: _boxes.translate_scale(b, left, top),
                                (h + top + bottom, w + left + right))


class _Affine(Transform):
    """Shared by RandomRotation and RandomAffine: params hold angle/translate/scale/shear."""

    def _image(self, img, params):
        fill = _channels_fill(self.fill, img)
        return self._apply(img, params, self.interpolation, fill)

    def _mask(self, mask, params):
        return self._apply(mask, params, InterpolationMode.NEAREST, 0)

    def _boxes(self, boxes, params):
        h, w = boxes.canvas_size
        center = self.center if self.center is not None else [w * 0.5, h * 0.5]
        angle, translate, scale, shear = params["affine"]
        matrix = F._get_inverse_affine_matrix(center, angle, translate, scale, shear,
                                              inverted=False)
        size = (h, w)
        if params.get("expand"):
            inverse = F._get_inverse_affine_matrix([0.0, 0.0], angle, [0.0, 0.0], 1.0, [0.0, 0.0])
            from .._functional_tensor import affine_output_size
            ow, oh = affine_output_size(inverse, w, h)
            matrix[2] += (ow - w) / 2
            matrix[5] += (oh - h) / 2
            size = (oh, ow)
        return _boxes.transform(boxes, lambda b: _boxes.affine(b, matrix), size)


class RandomRotation(_Affine):
    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False, center=None,
                 fill=0):
        self.degrees = _setup_angle(degrees, "degrees")
        self.interpolation = F._interpolation(interpolation)
        self.expand, self.center, self.fill = expand, center, fill

    def make_params(self, leaves, kinds):
        angle = _random.uniform(*self.degrees)
        # rotate() turns counter-clockwise; the affine convention is clockwise.
        return {"angle": angle, "affine": (-angle, [0.0, 0.0], 1.0, [0.0, 0.0]),
                "expand": self.expand}

    def _apply(self, img, params, interpolation, fill):
        return F.rotate(img, params["angle"], interpolation, self.expand, self.center, fill)


class RandomAffine(_Affine):
    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation=InterpolationMode.NEAREST, fill=0, center=None):
        from ..transforms import RandomAffine as _V1
        self._v1 = _V1(degrees, translate, scale, shear, interpolation, fill, center)
        self.interpolation, self.fill, self.center = self._v1.interpolation, fill, center

    def make_params(self, leaves, kinds):
        h, w = query_size(leaves, kinds)
        v1 = self._v1
        return {"affine": v1.get_params(v1.degrees, v1.translate, v1.scale, v1.shear, [w, h])}

    def _apply(self, img, params, interpolation, fill):
        angle, translate, scale, shear = params["affine"]
        return F.affine(img, angle, translate, scale, shear, interpolation, fill, self.center)
