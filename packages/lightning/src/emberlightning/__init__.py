"""emberlightning: PyTorch Lightning's API (LightningModule, Trainer, callbacks, loggers)."""
from . import callbacks, loggers
from .datamodule import LightningDataModule
from .module import LightningModule
from .seed import seed_everything
from .trainer import Trainer

__version__ = "0.1.0"

__all__ = ["LightningDataModule", "LightningModule", "Trainer", "callbacks", "loggers",
           "seed_everything"]
