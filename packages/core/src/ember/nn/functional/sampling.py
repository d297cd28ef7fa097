"""Resampling: interpolate (nearest, nearest-exact, linear family, bicubic, area),
pixel_shuffle/unshuffle, and unfold/fold (im2col/col2im as differentiable ops)."""
import math

import numpy as np

from ..._device import array_module_of
from ..._tensor import Tensor
from ...autograd.graph import Node
from ...ops._common import attach, requires_grad
from ._sliding import as_tuple, col2im, im2col, out_size

_LINEAR = {"linear": 1, "bilinear": 2, "trilinear": 3, "bicubic": 2}


def _output_sizes(input, nd, size, scale_factor, recompute_scale_factor):
    """(output sizes, scales passed to the index maths or None per dim), as PyTorch does."""
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: only one of size or scale_factor should be defined")
    spatial = tuple(input.shape[2:])
    if size is not None:
        sizes = (tuple(int(s) for s in size) if isinstance(size, (tuple, list)) else
                 (int(size),) * nd)
        if len(sizes) != nd:
            raise ValueError(f"interpolate: input and output must have the same number of "
                             f"spatial dimensions, but got input with spatial dimensions of "
                             f"{list(spatial)} and output size of {list(sizes)}")
        return sizes, (None,) * nd
    sf = tuple(float(s) for s in scale_factor) if isinstance(scale_factor, (tuple, list)) \
        else (float(scale_factor),) * nd
    if len(sf) != nd:
        raise ValueError(f"interpolate: input and scale_factor must have the same number of "
                         f"spatial dimensions, but got input with spatial dimensions of "
                         f"{list(spatial)} and scale_factor of shape {list(sf)}")
    sizes = tuple(int(math.floor(n * s)) for n, s in zip(spatial, sf))
    return sizes, (None,) * nd if recompute_scale_factor else sf


def _scale(n_in, n_out, align_corners, scale, dtype):
    if align_corners:
        return dtype((n_in - 1) / (n_out - 1)) if n_out > 1 else dtype(0)
    return dtype(1.0 / scale) if scale is not None and scale > 0 else dtype(n_in / n_out)


