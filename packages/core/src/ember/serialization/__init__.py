"""`ember.save` / `ember.load`: PyTorch's checkpoint formats, read and written without torch."""
from ._load import load
from ._save import save

__all__ = ["save", "load"]
