"""Faster R-CNN (Ren et al., 2015) with a ResNet-50-FPN backbone, module for module as
torchvision's `models/detection/faster_rcnn.py`, so its checkpoints load unchanged."""
from typing import Optional

from ember import nn

from ...ops import MultiScaleRoIAlign
from .._api import Weights, WeightsEnum, register_model
from ..resnet import ResNet50_Weights, resnet50
from ..segmentation._utils import _ovewrite_value_param
from ._presets import _COCO_CATEGORIES, ObjectDetection
from .anchor_utils import AnchorGenerator
from .backbone_utils import FrozenBatchNorm2d, _resnet_fpn_extractor, _validate_trainable_layers
from .generalized_rcnn import GeneralizedRCNN
from .roi_heads import FastRCNNPredictor, RoIHeads, TwoMLPHead
from .rpn import RegionProposalNetwork, RPNHead
from .transform import GeneralizedRCNNTransform

__all__ = ["FasterRCNN", "FasterRCNN_ResNet50_FPN_Weights", "fasterrcnn_resnet50_fpn"]


def _default_anchorgen():
    anchor_sizes = ((32,), (64,), (128,), (256,), (512,))
    return AnchorGenerator(anchor_sizes, ((0.5, 1.0, 2.0),) * len(anchor_sizes))


class FasterRCNN(GeneralizedRCNN):
    """Faster R-CNN over any backbone with an `out_channels` attribute (an FPN's maps named
    "0".."3" for the default RoI pooler). The keyword arguments are torchvision's: `min_size`/
    `max_size` of the resize, `rpn_*` for the proposals (pre/post-NMS counts per image, NMS
    and matching thresholds), `box_*` for the detections (score threshold, NMS threshold,
    detections per image, matching and sampling)."""

    def __init__(self, backbone, num_classes=None, min_size=800, max_size=1333, image_mean=None,
                 image_std=None, rpn_anchor_generator=None, rpn_head=None,
                 rpn_pre_nms_top_n_train=2000, rpn_pre_nms_top_n_test=1000,
                 rpn_post_nms_top_n_train=2000, rpn_post_nms_top_n_test=1000,
                 rpn_nms_thresh=0.7, rpn_fg_iou_thresh=0.7, rpn_bg_iou_thresh=0.3,
                 rpn_batch_size_per_image=256, rpn_positive_fraction=0.5, rpn_score_thresh=0.0,
                 box_roi_pool=None, box_head=None, box_predictor=None, box_score_thresh=0.05,
                 box_nms_thresh=0.5, box_detections_per_img=100, box_fg_iou_thresh=0.5,
                 box_bg_iou_thresh=0.5, box_batch_size_per_image=512, box_positive_fraction=0.25,
                 bbox_reg_weights=None, **kwargs):
        if not hasattr(backbone, "out_channels"):
            raise ValueError("backbone should contain an attribute out_channels specifying the "
                             "number of output channels (assumed to be the same for all the "
                             "levels)")
        if not isinstance(rpn_anchor_generator, (AnchorGenerator, type(None))):
            raise TypeError(f"rpn_anchor_generator should be of type AnchorGenerator or None "
                            f"instead of {type(rpn_anchor_generator).__name__}")
        if not isinstance(box_roi_pool, (MultiScaleRoIAlign, type(None))):
            raise TypeError(f"box_roi_pool should be of type MultiScaleRoIAlign or None instead "
                            f"of {type(box_roi_pool).__name__}")
        if num_classes is not None and box_predictor is not None:
            raise ValueError("num_classes should be None when box_predictor is specified")
        if num_classes is None and box_predictor is None:
            raise ValueError("num_classes should not be None when box_predictor is not "
                             "specified")
        out_channels = backbone.out_channels
        if rpn_anchor_generator is None:
            rpn_anchor_generator = _default_anchorgen()
        if rpn_head is None:
            rpn_head = RPNHead(out_channels, rpn_anchor_generator.num_anchors_per_location()[0])
        rpn = RegionProposalNetwork(
            rpn_anchor_generator, rpn_head, rpn_fg_iou_thresh, rpn_bg_iou_thresh,
            rpn_batch_size_per_image, rpn_positive_fraction,
            dict(training=rpn_pre_nms_top_n_train, testing=rpn_pre_nms_top_n_test),
            dict(training=rpn_post_nms_top_n_train, testing=rpn_post_nms_top_n_test),
            rpn_nms_thresh, score_thresh=rpn_score_thresh)
        if box_roi_pool is None:
            box_roi_pool = MultiScaleRoIAlign(featmap_names=["0", "1", "2", "3"], output_size=7,
                                              sampling_ratio=2)
        representation_size = 1024
        if box_head is None:
            resolution = box_roi_pool.output_size[0]
            box_head = TwoMLPHead(out_channels * resolution**2, representation_size)
        if box_predictor is None:
            box_predictor = FastRCNNPredictor(representation_size, num_classes)
        roi_heads = RoIHeads(box_roi_pool, box_head, box_predictor, box_fg_iou_thresh,
                             box_bg_iou_thresh, box_batch_size_per_image, box_positive_fraction,
                             bbox_reg_weights, box_score_thresh, box_nms_thresh,
                             box_detections_per_img)
        if image_mean is None:
            image_mean = [0.485, 0.456, 0.406]
        if image_std is None:
            image_std = [0.229, 0.224, 0.225]
        transform = GeneralizedRCNNTransform(min_size, max_size, image_mean, image_std, **kwargs)
        super().__init__(backbone, rpn, roi_heads, transform)


