"""`ember.backends`: switches for the libraries behind CPU ops, spelled as in `torch.backends`."""
from . import mkldnn

__all__ = ["mkldnn"]
