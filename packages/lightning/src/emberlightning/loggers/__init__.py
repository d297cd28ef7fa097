"""Loggers: where the trainer writes metrics and hyperparameters."""
from .csv_logs import CSVLogger
from .logger import Logger
from .tensorboard import TensorBoardLogger

__all__ = ["CSVLogger", "Logger", "TensorBoardLogger"]
