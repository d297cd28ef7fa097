"""Optional oneDNN kernels for CPU float32 work (install `ember[onednn]`): convolutions run as
oneDNN's JIT direct kernels instead of im2col + BLAS. Ops ask `convolution.supported(...)` and
fall back to their NumPy code when it says no or a shape can't be planned; `EMBER_ONEDNN=0`
turns the library off."""
from . import library


def available():
    """True when libdnnl.so.3 was found and loaded."""
    return library.lib is not None
