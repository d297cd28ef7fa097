"""embervision: datasets (more of the package arrives with its own issue)."""
from . import datasets

__version__ = "0.1.0"

__all__ = ["datasets"]
