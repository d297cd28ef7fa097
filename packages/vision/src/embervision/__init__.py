"""embervision: datasets (more of the package arrives with its own issue)."""
from . import datasets, io, ops, utils

__version__ = "0.1.0"

__all__ = ["datasets", "io", "ops", "utils"]