class FasterRCNN_ResNet50_FPN_Weights(WeightsEnum):
    COCO_V1 = Weights(
        url="https://download.pytorch.org/models/fasterrcnn_resnet50_fpn_coco-258fb6c6.pth",
        transforms=ObjectDetection,
        meta={"categories": _COCO_CATEGORIES, "min_size": (1, 1), "num_params": 41755286,
              "recipe": "https://github.com/pytorch/vision/tree/main/references/detection"
                        "#faster-r-cnn-resnet-50-fpn",
              "_metrics": {"COCO-val2017": {"box_map": 37.0}}, "_ops": 134.38,
              "_file_size": 159.743},
    )
    DEFAULT = COCO_V1


@register_model()
def fasterrcnn_resnet50_fpn(*, weights: Optional[FasterRCNN_ResNet50_FPN_Weights] = None,
                            progress=True, num_classes=None,
                            weights_backbone: Optional[ResNet50_Weights] =
                            ResNet50_Weights.IMAGENET1K_V1,
                            trainable_backbone_layers=None, **kwargs):
    """Faster R-CNN ResNet-50-FPN (`Faster R-CNN: Towards Real-Time Object Detection with Region
    Proposal Networks`). Input: a list of (3, H, W) float images in [0, 1]. With pretrained
    weights (of the detector or the backbone) the backbone uses FrozenBatchNorm2d and only its
    last `trainable_backbone_layers` (default 3) stages train."""
    weights = FasterRCNN_ResNet50_FPN_Weights.verify(weights)
    weights_backbone = ResNet50_Weights.verify(weights_backbone)
    if weights is not None:
        weights_backbone = None
        num_classes = _ovewrite_value_param("num_classes", num_classes,
                                            len(weights.meta["categories"]))
    elif num_classes is None:
        num_classes = 91
    is_trained = weights is not None or weights_backbone is not None
    trainable_backbone_layers = _validate_trainable_layers(is_trained, trainable_backbone_layers,
                                                           5, 3)
    norm_layer = FrozenBatchNorm2d if is_trained else nn.BatchNorm2d
    backbone = resnet50(weights=weights_backbone, progress=progress, norm_layer=norm_layer)
    backbone = _resnet_fpn_extractor(backbone, trainable_backbone_layers)
    model = FasterRCNN(backbone, num_classes=num_classes, **kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
        if weights == FasterRCNN_ResNet50_FPN_Weights.COCO_V1:
            # This checkpoint was trained with eps 0 in its frozen batch norms.
            for module in model.modules():
                if isinstance(module, FrozenBatchNorm2d):
                    module.eps = 0.0
    return model
