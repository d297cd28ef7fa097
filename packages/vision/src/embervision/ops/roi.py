"""RoI Align and RoI Pool (Mask R-CNN / Fast R-CNN region features), differentiable in the input.

RoI Align's bilinear sampling is separable: each output bin averages samples at (y, x) pairs
of a row grid and a column grid, and a sample's bilinear weight (validity included) is the
product of a row weight and a column weight. So for one RoI the output is `Ay @ X @ Ax^T`,
with `Ay` (PH, H) and `Ax` (PW, W) built from the box alone; two matmuls then give the forward,
and autograd gives the input gradient (and higher ones) for free. The boxes get no gradient, as
in torchvision.
"""

import numpy as np

import ember
from ember import nn

__all__ = ["RoIAlign", "RoIPool", "roi_align", "roi_pool"]


def _pair(output_size):
    if isinstance(output_size, int):
        return output_size, output_size
    return tuple(int(s) for s in output_size)


def _rois_array(boxes, op):
    """RoIs as a float64 host array (K, 5) of (batch index, x1, y1, x2, y2)."""
    if isinstance(boxes, (list, tuple)):
        parts = []
        for i, b in enumerate(boxes):
            b = np.asarray(b.detach().cpu()._data, dtype=np.float64)
            if b.ndim != 2 or b.shape[1] != 4:
                raise ValueError(f"{op}: each tensor in boxes must have shape (L, 4), got "
                                 f"{b.shape}")
            parts.append(np.concatenate([np.full((len(b), 1), i, np.float64), b], 1))
        return np.concatenate(parts) if parts else np.zeros((0, 5))
    if not isinstance(boxes, ember.Tensor):
        raise TypeError(f"{op}: boxes must be a Tensor (K, 5) or a list of Tensors (L, 4), got "
                        f"{type(boxes).__name__}")
    rois = np.asarray(boxes.detach().cpu()._data, dtype=np.float64)
    if rois.ndim != 2 or rois.shape[1] != 5:
        raise ValueError(f"{op}: boxes must have shape (K, 5) (batch index, x1, y1, x2, y2), "
                         f"got {rois.shape}")
    return rois


def _check_input(input, op):
    if not isinstance(input, ember.Tensor) or input.ndim != 4:
        shape = tuple(input.shape) if isinstance(input, ember.Tensor) else type(input).__name__
        raise ValueError(f"{op}: input must be a Tensor (N, C, H, W), got {shape}")


def _sampling_weights(start, length, bins, size, sampling_ratio):
    """Row (or column) weights (K, bins, size): the bilinear weights of each bin's samples
    along one axis, divided by that axis' sample count."""
    count = len(start)
    bin_size = length / bins
    if sampling_ratio > 0:
        grid = np.full(count, sampling_ratio, np.int64)
    else:
        grid = np.maximum(np.ceil(length / bins), 0).astype(np.int64)
    most = max(int(grid.max()) if count else 0, 1)
    steps = np.arange(most)
    # (K, bins, most) sample positions; samples past an RoI's own grid are masked out.
    pos = (start[:, None, None] + np.arange(bins)[None, :, None] * bin_size[:, None, None]
           + (steps[None, None, :] + 0.5) * (bin_size / np.maximum(grid, 1))[:, None, None])
    valid = (steps[None, None, :] < grid[:, None, None]) & (pos >= -1.0) & (pos <= size)
    pos = np.maximum(pos, 0.0)
    low = np.floor(pos).astype(np.int64)
    at_edge = low >= size - 1
    low = np.where(at_edge, size - 1, low)
    high = np.where(at_edge, size - 1, low + 1)
    pos = np.where(at_edge, low, pos)
    frac = (pos - low) * valid
    keep = (1.0 - (pos - low)) * valid
    weights = np.zeros((count, bins, size))
    k_index = np.arange(count)[:, None, None]
    b_index = np.arange(bins)[None, :, None]
    np.add.at(weights, (k_index, b_index, low), keep)
    np.add.at(weights, (k_index, b_index, high), frac)
    return weights / np.maximum(grid, 1)[:, None, None]


def _per_image(input, rois, row_weights, col_weights):
    """Stack `Ay @ X[b] @ Ax^T` over the RoIs, grouped by image to share each X[b]."""
    dtype, device = input.dtype, input.device
    outputs, order = [], []
    batch = rois[:, 0].astype(np.int64)
    for b in np.unique(batch):
        which = np.nonzero(batch == b)[0]
        ay = ember.from_numpy(row_weights[which]).to(device=device, dtype=dtype)
        ax = ember.from_numpy(col_weights[which]).to(device=device, dtype=dtype)
        rows = ember.matmul(ay[:, None], input[int(b)])  # (Kb, C, PH, W)
        outputs.append(ember.matmul(rows, ax[:, None].transpose(-1, -2)))  # (Kb, C, PH, PW)
        order.append(which)
    merged = ember.cat(outputs)
    inverse = np.argsort(np.concatenate(order), kind="stable")
    return merged[ember.from_numpy(inverse).to(device)]


