"""`ember.autocast`: mixed precision by a per-op cast policy read at the op's entry.

PyTorch's op lists: matrix products and convolutions run in the region's low dtype (float16 or
bfloat16), the numerically touchy ops (losses, and on CUDA also softmax, norms, exp/log/pow and
sums) run in float32, everything else runs on whatever it is given (mixed inputs then promote to
the widest type as usual). Each participating op does one attribute read, `state.on`, and only
inside a region calls `cast_inputs`. Casts go through `Tensor.to`, so gradients flow back in the
parameters' own dtype. Casts of parameters (leaf tensors that require grad) are cached for the
outermost region, as in PyTorch, so a weight used twice is cast once.
"""
import functools
import threading

import numpy as np

from .. import _dtypes
from .._tensor import Tensor

# Ops that run in the low dtype on every device (PyTorch's "lower_precision_fp" list).
LOWER_PRECISION = frozenset({
    "matmul", "mm", "bmm", "addmm", "addbmm", "baddbmm", "linear", "einsum",
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
})

_LOSSES = frozenset({
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
    "kl_div", "binary_cross_entropy", "binary_cross_entropy_with_logits",
})

# Ops that run in float32 (PyTorch's "fp32" lists differ between CPU and CUDA autocast).
FLOAT32 = {
    "cpu": _LOSSES | {"prod"},
    "cuda": _LOSSES | {"softmax", "log_softmax", "layer_norm", "group_norm", "exp", "log",
                       "pow", "sum", "prod"},
}

# The default low dtype when `dtype=None`, as in torch.autocast.
_DEFAULT_DTYPE = {"cpu": _dtypes.bfloat16, "cuda": _dtypes.float16}


class _AutocastState(threading.local):
    # `on` is the one flag ops read; `dtypes` holds each device type's low dtype (None = off).
    # Per thread, as in PyTorch (each thread starts with autocast off).

    def __init__(self):
        self.on = False
        self.dtypes = {"cpu": None, "cuda": None}
        self.cache = {}
        self.cache_enabled = True
        self.depth = 0


state = _AutocastState()


def _target(op, device_type):
    low = state.dtypes.get(device_type)
    if low is None:
        return None
    if op in LOWER_PRECISION:
        return low
    if op in FLOAT32[device_type]:
        return _dtypes.float32
    return None


def _cast(t, dtype):
    # PyTorch casts only float16/bfloat16/float32 tensors; float64 and integers are left alone.
    if not isinstance(t, Tensor):
        return t
    arr = t._data
    if arr.dtype == dtype.np or arr.dtype.name not in ("float32", "float16", "bfloat16"):
        return t
    cacheable = state.cache_enabled and t.requires_grad and t.grad_fn is None
    if cacheable:
        hit = state.cache.get(id(t))
        if hit is not None and hit[0] is t and hit[1] == t._vc[0] and hit[2].dtype is dtype:
            return hit[2]
    out = t.to(dtype)
    if cacheable:
        state.cache[id(t)] = (t, t._vc[0], out)
    return out


def cast_inputs(op, *tensors):
    """The tensors cast as op `op` runs inside the current autocast regions (call only when
    `state.on`). Each tensor follows the region of its own device type."""
    out = []
    for t in tensors:
        if isinstance(t, Tensor):
            dtype = _target(op, "cpu" if isinstance(t._data, np.ndarray) else "cuda")
            if dtype is not None:
                t = _cast(t, dtype)
        out.append(t)
    return out


def _refresh():
    state.on = any(d is not None for d in state.dtypes.values())


def is_autocast_enabled(device_type="cuda"):
    return state.dtypes.get(_device_type(device_type)) is not None


def get_autocast_dtype(device_type):
    d = _device_type(device_type)
    low = state.dtypes.get(d)
    return low if low is not None else _DEFAULT_DTYPE[d]


def _device_type(device_type):
    if device_type not in ("cpu", "cuda"):
        raise RuntimeError(f"autocast: device_type must be 'cpu' or 'cuda', got {device_type!r}")
    return device_type


class autocast:
    """`with ember.autocast("cuda"):` (or as a decorator) runs matmuls and convolutions in
    float16 (bfloat16 on "cpu" by default) and losses in float32; `enabled=False` turns an
    enclosing region off."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=True):
        self.device_type = _device_type(device_type)
        self.fast_dtype = (_DEFAULT_DTYPE[device_type] if dtype is None
                           else _dtypes.as_dtype(dtype))
        if self.fast_dtype not in (_dtypes.float16, _dtypes.bfloat16):
            raise RuntimeError(f"autocast: dtype must be ember.float16 or ember.bfloat16, got "
                               f"{self.fast_dtype}")
        self.enabled = bool(enabled)
        self.cache_enabled = bool(cache_enabled)
        self._saved = []

    def __enter__(self):
        self._saved.append((state.dtypes[self.device_type], state.cache_enabled))
        state.dtypes[self.device_type] = self.fast_dtype if self.enabled else None
        state.cache_enabled = state.cache_enabled and self.cache_enabled
        state.depth += 1
        _refresh()
        return self

    def __exit__(self, *exc):
        state.dtypes[self.device_type], state.cache_enabled = self._saved.pop()
        state.depth -= 1
        if state.depth == 0:
            state.cache.clear()  # casts of parameters live for the outermost region only
        _refresh()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with autocast(self.device_type, self.fast_dtype, self.enabled, self.cache_enabled):
                return fn(*args, **kwargs)
        return wrapper
