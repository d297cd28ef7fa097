"""`ember.cuda`: CUDA devices, streams, events and memory statistics, without importing CuPy
until one is used. Memory figures are those of CuPy's default memory pool, which holds every
array ember allocates on the GPU (PyTorch's caching allocator plays the same role)."""
from . import _device

_peak = {}  # device index -> highest memory_allocated seen since the last reset


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
    return _cp().cuda.runtime.getDeviceCount()


def _cp():
    return _device.cupy_module()


def _index(device):
    """A CUDA ordinal from None (the current device), an int, a string or an ember.device."""
    if device is None:
        return current_device()
    if isinstance(device, int):
        return device
    d = _device.as_device(device)
    if d.type != "cuda":
        raise ValueError(f"ember.cuda: expected a CUDA device, got {d}")
    return current_device() if d.index is None else d.index


def current_device():
    return _cp().cuda.runtime.getDevice()


def set_device(device):
    """Make `device` the current CUDA device (a negative ordinal is a no-op, as in PyTorch)."""
    idx = _index(device)
    if idx >= 0:
        _cp().cuda.runtime.setDevice(idx)


class device:
    """`with ember.cuda.device(1):` makes device 1 current inside the block."""

    def __init__(self, device):
        self.idx = _index(device)
        self.prev = None

    def __enter__(self):
        self.prev = current_device()
        set_device(self.idx)

    def __exit__(self, *exc):
        set_device(self.prev)
        return False


def synchronize(device=None):
    """Wait for all work on the GPU to finish (no-op without CUDA)."""
    if not is_available():
        return
    with _cp().cuda.Device(_index(device)):
        _cp().cuda.runtime.deviceSynchronize()


def get_device_name(device=None):
    return get_device_properties(device).name


class _DeviceProperties:
    __slots__ = ("name", "major", "minor", "total_memory", "multi_processor_count")

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, "
                f"minor={self.minor}, total_memory={self.total_memory // 2 ** 20}MB, "
                f"multi_processor_count={self.multi_processor_count})")


def get_device_properties(device=None):
    props = _cp().cuda.runtime.getDeviceProperties(_index(device))
    out = _DeviceProperties()
    name = props["name"]
    out.name = name.decode() if isinstance(name, bytes) else name
    out.major, out.minor = props["major"], props["minor"]
    out.total_memory = props["totalGlobalMem"]
    out.multi_processor_count = props["multiProcessorCount"]
    return out


def get_device_capability(device=None):
    p = get_device_properties(device)
    return p.major, p.minor


def is_bf16_supported(including_emulation=True):
    """bfloat16 arithmetic needs compute capability 8.0 (Ampere) or newer."""
    return is_available() and get_device_capability()[0] >= 8


# --------------------------------------------------------------------------------- memory
def _pool():
    return _cp().get_default_memory_pool()


def memory_allocated(device=None):
    """Bytes held by live GPU arrays on `device`."""
    idx = _index(device)
    with _cp().cuda.Device(idx):
        used = _pool().used_bytes()
    if used > _peak.get(idx, 0):
        _peak[idx] = used
    return used


def max_memory_allocated(device=None):
    """The largest `memory_allocated` seen since the last reset (sampled whenever memory is
    queried: CuPy's pool keeps no high-water mark of its own)."""
    idx = _index(device)
    return max(memory_allocated(idx), _peak.get(idx, 0))


def reset_peak_memory_stats(device=None):
    idx = _index(device)
    _peak.pop(idx, None)
    memory_allocated(idx)


def memory_reserved(device=None):
    """Bytes the memory pool holds from the driver (live arrays plus cached free blocks)."""
    with _cp().cuda.Device(_index(device)):
        return _pool().total_bytes()


def empty_cache():
    """Give the pool's cached free blocks back to the driver (no-op without CUDA)."""
    if is_available():
        _pool().free_all_blocks()
        _cp().get_default_pinned_memory_pool().free_all_blocks()


# ---------------------------------------------------------------------------- randomness
def manual_seed(seed):
    """Seed the current CUDA device's generator (silently ignored without CUDA, as in PyTorch)."""
    if is_available():
        from .random import _cuda_default
        _cuda_default(current_device()).manual_seed(seed)


def manual_seed_all(seed):
    """Seed every CUDA device's generator."""
    if is_available():
        from .random import _cuda_default
        for idx in range(device_count()):
            _cuda_default(idx).manual_seed(seed)


# ------------------------------------------------------------------------- streams, events
class Stream:
    """A CUDA stream; `with ember.cuda.stream(s):` sends the kernels of the block to it."""

    def __init__(self, device=None, priority=0):
        cp = _cp()
        with cp.cuda.Device(_index(device)):
            self.cupy_stream = cp.cuda.Stream(non_blocking=True, priority=priority)

    @classmethod
    def _wrap(cls, cupy_stream):
        s = cls.__new__(cls)
        s.cupy_stream = cupy_stream
        return s

    @property
    def cuda_stream(self):
        return self.cupy_stream.ptr

    def synchronize(self):
        self.cupy_stream.synchronize()

    def query(self):
        return self.cupy_stream.done

    def wait_event(self, event):
        self.cupy_stream.wait_event(event.cupy_event)

    def wait_stream(self, stream):
        self.wait_event(stream.record_event())

    def record_event(self, event=None):
        event = Event() if event is None else event
        event.record(self)
        return event

    def __eq__(self, other):
        return isinstance(other, Stream) and self.cuda_stream == other.cuda_stream

    def __hash__(self):
        return hash(self.cuda_stream)

    def __enter__(self):
        self.cupy_stream.__enter__()
        return self

    def __exit__(self, *exc):
        return self.cupy_stream.__exit__(*exc)


def current_stream(device=None):
    with _cp().cuda.Device(_index(device)):
        return Stream._wrap(_cp().cuda.get_current_stream())


def default_stream(device=None):
    with _cp().cuda.Device(_index(device)):
        return Stream._wrap(_cp().cuda.Stream.null)


class stream:
    """`with ember.cuda.stream(s):` (None leaves the current stream in place)."""

    def __init__(self, s):
        self.s = s

    def __enter__(self):
        if self.s is not None:
            self.s.__enter__()
        return self.s

    def __exit__(self, *exc):
        if self.s is not None:
            self.s.__exit__(*exc)
        return False


class Event:
    """A CUDA event: `record()` on a stream, `synchronize()`, `elapsed_time(end)` in ms."""

    def __init__(self, enable_timing=False, blocking=False, interprocess=False):
        self.cupy_event = _cp().cuda.Event(block=blocking, disable_timing=not enable_timing,
                                           interprocess=interprocess)

    def record(self, stream=None):
        s = current_stream() if stream is None else stream
        self.cupy_event.record(s.cupy_stream)

    def wait(self, stream=None):
        (current_stream() if stream is None else stream).wait_event(self)

    def query(self):
        return self.cupy_event.done

    def synchronize(self):
        self.cupy_event.synchronize()

    def elapsed_time(self, end_event):
        """Milliseconds between this event and `end_event` (both recorded, timing enabled)."""
        return _cp().cuda.get_elapsed_time(self.cupy_event, end_event.cupy_event)
