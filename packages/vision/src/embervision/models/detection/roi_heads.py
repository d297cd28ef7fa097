"""The second stage of Faster R-CNN (torchvision's `models/detection/roi_heads.py`, boxes
only): pool each proposal's features, classify it and refine its box per class; plus the
default box head (TwoMLPHead) and predictor (FastRCNNPredictor)."""
import ember
import ember.nn.functional as F
from ember import nn

from ...ops import batched_nms, box_iou, clip_boxes_to_image, remove_small_boxes
from ._utils import BalancedPositiveNegativeSampler, BoxCoder, Matcher

__all__ = ["FastRCNNPredictor", "RoIHeads", "TwoMLPHead", "fastrcnn_loss"]


class TwoMLPHead(nn.Module):
    """Pooled features (K, C, h, w) -> (K, representation_size) through two ReLU'd Linears."""

    def __init__(self, in_channels, representation_size):
        super().__init__()
        self.fc6 = nn.Linear(in_channels, representation_size)
        self.fc7 = nn.Linear(representation_size, representation_size)

    def forward(self, x):
        x = x.flatten(start_dim=1)
        return F.relu(self.fc7(F.relu(self.fc6(x))))


class FastRCNNPredictor(nn.Module):
    """(K, in_channels) -> class logits (K, num_classes) and box deltas (K, num_classes * 4)."""

    def __init__(self, in_channels, num_classes):
        super().__init__()
        self.cls_score = nn.Linear(in_channels, num_classes)
        self.bbox_pred = nn.Linear(in_channels, num_classes * 4)

    def forward(self, x):
        if x.ndim == 4 and list(x.shape[2:]) != [1, 1]:
            raise ValueError(f"FastRCNNPredictor: x has the wrong shape, expecting the last two "
                             f"dimensions to be [1, 1] instead of {list(x.shape[2:])}")
        x = x.flatten(start_dim=1)
        return self.cls_score(x), self.bbox_pred(x)


