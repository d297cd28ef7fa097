"""MultiScaleRoIAlign (torchvision's `ops/poolers.py`): RoI Align over a feature pyramid, each
box pooled from the level that suits its size (FPN paper, eq. 1)."""
import math

import numpy as np

import ember
from ember import nn

from .boxes import box_area
from .roi import roi_align

__all__ = ["LevelMapper", "MultiScaleRoIAlign"]


class LevelMapper:
    """Pyramid level index (0 = finest of [k_min, k_max]) of each box:
    floor(canonical_level + log2(sqrt(area) / canonical_scale) + eps), clamped."""

    def __init__(self, k_min, k_max, canonical_scale=224, canonical_level=4, eps=1e-6):
        self.k_min, self.k_max = k_min, k_max
        self.s0, self.lvl0, self.eps = canonical_scale, canonical_level, eps

    def __call__(self, boxlists):
        s = ember.sqrt(ember.cat([box_area(b) for b in boxlists]))
        eps = ember.tensor(self.eps, dtype=s.dtype, device=s.device)
        target_lvls = ember.floor(self.lvl0 + ember.log2(s / self.s0) + eps)
        target_lvls = target_lvls.clamp(min=self.k_min, max=self.k_max)
        return target_lvls.to(ember.int64) - self.k_min


def _infer_scale(feature, original_size):
    """Feature size / image size, rounded to a power of two (in float32, as torchvision)."""
    approx = np.float32(float(feature.shape[-2]) / float(original_size[0]))
    return float(2 ** np.round(np.log2(approx)))


def _convert_to_roi_format(boxes):
    concat = ember.cat(boxes, dim=0)
    ids = ember.cat([ember.full((b.shape[0], 1), i, dtype=concat.dtype, device=concat.device)
                     for i, b in enumerate(boxes)], dim=0)
    return ember.cat([ids, concat], dim=1)


class MultiScaleRoIAlign(nn.Module):
    """forward(x: {name: (N, C, H_l, W_l)}, boxes: [(K_i, 4)] per image, image_shapes:
    [(h, w)]) -> (sum K_i, C, *output_size), using the maps named in `featmap_names`.

    The scales of the levels are inferred from the first call's feature and image sizes, as in
    torchvision, and kept."""

    def __init__(self, featmap_names, output_size, sampling_ratio, *, canonical_scale=224,
                 canonical_level=4):
        super().__init__()
        if isinstance(output_size, int):
            output_size = (output_size, output_size)
        self.featmap_names = featmap_names
        self.sampling_ratio = sampling_ratio
        self.output_size = tuple(output_size)
        self.scales = None
        self.map_levels = None
        self.canonical_scale = canonical_scale
        self.canonical_level = canonical_level

    def _setup_scales(self, features, image_shapes):
        if not image_shapes:
            raise ValueError("MultiScaleRoIAlign: images list should not be empty")
        original_size = (max(s[0] for s in image_shapes), max(s[1] for s in image_shapes))
        self.scales = [_infer_scale(f, original_size) for f in features]
        lvl_min = -math.log2(self.scales[0])
        lvl_max = -math.log2(self.scales[-1])
        self.map_levels = LevelMapper(int(lvl_min), int(lvl_max), self.canonical_scale,
                                      self.canonical_level)

    def forward(self, x, boxes, image_shapes):
        features = [v for k, v in x.items() if k in self.featmap_names]
        if self.scales is None or self.map_levels is None:
            self._setup_scales(features, image_shapes)
        rois = _convert_to_roi_format(boxes)
        if len(features) == 1:
            return roi_align(features[0], rois, self.output_size, self.scales[0],
                             self.sampling_ratio)
        levels = self.map_levels(boxes)
        pooled, order = [], []
        for level, (feature, scale) in enumerate(zip(features, self.scales)):
            idx_in_level = ember.where(levels == level)[0]
            pooled.append(roi_align(feature, rois[idx_in_level], self.output_size, scale,
                                    self.sampling_ratio))
            order.append(idx_in_level)
        # Pooled level by level; put the rows back in the boxes' order.
        inverse = ember.argsort(ember.cat(order), stable=True)
        return ember.cat(pooled)[inverse]

    def extra_repr(self):
        return (f"featmap_names={self.featmap_names}, output_size={self.output_size}, "
                f"sampling_ratio={self.sampling_ratio}")
