"""embervision.transforms.v2: transforms over whole samples (images, boxes, masks, labels)."""
from .. import functional
from ..functional import InterpolationMode
from ..transforms import Lambda, RandomApply, RandomChoice, RandomOrder
from . import tv_tensors
from ._augment import (AutoAugment, ColorJitter, Compose, CutMix, GaussianBlur, Grayscale, MixUp,
                       Normalize, RandAugment, RandomAdjustSharpness, RandomAutocontrast,
                       RandomEqualize, RandomErasing, RandomGrayscale, RandomInvert,
                       RandomPerspective, RandomPosterize, RandomSolarize, ToDtype, ToImage,
                       ToPureTensor, TrivialAugmentWide)
from ._boxes import convert_format as convert_bounding_box_format
from ._transforms import (CenterCrop, Pad, RandomAffine, RandomCrop, RandomHorizontalFlip,
                          RandomResizedCrop, RandomRotation, RandomVerticalFlip, Resize, Transform)

__all__ = [
    "functional", "tv_tensors", "InterpolationMode", "Transform", "Compose", "Lambda",
    "RandomApply", "RandomChoice", "RandomOrder", "ToImage", "ToDtype", "ToPureTensor",
    "Normalize", "Resize", "CenterCrop", "RandomCrop", "RandomResizedCrop", "Pad",
    "RandomHorizontalFlip", "RandomVerticalFlip", "RandomRotation", "RandomAffine",
    "RandomPerspective", "ColorJitter", "Grayscale", "RandomGrayscale", "GaussianBlur",
    "RandomErasing", "RandomInvert", "RandomAutocontrast", "RandomEqualize", "RandomPosterize",
    "RandomSolarize", "RandomAdjustSharpness", "AutoAugment", "RandAugment", "TrivialAugmentWide",
    "MixUp", "CutMix", "convert_bounding_box_format",
]