def fastrcnn_loss(class_logits, box_regression, labels, regression_targets):
    """(cross-entropy over the sampled proposals, smooth-L1 of the positives' boxes of their
    true class / sample count)."""
    labels = ember.cat(labels, dim=0)
    regression_targets = ember.cat(regression_targets, dim=0)
    classification_loss = F.cross_entropy(class_logits, labels)
    pos = ember.where(labels > 0)[0]
    N = class_logits.shape[0]
    box_regression = box_regression.reshape(N, box_regression.shape[-1] // 4, 4)
    box_loss = F.smooth_l1_loss(box_regression[pos, labels[pos]], regression_targets[pos],
                                beta=1 / 9, reduction="sum")
    return classification_loss, box_loss / labels.numel()


class RoIHeads(nn.Module):
    """forward(features, proposals, image_shapes, targets=None) -> (detections, losses):
    in eval, per image {"boxes" (D, 4), "labels" (D,) int64, "scores" (D,)}; in training the
    classifier and box losses over sampled proposals (ground truth added to them)."""

    def __init__(self, box_roi_pool, box_head, box_predictor, fg_iou_thresh, bg_iou_thresh,
                 batch_size_per_image, positive_fraction, bbox_reg_weights, score_thresh,
                 nms_thresh, detections_per_img):
        super().__init__()
        self.box_similarity = box_iou
        self.proposal_matcher = Matcher(fg_iou_thresh, bg_iou_thresh,
                                        allow_low_quality_matches=False)
        self.fg_bg_sampler = BalancedPositiveNegativeSampler(batch_size_per_image,
                                                             positive_fraction)
        if bbox_reg_weights is None:
            bbox_reg_weights = (10.0, 10.0, 5.0, 5.0)
        self.box_coder = BoxCoder(bbox_reg_weights)
        self.box_roi_pool = box_roi_pool
        self.box_head = box_head
        self.box_predictor = box_predictor
        self.score_thresh = score_thresh
        self.nms_thresh = nms_thresh
        self.detections_per_img = detections_per_img

    def assign_targets_to_proposals(self, proposals, gt_boxes, gt_labels):
        matched_idxs, labels = [], []
        for props, boxes, gt_lab in zip(proposals, gt_boxes, gt_labels):
            if boxes.numel() == 0:
                clamped = ember.zeros((props.shape[0],), dtype=ember.int64, device=props.device)
                labels_in_image = ember.zeros((props.shape[0],), dtype=ember.int64,
                                              device=props.device)
            else:
                matched = self.proposal_matcher(box_iou(boxes, props))
                clamped = matched.clamp(min=0)
                labels_in_image = gt_lab[clamped].to(ember.int64)
                labels_in_image[matched == Matcher.BELOW_LOW_THRESHOLD] = 0
                labels_in_image[matched == Matcher.BETWEEN_THRESHOLDS] = -1  # ignored
            matched_idxs.append(clamped)
            labels.append(labels_in_image)
        return matched_idxs, labels

    def subsample(self, labels):
        sampled_pos, sampled_neg = self.fg_bg_sampler(labels)
        return [ember.where((pos | neg).to(ember.bool))[0]
                for pos, neg in zip(sampled_pos, sampled_neg)]

    def check_targets(self, targets):
        if targets is None:
            raise ValueError("RoIHeads: targets should not be None in training")
        for key in ("boxes", "labels"):
            if not all(key in t for t in targets):
                raise ValueError(f"RoIHeads: every element of targets should have a {key} key")

    def select_training_samples(self, proposals, targets):
        self.check_targets(targets)
        dtype, device = proposals[0].dtype, proposals[0].device
        gt_boxes = [t["boxes"].to(dtype) for t in targets]
        gt_labels = [t["labels"] for t in targets]
        proposals = [ember.cat((p, g)) for p, g in zip(proposals, gt_boxes)]
        matched_idxs, labels = self.assign_targets_to_proposals(proposals, gt_boxes, gt_labels)
        sampled_inds = self.subsample(labels)
        matched_gt_boxes = []
        for i, inds in enumerate(sampled_inds):
            proposals[i], labels[i] = proposals[i][inds], labels[i][inds]
            matched_idxs[i] = matched_idxs[i][inds]
            boxes = gt_boxes[i]
            if boxes.numel() == 0:
                boxes = ember.zeros((1, 4), dtype=dtype, device=device)
            matched_gt_boxes.append(boxes[matched_idxs[i]])
        regression_targets = self.box_coder.encode(matched_gt_boxes, proposals)
        return proposals, matched_idxs, labels, regression_targets

    def postprocess_detections(self, class_logits, box_regression, proposals, image_shapes):
        """Per class boxes and softmax scores, without background, scores <= score_thresh and
        tiny boxes; NMS per class; the detections_per_img best."""
        device = class_logits.device
        num_classes = class_logits.shape[-1]
        boxes_per_image = [p.shape[0] for p in proposals]
        pred_boxes = self.box_coder.decode(box_regression, proposals)
        pred_scores = F.softmax(class_logits, -1)
        all_boxes, all_scores, all_labels = [], [], []
        for boxes, scores, image_shape in zip(pred_boxes.split(boxes_per_image, 0),
                                              pred_scores.split(boxes_per_image, 0),
                                              image_shapes):
            boxes = clip_boxes_to_image(boxes, image_shape)
            labels = ember.arange(num_classes, device=device).reshape(1, -1).expand_as(scores)
            boxes = boxes[:, 1:].reshape(-1, 4)
            scores = scores[:, 1:].reshape(-1)
            labels = labels[:, 1:].reshape(-1)
            inds = ember.where(scores > self.score_thresh)[0]
            boxes, scores, labels = boxes[inds], scores[inds], labels[inds]
            keep = remove_small_boxes(boxes, min_size=1e-2)
            boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
            keep = batched_nms(boxes, scores, labels, self.nms_thresh)[: self.detections_per_img]
            all_boxes.append(boxes[keep])
            all_scores.append(scores[keep])
            all_labels.append(labels[keep])
        return all_boxes, all_scores, all_labels

    def forward(self, features, proposals, image_shapes, targets=None):
        if targets is not None:
            for t in targets:
                if not t["boxes"].is_floating_point():
                    raise TypeError(f"target boxes must be of float type, instead got "
                                    f"{t['boxes'].dtype}")
                if t["labels"].dtype != ember.int64:
                    raise TypeError(f"target labels must be of int64 type, instead got "
                                    f"{t['labels'].dtype}")
        if self.training:
            proposals, _, labels, regression_targets = self.select_training_samples(proposals,
                                                                                    targets)
        box_features = self.box_head(self.box_roi_pool(features, proposals, image_shapes))
        class_logits, box_regression = self.box_predictor(box_features)
        result, losses = [], {}
        if self.training:
            loss_classifier, loss_box_reg = fastrcnn_loss(class_logits, box_regression, labels,
                                                          regression_targets)
            losses = {"loss_classifier": loss_classifier, "loss_box_reg": loss_box_reg}
        else:
            boxes, scores, labels = self.postprocess_detections(class_logits, box_regression,
                                                                proposals, image_shapes)
            result = [{"boxes": b, "labels": lab, "scores": s}
                      for b, s, lab in zip(boxes, scores, labels)]
        return result, losses
