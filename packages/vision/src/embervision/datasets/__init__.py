"""`embervision.datasets`: datasets with torchvision's interface."""
from .digits import Digits

__all__ = ["Digits"]
