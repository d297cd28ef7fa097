"""torchvision.transforms classes: containers, conversions and geometric transforms.

Colour, blur and erasing transforms live in `_color_transforms.py`; both are re-exported by the
package. Random parameters come from ember's generator (`_random`), in torchvision's draw order.
"""
import math
import numbers
from collections.abc import Sequence

from ember import Tensor

from . import _random
from . import functional as F
from .functional import InterpolationMode


class Transform:
    """Base: `t(img)` calls `t.forward(img)`; repr lists the constructor arguments."""

    def __call__(self, *args):
        return self.forward(*args)

    def extra_repr(self):
        return ""

    def __repr__(self):
        return f"{type(self).__name__}({self.extra_repr()})"


def _setup_size(size, error_msg):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return tuple(size)


def _check_sequence(name, value, req_sizes):
    lengths = " or ".join(map(str, req_sizes))
    if not isinstance(value, Sequence):
        raise TypeError(f"{name} should be a sequence of length {lengths}.")
    if len(value) not in req_sizes:
        raise ValueError(f"{name} should be a sequence of length {lengths}.")


def _setup_angle(x, name, req_sizes=(2,)):
    if isinstance(x, numbers.Number):
        if x < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        return [-float(x), float(x)]
    _check_sequence(name, x, req_sizes)
    return [float(d) for d in x]


def _channels_fill(fill, img):
    """Tensors want one fill value per channel (torchvision's class-level fill rule)."""
    if isinstance(img, Tensor):
        channels = F.get_dimensions(img)[0]
        if isinstance(fill, (int, float)):
            return [float(fill)] * channels
        return [float(f) for f in fill] if fill is not None else None
    return fill


def random_crop_params(h, w, output_size):
    """(top, left, th, tw) of a uniformly placed crop (shared with transforms.v2)."""
    th, tw = output_size
    if h < th or w < tw:
        raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
    if w == tw and h == th:
        return 0, 0, h, w
    return _random.randint(0, h - th + 1), _random.randint(0, w - tw + 1), th, tw


def random_resized_crop_params(height, width, scale, ratio):
    """torchvision's 10 tries at a random area and aspect ratio, then a centre-crop fallback."""
    area = height * width
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target_area = area * _random.uniform(scale[0], scale[1])
        aspect_ratio = math.exp(_random.uniform(log_ratio[0], log_ratio[1]))
        w = int(round(math.sqrt(target_area * aspect_ratio)))
        h = int(round(math.sqrt(target_area / aspect_ratio)))
        if 0 < w <= width and 0 < h <= height:
            return _random.randint(0, height - h + 1), _random.randint(0, width - w + 1), h, w
    in_ratio = width / height
    if in_ratio < min(ratio):
        w, h = width, int(round(width / min(ratio)))
    elif in_ratio > max(ratio):
        h, w = height, int(round(height * max(ratio)))
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


# ----------------------------------------------------------------------------- containers
class Compose(Transform):
    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    forward = __call__

    def __repr__(self):
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({body}\n)"


class Lambda(Transform):
    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def forward(self, img):
        return self.lambd(img)


class RandomApply(Transform):
    """Apply the list of transforms with probability p."""

    def __init__(self, transforms, p=0.5):
        self.transforms, self.p = list(transforms), p

    def forward(self, img):
        if self.p < _random.rand():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def extra_repr(self):
        return f"p={self.p}, transforms={self.transforms}"


class RandomChoice(Transform):
    """Apply one transform picked at random (weights `p`, default uniform)."""

    def __init__(self, transforms, p=None):
        self.transforms = list(transforms)
        if p is not None and len(p) != len(self.transforms):
            raise ValueError(f"RandomChoice: length of p doesn't match the number of transforms: "
                             f"{len(p)} != {len(self.transforms)}")
        self.p = p

    def forward(self, *args):
        weights = self.p or [1.0] * len(self.transforms)
        u = _random.rand() * sum(weights)
        idx = 0
        while idx < len(weights) - 1 and u >= weights[idx]:
            u -= weights[idx]
            idx += 1
        return self.transforms[idx](*args)


class RandomOrder(Transform):
    def __init__(self, transforms):
        self.transforms = list(transforms)

    def forward(self, img):
        for i in _random.randperm(len(self.transforms)):
            img = self.transforms[i](img)
        return img


# ---------------------------------------------------------------------------- conversions
class ToTensor(Transform):
    def forward(self, pic):
        return F.to_tensor(pic)


class PILToTensor(Transform):
    def forward(self, pic):
        return F.pil_to_tensor(pic)


class ToPILImage(Transform):
    def __init__(self, mode=None):
        self.mode = mode

    def forward(self, pic):
        return F.to_pil_image(pic, self.mode)


class ConvertImageDtype(Transform):
    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, image):
        return F.convert_image_dtype(image, self.dtype)


class Normalize(Transform):
    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = mean, std, inplace

    def forward(self, tensor):
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def extra_repr(self):
        return f"mean={self.mean}, std={self.std}"


