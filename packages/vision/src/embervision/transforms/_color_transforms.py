"""torchvision.transforms colour transforms, GaussianBlur and RandomErasing."""
import math
import numbers

import ember
from ember import Tensor

from . import _random
from . import functional as F
from .transforms import Transform, _setup_size


def _check_input(value, name, center=1.0, bound=(0, float("inf")), clip_first_on_zero=True):
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be non negative.")
        value = [center - float(value), center + float(value)]
        if clip_first_on_zero:
            value[0] = max(value[0], 0.0)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        value = [float(value[0]), float(value[1])]
    else:
        raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
    if not bound[0] <= value[0] <= value[1] <= bound[1]:
        raise ValueError(f"{name} values should be between {bound}, but got {value}.")
    return None if value[0] == value[1] == center else tuple(value)


class ColorJitter(Transform):
    """Random brightness, contrast, saturation and hue, applied in a random order."""

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self.brightness = _check_input(brightness, "brightness")
        self.contrast = _check_input(contrast, "contrast")
        self.saturation = _check_input(saturation, "saturation")
        self.hue = _check_input(hue, "hue", center=0, bound=(-0.5, 0.5), clip_first_on_zero=False)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        fn_idx = _random.randperm(4)
        b, c, s, h = (None if r is None else _random.uniform(r[0], r[1])
                      for r in (brightness, contrast, saturation, hue))
        return fn_idx, b, c, s, h

    def forward(self, img):
        fn_idx, *factors = self.get_params(self.brightness, self.contrast, self.saturation,
                                           self.hue)
        ops = (F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue)
        for i in fn_idx:
            if factors[i] is not None:
                img = ops[i](img, factors[i])
        return img

    def extra_repr(self):
        return (f"brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue}")


class Grayscale(Transform):
    def __init__(self, num_output_channels=1):
        self.num_output_channels = num_output_channels

    def forward(self, img):
        return F.rgb_to_grayscale(img, self.num_output_channels)


class RandomGrayscale(Transform):
    """Grayscale with probability p, keeping the number of channels."""

    def __init__(self, p=0.1):
        self.p = p

    def forward(self, img):
        channels = F.get_dimensions(img)[0]
        if _random.rand() < self.p:
            return F.rgb_to_grayscale(img, channels)
        return img


class GaussianBlur(Transform):
    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        self.kernel_size = _setup_size(kernel_size,
                                       "Kernel size should be a tuple/list of two integers")
        if any(k <= 0 or k % 2 == 0 for k in self.kernel_size):
            raise ValueError("Kernel size value should be an odd and positive number.")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError("If sigma is a single number, it must be positive.")
            sigma = (sigma, sigma)
        elif not (isinstance(sigma, (list, tuple)) and len(sigma) == 2
                  and 0 < sigma[0] <= sigma[1]):
            raise ValueError("sigma values should be positive and of the form (min, max).")
        self.sigma = sigma

    @staticmethod
    def get_params(sigma_min, sigma_max):
        return _random.uniform(sigma_min, sigma_max)

    def forward(self, img):
        sigma = self.get_params(*self.sigma)
        return F.gaussian_blur(img, self.kernel_size, [sigma, sigma])

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, sigma={self.sigma}"


class RandomErasing(Transform):
    """Erase a random rectangle of a tensor image with probability p (Zhong et al. 2017)."""

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False):
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("If value is str, it should be 'random'")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError("Scale and ratio should be of kind (min, max)")
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("Scale should be between 0 and 1")
        if p < 0 or p > 1:
            raise ValueError("Random erasing probability should be between 0 and 1")
        self.p, self.scale, self.ratio, self.value, self.inplace = p, scale, ratio, value, inplace

    @staticmethod
    def get_params(img, scale, ratio, value=None):
        img_c, img_h, img_w = img.shape[-3], img.shape[-2], img.shape[-1]
        area = img_h * img_w
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            erase_area = area * _random.uniform(scale[0], scale[1])
            aspect_ratio = math.exp(_random.uniform(log_ratio[0], log_ratio[1]))
            h = int(round(math.sqrt(erase_area * aspect_ratio)))
            w = int(round(math.sqrt(erase_area / aspect_ratio)))
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                v = ember.empty(img_c, h, w, dtype=ember.float32).normal_()
            else:
                v = ember.tensor(value, dtype=ember.float32)[:, None, None]
            return _random.randint(0, img_h - h + 1), _random.randint(0, img_w - w + 1), h, w, v
        return 0, 0, img_h, img_w, img

    def forward(self, img):
        if not isinstance(img, Tensor):
            raise TypeError(f"RandomErasing: expected a Tensor image, got {type(img)}")
        if _random.rand() >= self.p:
            return img
        if isinstance(self.value, (int, float)):
            value = [float(self.value)]
        elif isinstance(self.value, str):
            value = None
        else:
            value = [float(v) for v in self.value]
        channels = img.shape[-3]
        if value is not None and len(value) not in (1, channels):
            raise ValueError(f"RandomErasing: value should have 1 or {channels} elements "
                             f"(the image's channels), got {len(value)}")
        if value is not None and len(value) == 1:
            value = value * channels
        x, y, h, w, v = self.get_params(img, self.scale, self.ratio, value)
        return F.erase(img, x, y, h, w, v, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, scale={self.scale}, ratio={self.ratio}, value={self.value}"


class _RandomOp(Transform):
    """Apply `op(img, *args)` with probability p."""

    def __init__(self, *args, p=0.5):
        self.args, self.p = args, p

    def forward(self, img):
        return self.op(img, *self.args) if _random.rand() < self.p else img


class RandomInvert(_RandomOp):
    op = staticmethod(F.invert)

    def __init__(self, p=0.5):
        super().__init__(p=p)


class RandomAutocontrast(RandomInvert):
    op = staticmethod(F.autocontrast)


class RandomEqualize(RandomInvert):
    op = staticmethod(F.equalize)


class RandomPosterize(_RandomOp):
    op = staticmethod(F.posterize)

    def __init__(self, bits, p=0.5):
        super().__init__(bits, p=p)


class RandomSolarize(_RandomOp):
    op = staticmethod(F.solarize)

    def __init__(self, threshold, p=0.5):
        super().__init__(threshold, p=p)


class RandomAdjustSharpness(_RandomOp):
    op = staticmethod(F.adjust_sharpness)

    def __init__(self, sharpness_factor, p=0.5):
        super().__init__(sharpness_factor, p=p)
