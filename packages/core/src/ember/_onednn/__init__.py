"""Optional oneDNN kernels for CPU float32 work (install `ember[onednn]`): convolutions and
LSTM layers run as oneDNN's JIT kernels (what PyTorch's CPU build runs) instead of im2col +
BLAS and a Python loop over time, and float32 matrix products use its sgemm. Ops ask
`library.takes(...)` and fall back to their NumPy code when it says no or a shape can't be
planned; `EMBER_ONEDNN=0` turns the library off."""
from . import library


def available():
    """True when libdnnl.so.3 was found and loaded."""
    return library.lib is not None
