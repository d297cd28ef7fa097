"""Box coding, proposal matching and sampling shared by the detection heads (torchvision's
`models/detection/_utils.py`)."""
import math

import ember

__all__ = ["BalancedPositiveNegativeSampler", "BoxCoder", "Matcher"]


class BalancedPositiveNegativeSampler:
    """Per image, picks at most `batch_size_per_image` anchors/proposals, a
    `positive_fraction` of them positive (label >= 1) where there are enough, the rest negative
    (label 0); -1 is ignored. Returns uint8 masks (positives, negatives) per image."""

    def __init__(self, batch_size_per_image, positive_fraction):
        self.batch_size_per_image = batch_size_per_image
        self.positive_fraction = positive_fraction

    def __call__(self, matched_idxs):
        pos_idx, neg_idx = [], []
        for matched in matched_idxs:
            positive = ember.where(matched >= 1)[0]
            negative = ember.where(matched == 0)[0]
            num_pos = min(positive.numel(), int(self.batch_size_per_image * self.positive_fraction))
            num_neg = min(negative.numel(), self.batch_size_per_image - num_pos)
            pos = positive[ember.randperm(positive.numel(), device=positive.device)[:num_pos]]
            neg = negative[ember.randperm(negative.numel(), device=negative.device)[:num_neg]]
            pos_mask = ember.zeros_like(matched, dtype=ember.uint8)
            neg_mask = ember.zeros_like(matched, dtype=ember.uint8)
            pos_mask[pos] = 1
            neg_mask[neg] = 1
            pos_idx.append(pos_mask)
            neg_idx.append(neg_mask)
        return pos_idx, neg_idx


class BoxCoder:
    """Encodes boxes as (dx, dy, dw, dh) offsets from reference boxes (R-CNN's
    parametrisation, scaled by `weights`) and decodes them back. dw/dh are clamped at
    `bbox_xform_clip` before exp so that a wild prediction cannot overflow."""

    def __init__(self, weights, bbox_xform_clip=math.log(1000.0 / 16)):
        self.weights = weights
        self.bbox_xform_clip = bbox_xform_clip

    def encode(self, reference_boxes, proposals):
        """Regression targets of `reference_boxes` (ground truth) relative to `proposals`,
        both lists per image; returns a tuple of (K_i, 4) tensors."""
        boxes_per_image = [len(b) for b in reference_boxes]
        targets = self.encode_single(ember.cat(reference_boxes, 0), ember.cat(proposals, 0))
        return targets.split(boxes_per_image, 0)

    def encode_single(self, reference_boxes, proposals):
        wx, wy, ww, wh = self.weights
        ex_widths = proposals[:, 2:3] - proposals[:, 0:1]
        ex_heights = proposals[:, 3:4] - proposals[:, 1:2]
        ex_ctr_x = proposals[:, 0:1] + 0.5 * ex_widths
        ex_ctr_y = proposals[:, 1:2] + 0.5 * ex_heights
        gt_widths = reference_boxes[:, 2:3] - reference_boxes[:, 0:1]
        gt_heights = reference_boxes[:, 3:4] - reference_boxes[:, 1:2]
        gt_ctr_x = reference_boxes[:, 0:1] + 0.5 * gt_widths
        gt_ctr_y = reference_boxes[:, 1:2] + 0.5 * gt_heights
        return ember.cat((wx * (gt_ctr_x - ex_ctr_x) / ex_widths,
                          wy * (gt_ctr_y - ex_ctr_y) / ex_heights,
                          ww * ember.log(gt_widths / ex_widths),
                          wh * ember.log(gt_heights / ex_heights)), dim=1)

    def decode(self, rel_codes, boxes):
        """Boxes (sum K_i, C, 4) from codes (sum K_i, C * 4) and a list of reference boxes."""
        if not isinstance(boxes, (list, tuple)):
            raise TypeError(f"BoxCoder.decode: boxes must be a list or tuple of tensors, got "
                            f"{type(boxes).__name__}")
        box_sum = sum(b.shape[0] for b in boxes)
        if box_sum > 0:
            rel_codes = rel_codes.reshape(box_sum, -1)
        pred_boxes = self.decode_single(rel_codes, ember.cat(list(boxes), 0))
        if box_sum > 0:
            pred_boxes = pred_boxes.reshape(box_sum, -1, 4)
        return pred_boxes

    def decode_single(self, rel_codes, boxes):
        boxes = boxes.to(rel_codes.dtype)
        widths = boxes[:, 2] - boxes[:, 0]
        heights = boxes[:, 3] - boxes[:, 1]
        ctr_x = boxes[:, 0] + 0.5 * widths
        ctr_y = boxes[:, 1] + 0.5 * heights
        wx, wy, ww, wh = self.weights
        dx = rel_codes[:, 0::4] / wx
        dy = rel_codes[:, 1::4] / wy
        dw = (rel_codes[:, 2::4] / ww).clamp(max=self.bbox_xform_clip)
        dh = (rel_codes[:, 3::4] / wh).clamp(max=self.bbox_xform_clip)
        pred_ctr_x = dx * widths[:, None] + ctr_x[:, None]
        pred_ctr_y = dy * heights[:, None] + ctr_y[:, None]
        half_w = 0.5 * (ember.exp(dw) * widths[:, None])
        half_h = 0.5 * (ember.exp(dh) * heights[:, None])
        return ember.stack((pred_ctr_x - half_w, pred_ctr_y - half_h, pred_ctr_x + half_w,
                            pred_ctr_y + half_h), dim=2).flatten(1)


class Matcher:
    """Assigns each prediction (column of an (M gt, N pred) IoU matrix) the ground truth it
    overlaps most: its index if IoU >= high_threshold, BELOW_LOW_THRESHOLD (-1) below
    low_threshold, BETWEEN_THRESHOLDS (-2) in between. `allow_low_quality_matches` also keeps,
    for each ground truth, the predictions that overlap it best even below the threshold."""

    BELOW_LOW_THRESHOLD = -1
    BETWEEN_THRESHOLDS = -2

    def __init__(self, high_threshold, low_threshold, allow_low_quality_matches=False):
        if low_threshold > high_threshold:
            raise ValueError(f"Matcher: low_threshold {low_threshold} must not exceed "
                             f"high_threshold {high_threshold}")
        self.high_threshold = high_threshold
        self.low_threshold = low_threshold
        self.allow_low_quality_matches = allow_low_quality_matches

    def __call__(self, match_quality_matrix):
        if match_quality_matrix.numel() == 0:
            if match_quality_matrix.shape[0] == 0:
                raise ValueError("No ground-truth boxes available for one of the images during "
                                 "training")
            raise ValueError("No proposal boxes available for one of the images during training")
        matched_vals, matches = match_quality_matrix.max(dim=0)
        all_matches = matches.clone() if self.allow_low_quality_matches else None
        below = matched_vals < self.low_threshold
        between = (matched_vals >= self.low_threshold) & (matched_vals < self.high_threshold)
        matches[below] = self.BELOW_LOW_THRESHOLD
        matches[between] = self.BETWEEN_THRESHOLDS
        if all_matches is not None:
            highest_per_gt = match_quality_matrix.max(dim=1)[0]
            best = ember.where(match_quality_matrix == highest_per_gt[:, None])[1]
            matches[best] = all_matches[best]
        return matches
