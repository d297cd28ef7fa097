"""Region Proposal Network (Ren et al., 2015), module for module as torchvision's
`models/detection/rpn.py`: a shared 3x3 conv head scores and regresses the anchors of every
FPN level; the best-scoring decoded boxes, after per-level NMS, are the proposals."""
import ember
import ember.nn.functional as F
from ember import nn

from ...ops import batched_nms, box_iou, clip_boxes_to_image, remove_small_boxes
from .._layers import Conv2dNormActivation
from ._utils import BalancedPositiveNegativeSampler, BoxCoder, Matcher

__all__ = ["RPNHead", "RegionProposalNetwork"]


class RPNHead(nn.Module):
    """`conv_depth` 3x3 conv+ReLU blocks, then 1x1 convolutions giving per-anchor objectness
    logits (A channels) and box deltas (4A channels), applied to every feature map."""

    _version = 2

    def __init__(self, in_channels, num_anchors, conv_depth=1):
        super().__init__()
        self.conv = nn.Sequential(*[
            Conv2dNormActivation(in_channels, in_channels, kernel_size=3, norm_layer=None)
            for _ in range(conv_depth)])
        self.cls_logits = nn.Conv2d(in_channels, num_anchors, kernel_size=1, stride=1)
        self.bbox_pred = nn.Conv2d(in_channels, num_anchors * 4, kernel_size=1, stride=1)
        for layer in self.modules():
            if isinstance(layer, nn.Conv2d):
                nn.init.normal_(layer.weight, std=0.01)
                if layer.bias is not None:
                    nn.init.constant_(layer.bias, 0)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        # Checkpoints of version 1 had a single bare conv at `conv.weight`.
        version = local_metadata.get("version", None)
        if version is None or version < 2:
            for kind in ("weight", "bias"):
                old_key, new_key = f"{prefix}conv.{kind}", f"{prefix}conv.0.0.{kind}"
                if old_key in state_dict:
                    state_dict[new_key] = state_dict.pop(old_key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    def forward(self, x):
        logits, bbox_reg = [], []
        for feature in x:
            t = self.conv(feature)
            logits.append(self.cls_logits(t))
            bbox_reg.append(self.bbox_pred(t))
        return logits, bbox_reg


def permute_and_flatten(layer, N, A, C, H, W):
    """(N, A*C, H, W) -> (N, H*W*A, C): anchors in the order AnchorGenerator produces them."""
    return layer.reshape(N, -1, C, H, W).permute(0, 3, 4, 1, 2).reshape(N, -1, C)


def concat_box_prediction_layers(box_cls, box_regression):
    """Per-level head outputs -> (N * anchors, C) logits and (N * anchors, 4) deltas."""
    cls_flat, reg_flat = [], []
    for cls_level, reg_level in zip(box_cls, box_regression):
        N, AxC, H, W = cls_level.shape
        A = reg_level.shape[1] // 4
        cls_flat.append(permute_and_flatten(cls_level, N, A, AxC // A, H, W))
        reg_flat.append(permute_and_flatten(reg_level, N, A, 4, H, W))
    return ember.cat(cls_flat, dim=1).flatten(0, -2), ember.cat(reg_flat, dim=1).reshape(-1, 4)


class RegionProposalNetwork(nn.Module):
    """forward(images, features, targets=None) -> (proposals per image (K_i, 4), losses);
    losses (objectness, box regression) only in training, where targets are required."""

    def __init__(self, anchor_generator, head, fg_iou_thresh, bg_iou_thresh,
                 batch_size_per_image, positive_fraction, pre_nms_top_n, post_nms_top_n,
                 nms_thresh, score_thresh=0.0):
        super().__init__()
        self.anchor_generator = anchor_generator
        self.head = head
        self.box_coder = BoxCoder(weights=(1.0, 1.0, 1.0, 1.0))
        self.box_similarity = box_iou
        self.proposal_matcher = Matcher(fg_iou_thresh, bg_iou_thresh,
                                        allow_low_quality_matches=True)
        self.fg_bg_sampler = BalancedPositiveNegativeSampler(batch_size_per_image,
                                                             positive_fraction)
        self._pre_nms_top_n = pre_nms_top_n
        self._post_nms_top_n = post_nms_top_n
        self.nms_thresh = nms_thresh
        self.score_thresh = score_thresh
        self.min_size = 1e-3

    def pre_nms_top_n(self):
        return self._pre_nms_top_n["training" if self.training else "testing"]

    def post_nms_top_n(self):
        return self._post_nms_top_n["training" if self.training else "testing"]

    def assign_targets_to_anchors(self, anchors, targets):
        """Per image: anchor labels (1 object, 0 background, -1 ignored) and matched gt boxes."""
        labels, matched_gt_boxes = [], []
        for anchors_per_image, target in zip(anchors, targets):
            gt_boxes = target["boxes"]
            if gt_boxes.numel() == 0:
                matched = ember.zeros(anchors_per_image.shape, device=anchors_per_image.device)
                labels_per_image = ember.zeros((anchors_per_image.shape[0],),
                                               device=anchors_per_image.device)
            else:
                matched_idxs = self.proposal_matcher(self.box_similarity(gt_boxes,
                                                                         anchors_per_image))
                matched = gt_boxes[matched_idxs.clamp(min=0)]
                labels_per_image = (matched_idxs >= 0).to(ember.float32)
                labels_per_image[matched_idxs == Matcher.BELOW_LOW_THRESHOLD] = 0.0
                labels_per_image[matched_idxs == Matcher.BETWEEN_THRESHOLDS] = -1.0
            labels.append(labels_per_image)
            matched_gt_boxes.append(matched)
        return labels, matched_gt_boxes

    def _get_top_n_idx(self, objectness, num_anchors_per_level):
        r, offset = [], 0
        for ob in objectness.split(num_anchors_per_level, 1):
            num_anchors = ob.shape[1]
            _, top_n_idx = ob.topk(min(self.pre_nms_top_n(), num_anchors), dim=1)
            r.append(top_n_idx + offset)
            offset += num_anchors
        return ember.cat(r, dim=1)

    def filter_proposals(self, proposals, objectness, image_shapes, num_anchors_per_level):
        """The pre_nms_top_n best anchors of each level, clipped, without tiny boxes, NMS'd per
        level; the post_nms_top_n best survive. Returns (boxes, scores) per image."""
        num_images = proposals.shape[0]
        device = proposals.device
        objectness = objectness.detach().reshape(num_images, -1)
        levels = ember.cat([ember.full((n,), idx, dtype=ember.int64, device=device)
                            for idx, n in enumerate(num_anchors_per_level)], 0)
        levels = levels.reshape(1, -1).expand_as(objectness)
        top_n_idx = self._get_top_n_idx(objectness, num_anchors_per_level)
        batch_idx = ember.arange(num_images, device=device)[:, None]
        objectness = objectness[batch_idx, top_n_idx]
        levels = levels[batch_idx, top_n_idx]
        proposals = proposals[batch_idx, top_n_idx]
        objectness_prob = ember.sigmoid(objectness)
        final_boxes, final_scores = [], []
        for boxes, scores, lvl, img_shape in zip(proposals, objectness_prob, levels,
                                                 image_shapes):
            boxes = clip_boxes_to_image(boxes, img_shape)
            keep = remove_small_boxes(boxes, self.min_size)
            boxes, scores, lvl = boxes[keep], scores[keep], lvl[keep]
            keep = ember.where(scores >= self.score_thresh)[0]
            boxes, scores, lvl = boxes[keep], scores[keep], lvl[keep]
            keep = batched_nms(boxes, scores, lvl, self.nms_thresh)[: self.post_nms_top_n()]
            final_boxes.append(boxes[keep])
            final_scores.append(scores[keep])
        return final_boxes, final_scores

    def compute_loss(self, objectness, pred_bbox_deltas, labels, regression_targets):
        """(objectness BCE, smooth-L1 box loss over the sampled positives / sample count)."""
        sampled_pos, sampled_neg = self.fg_bg_sampler(labels)
        sampled_pos_inds = ember.where(ember.cat(sampled_pos, dim=0))[0]
        sampled_neg_inds = ember.where(ember.cat(sampled_neg, dim=0))[0]
        sampled_inds = ember.cat([sampled_pos_inds, sampled_neg_inds], dim=0)
        objectness = objectness.flatten()
        labels = ember.cat(labels, dim=0)
        regression_targets = ember.cat(regression_targets, dim=0)
        box_loss = F.smooth_l1_loss(pred_bbox_deltas[sampled_pos_inds],
                                    regression_targets[sampled_pos_inds], beta=1 / 9,
                                    reduction="sum") / sampled_inds.numel()
        objectness_loss = F.binary_cross_entropy_with_logits(objectness[sampled_inds],
                                                             labels[sampled_inds])
        return objectness_loss, box_loss

    def forward(self, images, features, targets=None):
        features = list(features.values())
        objectness, pred_bbox_deltas = self.head(features)
        anchors = self.anchor_generator(images, features)
        num_images = len(anchors)
        num_anchors_per_level = [o.shape[1] * o.shape[2] * o.shape[3] for o in objectness]
        objectness, pred_bbox_deltas = concat_box_prediction_layers(objectness, pred_bbox_deltas)
        # The proposals are not differentiated through (Faster R-CNN's approximate joint
        # training): the box loss below trains the deltas instead.
        proposals = self.box_coder.decode(pred_bbox_deltas.detach(), anchors)
        proposals = proposals.reshape(num_images, -1, 4)
        boxes, _ = self.filter_proposals(proposals, objectness, images.image_sizes,
                                         num_anchors_per_level)
        losses = {}
        if self.training:
            if targets is None:
                raise ValueError("RegionProposalNetwork: targets should not be None in training")
            labels, matched_gt_boxes = self.assign_targets_to_anchors(anchors, targets)
            regression_targets = self.box_coder.encode(matched_gt_boxes, anchors)
            loss_objectness, loss_rpn_box_reg = self.compute_loss(
                objectness, pred_bbox_deltas, labels, regression_targets)
            losses = {"loss_objectness": loss_objectness, "loss_rpn_box_reg": loss_rpn_box_reg}
        return boxes, losses
