"""Callbacks: plain hook objects the Trainer calls (Lightning's names and arguments)."""
from .callback import Callback
from .early_stopping import EarlyStopping
from .gradient_accumulation_scheduler import GradientAccumulationScheduler
from .lambda_function import LambdaCallback
from .lr_monitor import LearningRateMonitor
from .model_checkpoint import ModelCheckpoint
from .model_summary import ModelSummary
from .progress import TQDMProgressBar
from .stochastic_weight_avg import StochasticWeightAveraging
from .timer import Timer

ProgressBar = TQDMProgressBar

__all__ = ["Callback", "EarlyStopping", "GradientAccumulationScheduler", "LambdaCallback",
           "LearningRateMonitor", "ModelCheckpoint", "ModelSummary", "ProgressBar",
           "StochasticWeightAveraging", "TQDMProgressBar", "Timer"]
