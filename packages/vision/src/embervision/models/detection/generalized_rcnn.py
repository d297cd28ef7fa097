"""GeneralizedRCNN (torchvision's `models/detection/generalized_rcnn.py`): transform, backbone,
RPN and RoI heads chained, with the detections mapped back to the input images' sizes."""
from collections import OrderedDict

import ember
from ember import nn

__all__ = ["GeneralizedRCNN"]


class GeneralizedRCNN(nn.Module):
    """forward(images: [(C, H, W)], targets=None): in training, the dict of losses (targets:
    [{"boxes": (G, 4) float xyxy, "labels": (G,) int64}] required); in eval, per image
    {"boxes", "labels", "scores"} in the input image's pixels."""

    def __init__(self, backbone, rpn, roi_heads, transform):
        super().__init__()
        self.transform = transform
        self.backbone = backbone
        self.rpn = rpn
        self.roi_heads = roi_heads

    def _check_targets(self, targets):
        if targets is None:
            raise ValueError("GeneralizedRCNN: targets should not be None in training mode")
        for target in targets:
            boxes = target["boxes"]
            if not isinstance(boxes, ember.Tensor):
                raise TypeError(f"Expected target boxes to be of type Tensor, got "
                                f"{type(boxes).__name__}.")
            if boxes.ndim != 2 or boxes.shape[-1] != 4:
                raise ValueError(f"Expected target boxes to be a tensor of shape [N, 4], got "
                                 f"{tuple(boxes.shape)}.")

    def forward(self, images, targets=None):
        if self.training:
            self._check_targets(targets)
        original_image_sizes = []
        for img in images:
            if img.ndim < 2:
                raise ValueError(f"expecting the last two dimensions of the Tensor to be H and "
                                 f"W instead got {tuple(img.shape)}")
            original_image_sizes.append(tuple(int(s) for s in img.shape[-2:]))
        images, targets = self.transform(images, targets)
        if targets is not None:
            for target_idx, target in enumerate(targets):
                boxes = target["boxes"]
                degenerate = (boxes[:, 2:] <= boxes[:, :2]).any(dim=1)
                if bool(degenerate.any()):
                    bad = boxes[ember.where(degenerate)[0][0]].tolist()
                    raise ValueError("All bounding boxes should have positive height and width. "
                                     f"Found invalid box {bad} for target at index "
                                     f"{target_idx}.")
        features = self.backbone(images.tensors)
        if isinstance(features, ember.Tensor):
            features = OrderedDict([("0", features)])
        proposals, proposal_losses = self.rpn(images, features, targets)
        detections, detector_losses = self.roi_heads(features, proposals, images.image_sizes,
                                                     targets)
        detections = self.transform.postprocess(detections, images.image_sizes,
                                                original_image_sizes)
        if self.training:
            return {**detector_losses, **proposal_losses}
        return detections
