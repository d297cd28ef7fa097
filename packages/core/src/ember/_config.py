"""Process-wide switches PyTorch code sets at start-up: deterministic algorithms, the CPU thread
count, and `compile` (which ember does not do)."""
import os

from ._onednn import library as _onednn_library

_state = {"deterministic": False, "warn_only": False, "num_threads": None}


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Record the flag. Ember's CPU and GPU ops have no nondeterministic variants to switch off,
    so this changes no results; `are_deterministic_algorithms_enabled` reports it back."""
    _state["deterministic"] = bool(mode)
    _state["warn_only"] = bool(warn_only)


def are_deterministic_algorithms_enabled():
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled():
    return _state["warn_only"]


def set_num_threads(num):
    """Limit the thread pools ember's CPU kernels use to `num` threads: oneDNN's OpenMP team
    (for calls from this thread, as in PyTorch) and, through threadpoolctl when it is installed,
    NumPy's BLAS; the number is recorded for `get_num_threads` either way."""
    if int(num) < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer (got {num})")
    _state["num_threads"] = int(num)
    _onednn_library.set_num_threads(int(num))
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=int(num))


def get_num_threads():
    """The thread count last set, else the BLAS pool's size (threadpoolctl), else the CPU count."""
    if _state["num_threads"] is not None:
        return _state["num_threads"]
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return os.cpu_count() or 1
    sizes = [pool["num_threads"] for pool in threadpool_info()]
    return max(sizes) if sizes else os.cpu_count() or 1


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None,
            options=None, disable=False):
    """A no-op: returns `model` (a function or Module) unchanged, so code written for
    `torch.compile` runs eagerly. Usable as `@ember.compile` and `@ember.compile(mode=...)`."""
    if model is None:
        return lambda fn: fn
    return model


__all__ = ["use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_num_threads", "get_num_threads",
           "compile"]
