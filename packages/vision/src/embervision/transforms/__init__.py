"""embervision.transforms: torchvision's image transforms for PIL images and ember tensors."""
from . import functional
from ._color_transforms import (ColorJitter, GaussianBlur, Grayscale, RandomAdjustSharpness,
                                RandomAutocontrast, RandomEqualize, RandomErasing, RandomGrayscale,
                                RandomInvert, RandomPosterize, RandomSolarize)
from .autoaugment import AutoAugment, AutoAugmentPolicy, RandAugment, TrivialAugmentWide
from .functional import InterpolationMode
from .transforms import (CenterCrop, Compose, ConvertImageDtype, FiveCrop, Lambda, Normalize, Pad,
                         PILToTensor, RandomAffine, RandomApply, RandomChoice, RandomCrop,
                         RandomHorizontalFlip, RandomOrder, RandomPerspective, RandomResizedCrop,
                         RandomRotation, RandomVerticalFlip, Resize, TenCrop, ToPILImage, ToTensor,
                         Transform)

__all__ = [
    "functional", "InterpolationMode", "Transform", "Compose", "Lambda", "RandomApply",
    "RandomChoice", "RandomOrder", "ToTensor", "PILToTensor", "ToPILImage", "ConvertImageDtype",
    "Normalize", "Resize", "CenterCrop", "Pad", "RandomCrop", "RandomResizedCrop", "FiveCrop",
    "TenCrop", "RandomHorizontalFlip", "RandomVerticalFlip", "RandomRotation", "RandomAffine",
    "RandomPerspective", "ColorJitter", "Grayscale", "RandomGrayscale", "GaussianBlur",
    "RandomErasing", "RandomInvert", "RandomAutocontrast", "RandomEqualize", "RandomPosterize",
    "RandomSolarize", "RandomAdjustSharpness", "AutoAugment", "AutoAugmentPolicy", "RandAugment",
    "TrivialAugmentWide",
]
