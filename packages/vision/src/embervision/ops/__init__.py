"""`embervision.ops`: box utilities, non-maximum suppression, RoI ops, focal loss, FPN."""
from .boxes import (
    batched_nms,
    box_area,
    box_convert,
    box_iou,
    clip_boxes_to_image,
    generalized_box_iou,
    nms,
    remove_small_boxes,
)
from .feature_pyramid_network import FeaturePyramidNetwork
from .focal_loss import sigmoid_focal_loss
from .poolers import MultiScaleRoIAlign
from .roi import RoIAlign, RoIPool, roi_align, roi_pool

__all__ = ["FeaturePyramidNetwork", "MultiScaleRoIAlign", "RoIAlign", "RoIPool", "batched_nms",
           "box_area", "box_convert", "box_iou", "clip_boxes_to_image", "generalized_box_iou",
           "nms", "remove_small_boxes", "roi_align", "roi_pool", "sigmoid_focal_loss"]
