"""Loggers: where the trainer writes metrics and hyperparameters."""
from .csv_logs import CSVLogger
from .logger import Logger

__all__ = ["CSVLogger", "Logger"]