# ------------------------------------------------------------------------------- geometry
class Resize(Transform):
    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                 antialias=True):
        if not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size, self.max_size, self.antialias = size, max_size, antialias
        self.interpolation = F._interpolation(interpolation)

    def forward(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def extra_repr(self):
        return (f"size={self.size}, interpolation={self.interpolation.value}, "
                f"max_size={self.max_size}, antialias={self.antialias}")


class CenterCrop(Transform):
    def __init__(self, size):
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")

    def forward(self, img):
        return F.center_crop(img, self.size)

    def extra_repr(self):
        return f"size={self.size}"


class Pad(Transform):
    def __init__(self, padding, fill=0, padding_mode="constant"):
        F.parse_padding(padding, "Pad")
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def forward(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def extra_repr(self):
        return f"padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode}"


class RandomCrop(Transform):
    @staticmethod
    def get_params(img, output_size):
        _, h, w = F.get_dimensions(img)
        return random_crop_params(h, w, output_size)

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode

    def forward(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = F.get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = F.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = F.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        return F.crop(img, *self.get_params(img, self.size))

    def extra_repr(self):
        return f"size={self.size}, padding={self.padding}"


class RandomResizedCrop(Transform):
    """Crop a random area/aspect ratio (10 tries, then a centre crop), resize to `size`."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError("RandomResizedCrop: scale and ratio should be of kind (min, max)")
        self.scale, self.ratio, self.antialias = scale, ratio, antialias
        self.interpolation = F._interpolation(interpolation)

    @staticmethod
    def get_params(img, scale, ratio):
        _, height, width = F.get_dimensions(img)
        return random_resized_crop_params(height, width, scale, ratio)

    def forward(self, img):
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, i, j, h, w, self.size, self.interpolation, self.antialias)

    def extra_repr(self):
        return f"size={self.size}, scale={self.scale}, ratio={self.ratio}"


class FiveCrop(Transform):
    def __init__(self, size):
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")

    def forward(self, img):
        return F.five_crop(img, self.size)


class TenCrop(Transform):
    def __init__(self, size, vertical_flip=False):
        self.size = _setup_size(size, "Please provide only two dimensions (h, w) for size.")
        self.vertical_flip = vertical_flip

    def forward(self, img):
        return F.ten_crop(img, self.size, self.vertical_flip)


class RandomHorizontalFlip(Transform):
    def __init__(self, p=0.5):
        self.p = p

    def forward(self, img):
        return F.hflip(img) if _random.rand() < self.p else img

    def extra_repr(self):
        return f"p={self.p}"


class RandomVerticalFlip(RandomHorizontalFlip):
    def forward(self, img):
        return F.vflip(img) if _random.rand() < self.p else img


class RandomRotation(Transform):
    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False, center=None,
                 fill=0):
        self.degrees = _setup_angle(degrees, "degrees")
        if center is not None:
            _check_sequence("center", center, (2,))
        self.interpolation = F._interpolation(interpolation)
        self.expand, self.center, self.fill = expand, center, fill

    @staticmethod
    def get_params(degrees):
        return _random.uniform(degrees[0], degrees[1])

    def forward(self, img):
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center,
                        _channels_fill(self.fill, img))

    def extra_repr(self):
        return f"degrees={self.degrees}, expand={self.expand}"


class RandomAffine(Transform):
    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation=InterpolationMode.NEAREST, fill=0, center=None):
        self.degrees = _setup_angle(degrees, "degrees")
        if translate is not None:
            _check_sequence("translate", translate, (2,))
            if not all(0.0 <= t <= 1.0 for t in translate):
                raise ValueError("translation values should be between 0 and 1")
        if scale is not None:
            _check_sequence("scale", scale, (2,))
            if any(s <= 0 for s in scale):
                raise ValueError("scale values should be positive")
        self.translate, self.scale = translate, scale
        self.shear = _setup_angle(shear, "shear", (2, 4)) if shear is not None else None
        self.interpolation = F._interpolation(interpolation)
        self.fill, self.center = fill, center

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        angle = _random.uniform(degrees[0], degrees[1])
        if translate is not None:
            max_dx, max_dy = float(translate[0] * img_size[0]), float(translate[1] * img_size[1])
            translations = (int(round(_random.uniform(-max_dx, max_dx))),
                            int(round(_random.uniform(-max_dy, max_dy))))
        else:
            translations = (0, 0)
        scale = _random.uniform(*scale_ranges) if scale_ranges is not None else 1.0
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = _random.uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = _random.uniform(shears[2], shears[3])
        return angle, translations, scale, (shear_x, shear_y)

    def forward(self, img):
        params = self.get_params(self.degrees, self.translate, self.scale, self.shear,
                                 F.get_image_size(img))
        return F.affine(img, *params, interpolation=self.interpolation,
                        fill=_channels_fill(self.fill, img), center=self.center)

    def extra_repr(self):
        return f"degrees={self.degrees}, translate={self.translate}, scale={self.scale}"


class RandomPerspective(Transform):
    def __init__(self, distortion_scale=0.5, p=0.5, interpolation=InterpolationMode.BILINEAR,
                 fill=0):
        self.distortion_scale, self.p, self.fill = distortion_scale, p, fill
        self.interpolation = F._interpolation(interpolation)

    @staticmethod
    def get_params(width, height, distortion_scale):
        half_h, half_w = height // 2, width // 2
        dw, dh = int(distortion_scale * half_w), int(distortion_scale * half_h)
        topleft = [_random.randint(0, dw + 1), _random.randint(0, dh + 1)]
        topright = [_random.randint(width - dw - 1, width), _random.randint(0, dh + 1)]
        botright = [_random.randint(width - dw - 1, width),
                    _random.randint(height - dh - 1, height)]
        botleft = [_random.randint(0, dw + 1), _random.randint(height - dh - 1, height)]
        startpoints = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
        return startpoints, [topleft, topright, botright, botleft]

    def forward(self, img):
        if _random.rand() < self.p:
            _, height, width = F.get_dimensions(img)
            start, end = self.get_params(width, height, self.distortion_scale)
            return F.perspective(img, start, end, self.interpolation,
                                 _channels_fill(self.fill, img))
        return img

    def extra_repr(self):
        return f"p={self.p}"
