"""Switches for gradient recording: no_grad, enable_grad, set_grad_enabled, inference_mode."""
import functools
import threading


class _GradState(threading.local):
    # Per thread, as in PyTorch: a backward or a no_grad block in one thread must not switch
    # recording off in another. Every thread starts with recording on (`__init__` runs once
    # per thread). Read on every op; a thread-local attribute costs ~1% of an op's overhead.
    def __init__(self):
        self.enabled = True


state = _GradState()


def is_grad_enabled():
    return state.enabled


class _GradModeContext:
    """Base for the context managers; each also works as a decorator."""

    mode = None

    def __enter__(self):
        self._prev = state.enabled
        state.enabled = self.mode

    def __exit__(self, *exc):
        state.enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args()):
                return fn(*args, **kwargs)
        return wrapper

    def _args(self):
        return ()


class no_grad(_GradModeContext):
    """Ops inside record no graph: outputs do not require grad."""
    mode = False


class enable_grad(_GradModeContext):
    mode = True


class set_grad_enabled(_GradModeContext):
    """`set_grad_enabled(False)` as a context manager, a decorator, or a plain call."""

    def __init__(self, mode):
        self.mode = bool(mode)
        self._prev = state.enabled
        state.enabled = self.mode  # a plain call takes effect at once, as in PyTorch

    def __enter__(self):
        pass

    def __call__(self, fn):
        state.enabled = self._prev  # used as a decorator: the mode applies inside `fn` only
        return super().__call__(fn)

    def _args(self):
        return (self.mode,)


class inference_mode(_GradModeContext):
    """Like no_grad (ember keeps no extra inference-only state)."""

    def __init__(self, mode=True):
        self.mode = not mode

    def _args(self):
        return (not self.mode,)
