"""Callbacks: plain hook objects the Trainer calls (Lightning's names and arguments)."""
from .callback import Callback
from .early_stopping import EarlyStopping
from .lambda_function import LambdaCallback
from .lr_monitor import LearningRateMonitor
from .model_checkpoint import ModelCheckpoint
from .model_summary import ModelSummary
from .progress import TQDMProgressBar

ProgressBar = TQDMProgressBar

__all__ = ["Callback", "EarlyStopping", "LambdaCallback", "LearningRateMonitor",
           "ModelCheckpoint", "ModelSummary", "ProgressBar", "TQDMProgressBar"]
