"""`ember.backends.mkldnn`: oneDNN (formerly MKL-DNN), the optional library behind ember's CPU
float32 convolutions, LSTMs and matrix products, as `torch.backends.mkldnn` spells it:
`is_available()`, the settable `enabled`, and `flags(enabled=...)` as a context manager."""
import contextlib
import sys
import types

from .._onednn import library as _library


def is_available():
    """Whether libdnnl.so.3 was found and loaded (`pip install "ember[onednn]"`)."""
    return _library.lib is not None


def version():
    """The loaded oneDNN's version as "major.minor.patch", or None."""
    return _library.version()


def set_flags(_enabled):
    """Turn ember's oneDNN paths on or off; returns the previous setting as a 1-tuple."""
    previous = (_library.enabled,)
    _library.enabled = bool(_enabled) and is_available()
    return previous


@contextlib.contextmanager
def flags(enabled=False):
    """Within the block, oneDNN paths are on (if available) or off; restored afterwards."""
    previous = set_flags(enabled)
    try:
        yield
    finally:
        set_flags(*previous)


class _Module(types.ModuleType):
    # A module whose `enabled` reads and writes the library's switch, so that
    # `ember.backends.mkldnn.enabled = False` works as it does in PyTorch.
    @property
    def enabled(self):
        return _library.enabled

    @enabled.setter
    def enabled(self, value):
        set_flags(value)


sys.modules[__name__].__class__ = _Module
