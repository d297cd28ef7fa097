"""What the detection checkpoints publish besides their weights: the COCO category names (91
ids, "N/A" for the ids COCO left unused) and the evaluation preprocessing."""
import ember
from ember import nn

from .._presets import _as_tensor

__all__ = ["ObjectDetection", "_COCO_CATEGORIES"]

_COCO_CATEGORIES = [
    "__background__", "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train",
    "truck", "boat", "traffic light", "fire hydrant", "N/A", "stop sign", "parking meter", "bench",
    "bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "N/A",
    "backpack", "umbrella", "N/A", "N/A", "handbag", "tie", "suitcase", "frisbee", "skis",
    "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard",
    "surfboard", "tennis racket", "bottle", "N/A", "wine glass", "cup", "fork", "knife", "spoon",
    "bowl", "banana", "apple", "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza",
    "donut", "cake", "chair", "couch", "potted plant", "bed", "N/A", "dining table", "N/A", "N/A",
    "toilet", "N/A", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone", "microwave",
    "oven", "toaster", "sink", "refrigerator", "N/A", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
]


class ObjectDetection(nn.Module):
    """Image (PIL, or a (..., C, H, W) tensor) -> float32 tensor in [0, 1]; the detector's own
    GeneralizedRCNNTransform does the normalizing and resizing."""

    def forward(self, img):
        img = _as_tensor(img)
        if img.dtype == ember.uint8:
            return img.to(ember.float32) / 255.0
        return img.to(ember.float32)

    def __repr__(self):
        return self.__class__.__name__ + "()"