def _taps(mode, n_in, n_out, align_corners, scale, dtype):
    """[(source index array, weight array or None)] along one dim; weights sum to one.
    Index maths runs in the input's float type (float32 for float32), as PyTorch's does."""
    f = np.float32 if dtype == np.float32 else np.float64
    j = np.arange(n_out, dtype=f)
    s = _scale(n_in, n_out, align_corners, scale, f)
    if mode in ("nearest", "nearest-exact"):
        src = np.floor(j * s if mode == "nearest" else (j + f(0.5)) * s)
        return [(np.minimum(src.astype(np.int64), n_in - 1), None)]
    src = j * s if align_corners else (j + f(0.5)) * s - f(0.5)
    if mode != "bicubic":
        src = np.maximum(src, 0)
        i0 = np.floor(src).astype(np.int64)
        i1 = np.minimum(i0 + 1, n_in - 1)
        lam = src - i0
        return [(np.minimum(i0, n_in - 1), 1 - lam), (i1, lam)]
    i = np.floor(src).astype(np.int64)
    t = src - i
    a = f(-0.75)

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    weights = [far(t + 1), near(t), near(1 - t), far(2 - t)]
    return [(np.clip(i - 1 + k, 0, n_in - 1), w) for k, w in enumerate(weights)]


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of (N, C, *spatial) by `size` or `scale_factor`."""
    from ...ops.indexing import index_select
    nd = input.ndim - 2
    if nd < 1 or nd > 3:
        raise ValueError(f"interpolate: expected a 3-D, 4-D or 5-D input (N, C, *spatial), got "
                         f"shape {list(input.shape)}")
    if mode in ("nearest", "nearest-exact", "area"):
        if align_corners is not None:
            raise ValueError("interpolate: align_corners option can only be set with the "
                             "interpolating modes: linear | bilinear | bicubic | trilinear")
    elif mode in _LINEAR:
        if _LINEAR[mode] != nd:
            raise NotImplementedError(f"interpolate: mode {mode!r} expects {_LINEAR[mode] + 2}-D "
                                      f"input, got shape {list(input.shape)}")
    else:
        raise NotImplementedError(f"interpolate: unsupported mode {mode!r}; expected nearest, "
                                  "nearest-exact, linear, bilinear, bicubic, trilinear or area")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    sizes, scales = _output_sizes(input, nd, size, scale_factor, recompute_scale_factor)
    if any(s <= 0 for s in sizes):
        raise ValueError(f"interpolate: output size must be positive, got {list(sizes)} for "
                         f"input shape {list(input.shape)}")
    if mode == "area":
        from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d
        return (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[nd - 1](
            input, sizes)
    xp = array_module_of(input._data)
    dtype = input._data.dtype
    out = input
    for i in range(nd):
        dim = 2 + i
        taps = _taps(mode, input.shape[dim], sizes[i], bool(align_corners), scales[i],
                     dtype.type)
        bshape = (-1,) + (1,) * (nd - 1 - i)
        acc = None
        for index, weight in taps:
            v = index_select(out, dim, Tensor._make(xp.asarray(index)))
            if weight is not None:
                v = v * Tensor._make(xp.asarray(weight.astype(dtype).reshape(bshape)))
            acc = v if acc is None else acc + v
        out = acc
    return out


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def pixel_shuffle(input, upscale_factor):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r)."""
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    *lead, c, h, w = input.shape
    if r <= 0 or c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    k = len(lead)
    x = input.reshape(tuple(lead) + (c // (r * r), r, r, h, w))
    x = x.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return x.reshape(tuple(lead) + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W)."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.ndim} dimension(s)")
    *lead, c, h, w = input.shape
    if r <= 0 or h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle expects height and width to be divisible by "
                           f"downscale_factor, but got shape {list(input.shape)} and "
                           f"downscale_factor={r}")
    k = len(lead)
    x = input.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return x.reshape(tuple(lead) + (c * r * r, h // r, w // r))


# ------------------------------------------------------------------------------ unfold/fold
class Im2ColBackward0(Node):
    __slots__ = ("geom", "channels")

    def backward(self, g):
        return (_fold(g, self.geom, self.channels),)


class Col2ImBackward0(Node):
    __slots__ = ("geom",)

    def backward(self, g):
        return (_unfold(g, self.geom),)


def _unfold(x, geom):
    n, c = x._data.shape[:2]
    cols = im2col(x._data, geom)  # (C*K, N*L)
    out = cols.reshape(cols.shape[0], n, -1).swapaxes(0, 1)  # (N, C*K, L)
    node = None
    if requires_grad(x):
        node = Im2ColBackward0(None)
        node.geom, node.channels = geom, c
    return attach(array_module_of(cols).ascontiguousarray(out), node, (x,))


def _fold(y, geom, channels):
    a = y._data
    n = a.shape[0]
    out = col2im(a.swapaxes(0, 1).reshape(a.shape[1], -1), geom, n, channels)
    node = None
    if requires_grad(y):
        node = Col2ImBackward0(None)
        node.geom = geom
    return attach(out, node, (y,))


def _block_geom(op, spatial, kernel_size, dilation, padding, stride):
    ks = as_tuple(kernel_size, 2, "kernel_size", op)
    dil = as_tuple(dilation, 2, "dilation", op)
    pads = as_tuple(padding, 2, "padding", op)
    st = as_tuple(stride, 2, "stride", op)
    if any(v <= 0 for v in ks + dil + st) or any(p < 0 for p in pads):
        raise RuntimeError(f"{op}: kernel_size, dilation and stride must be positive and padding "
                           f"non-negative, got kernel_size={ks}, dilation={dil}, "
                           f"padding={pads}, stride={st}")
    blocks = tuple(out_size(b, k, s, d, p, p) for b, k, s, d, p in
                   zip(spatial, ks, st, dil, pads))
    if any(b <= 0 for b in blocks):
        raise RuntimeError(f"{op}: given input with spatial size {list(spatial)}, "
                           f"kernel_size={ks}, dilation={dil}, padding={pads}, calculated shape "
                           f"of the array of sliding blocks as {list(blocks)}, but its "
                           "components must be at least one")
    return tuple(zip(ks, st, dil, pads, spatial, blocks))


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding blocks as columns: (N, C, H, W) -> (N, C*kh*kw, L)."""
    if input.ndim not in (3, 4):
        raise NotImplementedError(f"unfold: input of shape {list(input.shape)} is not supported; "
                                  "expected a 3-D (unbatched) or 4-D (batched) tensor")
    x = input.unsqueeze(0) if input.ndim == 3 else input
    geom = _block_geom("unfold", tuple(x.shape[2:]), kernel_size, dilation, padding, stride)
    out = _unfold(x, geom)
    return out.squeeze(0) if input.ndim == 3 else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sums columns back into an image: (N, C*kh*kw, L) -> (N, C, *output_size)."""
    if input.ndim not in (2, 3):
        raise NotImplementedError(f"fold: input of shape {list(input.shape)} is not supported; "
                                  "expected a 2-D (unbatched) or 3-D (batched) tensor")
    y = input.unsqueeze(0) if input.ndim == 2 else input
    spatial = as_tuple(output_size, 2, "output_size", "fold")
    geom = _block_geom("fold", spatial, kernel_size, dilation, padding, stride)
    k = geom[0][0] * geom[1][0]
    blocks = geom[0][5] * geom[1][5]
    if y.shape[1] % k:
        raise RuntimeError(f"fold: expected size of input's dimension 1 to be divisible by the "
                           f"product of kernel_size, but got input.size(1)={y.shape[1]} and "
                           f"kernel_size={(geom[0][0], geom[1][0])}")
    if y.shape[2] != blocks:
        raise RuntimeError(f"fold: given output_size={spatial}, expected size of input's "
                           f"dimension 2 to match the calculated number of sliding blocks "
                           f"{geom[0][5]} * {geom[1][5]} = {blocks}, but got "
                           f"input.size(2)={y.shape[2]}")
    out = _fold(y, geom, y.shape[1] // k)
    return out.squeeze(0) if input.ndim == 2 else out


__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle",
           "pixel_unshuffle", "unfold", "fold"]
