"""Object detection models with torchvision's structure and state_dict keys."""
from .anchor_utils import AnchorGenerator
from .backbone_utils import BackboneWithFPN, FrozenBatchNorm2d, resnet_fpn_backbone
from .faster_rcnn import *  # noqa: F403
from .faster_rcnn import __all__ as _faster_rcnn_all
from .generalized_rcnn import GeneralizedRCNN
from .image_list import ImageList
from .roi_heads import FastRCNNPredictor, RoIHeads, TwoMLPHead
from .rpn import RegionProposalNetwork, RPNHead
from .transform import GeneralizedRCNNTransform

__all__ = _faster_rcnn_all + [
    "AnchorGenerator", "BackboneWithFPN", "FastRCNNPredictor", "FrozenBatchNorm2d",
    "GeneralizedRCNN", "GeneralizedRCNNTransform", "ImageList", "RPNHead",
    "RegionProposalNetwork", "RoIHeads", "TwoMLPHead", "resnet_fpn_backbone"]
