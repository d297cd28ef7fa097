"""Devices and the array module behind them: NumPy for "cpu", CuPy (imported lazily) for "cuda"."""
import numpy as np

_cupy = None


def cupy_module():
    """Import CuPy on first use, with an error that says what is missing."""
    global _cupy
    if _cupy is None:
        try:
            import cupy
        except ImportError as e:
            raise RuntimeError("ember: a CUDA device was asked for but CuPy is not installed; "
                               "install it with `pip install ember[cuda]`") from e
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as e:  # CuPy's CUDARuntimeError when there is no driver
            raise RuntimeError(
                f"ember: a CUDA device was asked for but none is usable ({e})") from e
        if count == 0:
            raise RuntimeError("ember: a CUDA device was asked for but no GPU was found")
        _cupy = cupy
    return _cupy


class device:
    """`ember.device("cpu")`, `ember.device("cuda")`, `ember.device("cuda:1")` or `("cuda", 1)`."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int):
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"ember.device: expected a string or int, got {type!r}")
        if ":" in type:
            if index is not None:
                raise ValueError(f"ember.device: index given twice in {type!r} and {index}")
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise ValueError(f"ember.device: invalid device string {type}:{idx!r}")
            index = int(idx)
        if type not in ("cpu", "cuda"):
            raise RuntimeError(f"ember.device: expected 'cpu' or 'cuda', got {type!r}")
        if type == "cpu" and index not in (None, 0):
            raise ValueError(f"ember.device: cpu has no index {index}")
        self.type = type
        self.index = None if type == "cpu" else index

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")
_cuda_devices = {}


def as_device(d):
    """Accept a device, a string or a CUDA ordinal; `None` means the CPU."""
    if d is None:
        return CPU
    if isinstance(d, device):
        return d
    return device(d)


def device_of(array):
    """The device an array lives on, read from its type (NumPy is the CPU)."""
    if isinstance(array, np.ndarray):
        return CPU
    idx = array.device.id
    dev = _cuda_devices.get(idx)
    if dev is None:
        dev = _cuda_devices[idx] = device("cuda", idx)
    return dev


def array_module(d):
    """NumPy or CuPy, for a device."""
    return np if d.type == "cpu" else cupy_module()


def array_module_of(array):
    return np if isinstance(array, np.ndarray) else cupy_module()


def move_array(array, d):
    """Copy an array to device `d` (no copy when it is there already)."""
    src = device_of(array)
    if src == d:
        return array
    if d.type == "cpu":
        return array.get()
    cp = cupy_module()
    with cp.cuda.Device(d.index or 0):
        return cp.asarray(array)
