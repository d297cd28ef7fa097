"""`ember.optim.lr_scheduler`: PyTorch's learning-rate schedulers."""
from .base import LRScheduler
from .composite import ChainedScheduler, SequentialLR
from .cyclic import CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
from .plateau import ReduceLROnPlateau
from .simple import (ConstantLR, CosineAnnealingLR, ExponentialLR, LambdaLR, LinearLR,
                     MultiplicativeLR, MultiStepLR, PolynomialLR, StepLR)

__all__ = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR",
           "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
           "CosineAnnealingWarmRestarts", "OneCycleLR", "CyclicLR", "SequentialLR",
           "ChainedScheduler", "ReduceLROnPlateau"]