def roi_align(input, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False):
    """Average of bilinear samples over each of output_size bins of each RoI.

    input (N, C, H, W); boxes (K, 5) as (batch index, x1, y1, x2, y2) or a list of (L, 4) per
    image, in input pixels after `spatial_scale`. `sampling_ratio` samples per bin and axis
    (<= 0: ceil(roi size / bins), adaptive). `aligned=True` shifts boxes by -0.5 pixel so that
    pixel centres line up (Detectron2's RoIAlignV2). Returns (K, C, PH, PW).
    """
    _check_input(input, "roi_align")
    rois = _rois_array(boxes, "roi_align")
    ph, pw = _pair(output_size)
    n, c, h, w = input.shape
    if len(rois) == 0:
        return ember.zeros((0, c, ph, pw), dtype=input.dtype, device=input.device)
    if rois[:, 0].min() < 0 or rois[:, 0].max() >= n:
        raise ValueError(f"roi_align: box batch indices must be in [0, {n}), got "
                         f"{rois[:, 0].min():g}..{rois[:, 0].max():g}")
    offset = 0.5 if aligned else 0.0
    x1, y1, x2, y2 = (rois[:, i] * spatial_scale - offset for i in range(1, 5))
    width, height = x2 - x1, y2 - y1
    if not aligned:  # legacy: force malformed RoIs to be at least 1x1
        width, height = np.maximum(width, 1.0), np.maximum(height, 1.0)
    row_weights = _sampling_weights(y1, height, ph, h, sampling_ratio)
    col_weights = _sampling_weights(x1, width, pw, w, sampling_ratio)
    return _per_image(input, rois, row_weights, col_weights)


def _round(x):
    return np.sign(x) * np.floor(np.abs(x) + 0.5)  # C's round: halves away from zero


def _bin_edges(start, end, bins, size):
    length = np.maximum(end - start + 1, 1)
    bin_size = length / bins
    steps = np.arange(bins)[None, :]
    lo = np.floor(steps * bin_size[:, None]) + start[:, None]
    hi = np.ceil((steps + 1) * bin_size[:, None]) + start[:, None]
    return np.clip(lo, 0, size).astype(np.int64), np.clip(hi, 0, size).astype(np.int64)


def roi_pool(input, boxes, output_size, spatial_scale=1.0):
    """Max over each of output_size bins of each RoI (Fast R-CNN), boxes rounded to pixels.

    Same arguments as `roi_align`; an empty bin gives 0. Returns (K, C, PH, PW).
    """
    _check_input(input, "roi_pool")
    rois = _rois_array(boxes, "roi_pool")
    ph, pw = _pair(output_size)
    n, c, h, w = input.shape
    if len(rois) == 0:
        return ember.zeros((0, c, ph, pw), dtype=input.dtype, device=input.device)
    x1, y1, x2, y2 = (_round(rois[:, i] * spatial_scale) for i in range(1, 5))
    h_lo, h_hi = _bin_edges(y1, y2, ph, h)
    w_lo, w_hi = _bin_edges(x1, x2, pw, w)
    host = np.asarray(input.detach().cpu()._data)
    batch = rois[:, 0].astype(np.int64)
    # Flat index of each bin's first maximum in (N, C, H, W); empty bins point at 0 and are
    # masked to 0 so they pass no gradient.
    index = np.zeros((len(rois), c, ph, pw), np.int64)
    filled = np.zeros((len(rois), 1, ph, pw), bool)
    channel_base = (batch[:, None] * c + np.arange(c)[None, :]) * h * w  # (K, C)
    for k in range(len(rois)):
        for i in range(ph):
            for j in range(pw):
                top, bottom, left, right = h_lo[k, i], h_hi[k, i], w_lo[k, j], w_hi[k, j]
                if bottom <= top or right <= left:
                    continue
                region = host[batch[k], :, top:bottom, left:right].reshape(c, -1)
                arg = region.argmax(1)
                rr, cc = np.divmod(arg, right - left)
                index[k, :, i, j] = channel_base[k] + (rr + top) * w + cc + left
                filled[k, 0, i, j] = True
    device = input.device
    values = input.reshape(-1)[ember.from_numpy(index).to(device)]
    return values * ember.from_numpy(filled).to(device=device, dtype=input.dtype)


class RoIAlign(nn.Module):
    def __init__(self, output_size, spatial_scale, sampling_ratio, aligned=False):
        super().__init__()
        self.output_size, self.spatial_scale = output_size, spatial_scale
        self.sampling_ratio, self.aligned = sampling_ratio, aligned

    def forward(self, input, rois):
        return roi_align(input, rois, self.output_size, self.spatial_scale, self.sampling_ratio,
                         self.aligned)

    def extra_repr(self):
        return (f"output_size={self.output_size}, spatial_scale={self.spatial_scale}, "
                f"sampling_ratio={self.sampling_ratio}, aligned={self.aligned}")


class RoIPool(nn.Module):
    def __init__(self, output_size, spatial_scale):
        super().__init__()
        self.output_size, self.spatial_scale = output_size, spatial_scale

    def forward(self, input, rois):
        return roi_pool(input, rois, self.output_size, self.spatial_scale)

    def extra_repr(self):
        return f"output_size={self.output_size}, spatial_scale={self.spatial_scale}"
