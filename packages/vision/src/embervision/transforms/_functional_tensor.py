"""Image math on raw arrays of shape (..., C, H, W) (numpy or cupy), torchvision's tensor kernels.

Every function takes and returns an array; `functional.py` unwraps and rewraps ember tensors.
Integer images are processed in float and rounded back the way torchvision's
`_cast_squeeze_in/_out` do, so uint8 results match torchvision's.
"""
import numpy as np

from ember._device import array_module_of


def is_float(img):
    return img.dtype.kind == "f"


def max_value(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return 1.0
    if dtype.kind == "b":
        return 1
    return int(np.iinfo(dtype).max)


def work_dtype(img):
    return img.dtype if img.dtype in (np.float32, np.float64) else np.dtype(np.float32)


def cast_back(out, dtype, round_ints=True):
    """A float result in `dtype`: integers rounded and clipped (`_cast_squeeze_out`)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "ui":
        xp = array_module_of(out)
        info = np.iinfo(dtype)
        out = xp.clip(xp.round(out) if round_ints else out, info.min, info.max)
    return out.astype(dtype, copy=False)


def get_dimensions(img):
    if img.ndim < 2:
        raise TypeError(f"expected an image tensor of shape (..., H, W), got shape "
                        f"{list(img.shape)}")
    channels = 1 if img.ndim == 2 else img.shape[-3]
    return [channels, img.shape[-2], img.shape[-1]]


def convert_image_dtype(img, dtype):
    """torchvision's `convert_image_dtype`: rescales between integer ranges and [0, 1] floats."""
    dtype = np.dtype(dtype)
    if img.dtype == dtype:
        return img
    if is_float(img):
        if dtype.kind == "f":
            return img.astype(dtype)
        if (img.dtype == np.float32 and dtype in (np.int32, np.int64)) or (
                img.dtype == np.float64 and dtype == np.int64):
            raise RuntimeError(f"convert_image_dtype: the cast from {img.dtype} to {dtype} "
                               "cannot be performed safely")
        # 1 - eps keeps 1.0 at the top value instead of overflowing past it.
        return (img * (max_value(dtype) + 1.0 - 1e-3)).astype(dtype)
    in_max = max_value(img.dtype)
    if dtype.kind == "f":
        return img.astype(dtype) / in_max
    out_max = max_value(dtype)
    if in_max > out_max:
        return (img // ((in_max + 1) // (out_max + 1))).astype(dtype)
    return img.astype(dtype) * ((out_max + 1) // (in_max + 1))


# ------------------------------------------------------------------------------- geometry
def crop(img, top, left, height, width):
    """Crop with zero padding where the box leaves the image (as torchvision's tensor crop)."""
    h, w = img.shape[-2:]
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        pad_ltrb = [max(-left, 0), max(-top, 0), max(right - w, 0), max(bottom - h, 0)]
        img = img[..., max(top, 0):min(bottom, h), max(left, 0):min(right, w)]
        return pad(img, pad_ltrb, 0, "constant")
    return img[..., top:bottom, left:right]


def pad(img, padding_ltrb, fill=0, padding_mode="constant"):
    xp = array_module_of(img)
    left, top, right, bottom = padding_ltrb
    # Negative padding crops, as torchvision allows on tensors.
    h, w = img.shape[-2:]
    img = img[..., max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]
    widths = [(0, 0)] * (img.ndim - 2) + [(max(top, 0), max(bottom, 0)),
                                          (max(left, 0), max(right, 0))]
    if padding_mode == "constant":
        return xp.pad(img, widths, mode="constant", constant_values=fill)
    return xp.pad(img, widths, mode=padding_mode)


def hflip(img):
    return img[..., ::-1].copy()


def vflip(img):
    return img[..., ::-1, :].copy()


def _cubic(x, a):
    x = np.abs(x)
    return np.where(x <= 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                    np.where(x < 2, (((x - 5) * x + 8) * x - 4) * a, 0.0))


def _resize_weights(in_size, out_size, mode, antialias):
    """The (out, in) matrix of torch.nn.functional.interpolate along one axis."""
    scale = in_size / out_size
    i = np.arange(out_size)
    j = np.arange(in_size)
    weights = np.zeros((out_size, in_size))
    if mode == "nearest":
        weights[i, np.minimum(np.floor(i * scale).astype(np.int64), in_size - 1)] = 1.0
        return weights
    if antialias:
        # torch's `_upsample_*_aa`: a filter stretched by the scale when downsampling (PIL's).
        interp_size, kernel = (2, lambda x: np.clip(1 - np.abs(x), 0, None)) if mode == "bilinear" \
            else (4, lambda x: _cubic(x, -0.5))
        support = interp_size / 2 * max(scale, 1.0)
        invscale = 1.0 / scale if scale >= 1.0 else 1.0
        center = scale * (i + 0.5)
        xmin = np.maximum(np.trunc(center - support + 0.5), 0)
        xmax = np.minimum(np.trunc(center + support + 0.5), in_size)
        w = kernel((j[None, :] - center[:, None] + 0.5) * invscale)
        w = np.where((j[None, :] >= xmin[:, None]) & (j[None, :] < xmax[:, None]), w, 0.0)
        return w / w.sum(axis=1, keepdims=True)
    src = (i + 0.5) * scale - 0.5
    if mode == "bilinear":
        src = np.maximum(src, 0)
        i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
        lam = src - i0
        np.add.at(weights, (i, i0), 1 - lam)
        np.add.at(weights, (i, np.minimum(i0 + 1, in_size - 1)), lam)
        return weights
    i0 = np.floor(src).astype(np.int64)
    t = src - i0
    for offset, wt in zip((-1, 0, 1, 2), (_cubic(t + 1, -0.75), _cubic(t, -0.75),
                                          _cubic(1 - t, -0.75), _cubic(2 - t, -0.75))):
        np.add.at(weights, (i, np.clip(i0 + offset, 0, in_size - 1)), wt)
    return weights


def resize(img, size, interpolation="bilinear", antialias=True):
    """Resize (..., H, W) to `size` = [h, w] like torch's interpolate (align_corners=False)."""
    xp = array_module_of(img)
    h, w = img.shape[-2:]
    oh, ow = size
    if (oh, ow) == (h, w):
        return img
    dt = work_dtype(img)
    wh = xp.asarray(_resize_weights(h, oh, interpolation, antialias), dtype=dt)
    ww = xp.asarray(_resize_weights(w, ow, interpolation, antialias), dtype=dt)
    out = wh @ img.astype(dt) @ ww.T
    if interpolation == "nearest":
        return out.astype(img.dtype)
    return cast_back(out, img.dtype)


def _sample(img, src_x, src_y, interpolation, fill):
    """Sample img (..., C, H, W) at source pixel coordinates (oh, ow); outside reads `fill`.

    torch's grid_sample (zeros padding) plus torchvision's mask channel for the fill colour.
    """
    xp = array_module_of(img)
    h, w = img.shape[-2:]
    dt = work_dtype(img)
    data = img.astype(dt)
    src_x, src_y = xp.asarray(src_x, dtype=dt), xp.asarray(src_y, dtype=dt)
    if interpolation == "nearest":
        corners = [(xp.rint(src_x), xp.rint(src_y), xp.ones_like(src_x))]
    else:
        x0, y0 = xp.floor(src_x), xp.floor(src_y)
        fx, fy = src_x - x0, src_y - y0
        corners = [(x0, y0, (1 - fx) * (1 - fy)), (x0 + 1, y0, fx * (1 - fy)),
                   (x0, y0 + 1, (1 - fx) * fy), (x0 + 1, y0 + 1, fx * fy)]
    out = 0
    mask = 0
    for cx, cy, weight in corners:
        valid = (cx >= 0) & (cx <= w - 1) & (cy >= 0) & (cy <= h - 1)
        weight = weight * valid
        ix = xp.clip(cx, 0, w - 1).astype(np.int64)
        iy = xp.clip(cy, 0, h - 1).astype(np.int64)
        out = out + data[..., iy, ix] * weight
        mask = mask + weight
    if fill is not None:
        channels = img.shape[-3] if img.ndim >= 3 else 1
        fill = [float(f) for f in fill] if isinstance(fill, (list, tuple)) else [float(fill)]
        if len(fill) == 1:
            fill = fill * channels
        fill_img = xp.asarray(fill, dtype=dt).reshape(-1, 1, 1) if img.ndim >= 3 else fill[0]
        if interpolation == "nearest":
            out = xp.where(mask < 0.5, fill_img, out)
        else:
            out = out * mask + (1.0 - mask) * fill_img
    return cast_back(out, img.dtype)


def affine_output_size(matrix, w, h):
    """Size of the canvas holding the whole transformed image (torchvision's expand rule)."""
    pts = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                    [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]])
    new_pts = pts @ np.asarray(matrix, dtype=np.float64).reshape(2, 3).T
    shift = np.array([w * 0.5, h * 0.5])  # to [0, w] x [0, h], as PIL counts pixels
    # Truncating to 1e-4 keeps 1e-15 past an integer from ceiling to one more pixel.
    cmax = np.ceil(np.trunc((new_pts.max(0) + shift) * 1e4) / 1e4)
    cmin = np.floor(np.trunc((new_pts.min(0) + shift) * 1e4) / 1e4)
    size = cmax - cmin
    return int(size[0]), int(size[1])


def affine(img, matrix, interpolation="nearest", fill=None, output_size=None):
    """Apply the inverse affine `matrix` (6 numbers, centred coordinates) to (..., H, W)."""
    h, w = img.shape[-2:]
    ow, oh = output_size or (w, h)
    theta = np.asarray(matrix, dtype=np.float64).reshape(2, 3)
    ys, xs = np.meshgrid(np.arange(oh) - oh * 0.5 + 0.5, np.arange(ow) - ow * 0.5 + 0.5,
                         indexing="ij")
    src_x = theta[0, 0] * xs + theta[0, 1] * ys + theta[0, 2] + w * 0.5 - 0.5
    src_y = theta[1, 0] * xs + theta[1, 1] * ys + theta[1, 2] + h * 0.5 - 0.5
    return _sample(img, src_x, src_y, interpolation, fill)


def perspective(img, coeffs, interpolation="bilinear", fill=None):
    h, w = img.shape[-2:]
    a, b, c, d, e, f, g, k = coeffs
    ys, xs = np.meshgrid(np.arange(h) + 0.5, np.arange(w) + 0.5, indexing="ij")
    denom = g * xs + k * ys + 1.0
    src_x = (a * xs + b * ys + c) / denom - 0.5
    src_y = (d * xs + e * ys + f) / denom - 0.5
    return _sample(img, src_x, src_y, interpolation, fill)


def _conv_separable(img, kernel_x, kernel_y):
    """Depthwise 2-D convolution with a separable kernel over a reflect-padded image."""
    xp = array_module_of(img)
    kx, ky = len(kernel_x), len(kernel_y)
    widths = [(0, 0)] * (img.ndim - 2) + [(ky // 2, ky // 2), (kx // 2, kx // 2)]
    padded = xp.pad(img, widths, mode="reflect")
    h, w = img.shape[-2:]
    rows = sum(float(kernel_y[t]) * padded[..., t:t + h, :] for t in range(ky))
    return sum(float(kernel_x[t]) * rows[..., t:t + w] for t in range(kx))


def _gaussian_kernel1d(size, sigma):
    half = (size - 1) * 0.5
    x = np.linspace(-half, half, size)
    pdf = np.exp(-0.5 * (x / sigma) ** 2)
    return pdf / pdf.sum()


def gaussian_blur(img, kernel_size, sigma):
    kernel_x = _gaussian_kernel1d(kernel_size[0], sigma[0])
    kernel_y = _gaussian_kernel1d(kernel_size[1], sigma[1])
    out = _conv_separable(img.astype(work_dtype(img)), kernel_x, kernel_y)
    return cast_back(out, img.dtype)


# ---------------------------------------------------------------------------------- colour
def _blend(img1, img2, ratio):
    bound = max_value(img1.dtype)
    xp = array_module_of(img1)
    # torchvision truncates integers here (`.to(dtype)`), it does not round.
    out = xp.clip(ratio * img1.astype(work_dtype(img1)) + (1.0 - ratio) * img2, 0, bound)
    return out.astype(img1.dtype)


def rgb_to_grayscale(img, num_output_channels=1):
    xp = array_module_of(img)
    if img.shape[-3] == 1:
        gray = img
    else:
        r, g, b = (img[..., i, :, :].astype(work_dtype(img)) for i in range(3))
        gray = (0.2989 * r + 0.587 * g + 0.114 * b).astype(img.dtype)[..., None, :, :]
    if num_output_channels == 3:
        return xp.broadcast_to(gray, gray.shape[:-3] + (3,) + gray.shape[-2:]).copy()
    return gray


def adjust_brightness(img, factor):
    return _blend(img, 0.0, factor)


def adjust_contrast(img, factor):
    gray = rgb_to_grayscale(img) if img.shape[-3] == 3 else img
    mean = gray.astype(work_dtype(img)).mean(axis=(-3, -2, -1), keepdims=True)
    return _blend(img, mean, factor)


def adjust_saturation(img, factor):
    if img.shape[-3] == 1:
        return img
    return _blend(img, rgb_to_grayscale(img), factor)


def _rgb_to_hsv(img):
    xp = array_module_of(img)
    r, g, b = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    maxc, minc = img.max(axis=-3), img.min(axis=-3)
    eqc = maxc == minc
    cr = maxc - minc
    ones = xp.ones_like(maxc)
    s = cr / xp.where(eqc, ones, maxc)
    cr_divisor = xp.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / cr_divisor, (maxc - g) / cr_divisor, (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = xp.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return xp.stack((h, s, maxc), axis=-3)


def _hsv_to_rgb(img):
    xp = array_module_of(img)
    h, s, v = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    i = xp.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int64) % 6
    p = xp.clip(v * (1.0 - s), 0.0, 1.0)
    q = xp.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = xp.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    table = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    channels = []
    for c in range(3):
        out = xp.zeros_like(v)
        for k in range(6):
            out = xp.where(i == k, table[k][c], out)
        channels.append(out)
    return xp.stack(channels, axis=-3)


def adjust_hue(img, hue_factor):
    xp = array_module_of(img)
    if img.shape[-3] == 1:
        return img
    dtype = img.dtype
    work = convert_image_dtype(img, np.float32) if not is_float(img) else img
    hsv = _rgb_to_hsv(work)
    hsv[..., 0, :, :] = xp.fmod(hsv[..., 0, :, :] + hue_factor, 1.0)
    hsv[..., 0, :, :] = xp.where(hsv[..., 0, :, :] < 0, hsv[..., 0, :, :] + 1.0, hsv[..., 0, :, :])
    rgb = _hsv_to_rgb(hsv)
    if dtype == np.uint8:
        return (rgb * 255.0).astype(dtype)
    return rgb.astype(dtype)


def adjust_gamma(img, gamma, gain=1.0):
    xp = array_module_of(img)
    work = img if is_float(img) else convert_image_dtype(img, np.float32)
    out = xp.clip(gain * work ** gamma, 0, 1)
    return convert_image_dtype(out.astype(work.dtype), img.dtype)


def adjust_sharpness(img, factor):
    if img.shape[-1] <= 2 or img.shape[-2] <= 2:
        return img
    work = img.astype(work_dtype(img))
    # PIL's SMOOTH kernel [[1,1,1],[1,5,1],[1,1,1]] / 13 on the interior; borders unchanged.
    h, w = img.shape[-2:]
    acc = sum(work[..., dy:dy + h - 2, dx:dx + w - 2] for dy in range(3) for dx in range(3))
    blurred = (acc + 4 * work[..., 1:-1, 1:-1]) / 13.0
    degenerate = work.copy()
    degenerate[..., 1:-1, 1:-1] = cast_back(blurred, img.dtype)
    return _blend(img, degenerate, factor)


def autocontrast(img):
    xp = array_module_of(img)
    bound = max_value(img.dtype)
    work = img.astype(work_dtype(img))
    minimum = work.min(axis=(-2, -1), keepdims=True)
    maximum = work.max(axis=(-2, -1), keepdims=True)
    flat = maximum == minimum
    scale = bound / xp.where(flat, 1, maximum - minimum)
    minimum = xp.where(flat, 0, minimum)
    scale = xp.where(flat, 1, scale)
    return xp.clip((work - minimum) * scale, 0, bound).astype(img.dtype)


def _via_uint8(op):
    """Run a uint8-only op on float images through uint8 (as transforms.v2 does)."""
    def wrapper(img, *args):
        if is_float(img):
            return convert_image_dtype(op(convert_image_dtype(img, np.uint8), *args), img.dtype)
        if img.dtype != np.uint8:
            raise TypeError(f"{op.__name__}: only uint8 and float images are supported, "
                            f"got {img.dtype}")
        return op(img, *args)
    wrapper.__name__ = op.__name__
    return wrapper


@_via_uint8
def equalize(img):
    """Histogram equalisation per channel, torchvision's `_scale_channel` LUT."""
    xp = array_module_of(img)
    flat = img.reshape(-1, img.shape[-2] * img.shape[-1])
    out = xp.empty_like(flat)
    for ch in range(flat.shape[0]):  # one histogram per channel image, not per pixel
        chan = flat[ch]
        hist = xp.bincount(chan, minlength=256)
        nonzero = hist[hist != 0]
        step = int(nonzero[:-1].sum()) // 255
        if step == 0:
            out[ch] = chan
            continue
        lut = (xp.cumsum(hist) + step // 2) // step
        lut = xp.clip(xp.concatenate([xp.zeros(1, lut.dtype), lut[:-1]]), 0, 255)
        out[ch] = lut[chan]
    return out.reshape(img.shape)


@_via_uint8
def posterize(img, bits):
    return img & np.uint8((0xFF << (8 - bits)) & 0xFF)


def invert(img):
    if img.dtype.kind == "b":
        return ~img
    return (max_value(img.dtype) - img).astype(img.dtype)


def solarize(img, threshold):
    xp = array_module_of(img)
    if threshold > max_value(img.dtype):
        raise TypeError("solarize: threshold should be less than the image's maximum value")
    return xp.where(img >= threshold, invert(img), img)


def erase(img, i, j, h, w, v, inplace=False):
    if not inplace:
        img = img.copy()
    img[..., i:i + h, j:j + w] = v
    return img
