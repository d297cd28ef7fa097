"""emberaudio: audio I/O, transforms and functional ops for ember, with torchaudio's API."""
from . import datasets, functional, models, pipelines, transforms
from ._io import AudioMetaData, info, load, save, stream

__version__ = "0.1.0"

__all__ = ["AudioMetaData", "datasets", "functional", "info", "load", "models", "pipelines", "save",
           "stream", "transforms"]
