"""`ember.cuda`: what CUDA devices there are, without importing CuPy until one is used."""
from . import _device


def is_available():
    """True when CuPy imports and sees at least one GPU."""
    try:
        _device.cupy_module()
    except RuntimeError:
        return False
    return True


def device_count():
    if not is_available():
        return 0
    return _device.cupy_module().cuda.runtime.getDeviceCount()


def current_device():
    return _device.cupy_module().cuda.runtime.getDevice()


def set_device(d):
    d = _device.as_device(d)
    _device.cupy_module().cuda.runtime.setDevice(d.index or 0)


def synchronize(device=None):
    """Wait for all work on the GPU to finish (no-op without CUDA)."""
    if is_available():
        _device.cupy_module().cuda.runtime.deviceSynchronize()
