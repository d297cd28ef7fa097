"""A primitive bound to plain NumPy operands: per argument, the user's descriptor and the
reorder between it and the layout the primitive chose (oneDNN's blocked layouts are fastest;
user arrays stay plain, as PyTorch's NCHW tensors do around its oneDNN calls)."""
import threading

import numpy as np

from .. import _workspace
from . import library as _dnnl


def scratch(md):
    """A reused byte buffer, 64-byte aligned, for an operand in the primitive's own layout: a
    fresh one each call would be mapped from the OS and page-faulted in every time."""
    size = _dnnl.lib.dnnl_memory_desc_get_size(md)
    raw = _workspace.empty(np, (size + 64,), np.uint8)
    start = -raw.ctypes.data % 64
    return raw[start:start + size]


def buffer(md):
    """A new byte array for memory descriptor `md` that outlives the call (a workspace kept
    from forward to backward)."""
    return np.empty(_dnnl.lib.dnnl_memory_desc_get_size(md), np.uint8)


class Plan:
    """`users` maps each argument id to (user Desc or None, is_output); None means the caller
    passes an array already in the primitive's layout (a workspace). Raises OneDNNError when
    only oneDNN's reference implementation takes the problem, unless `allow_reference`."""
    __slots__ = ("primitive", "operands")

    def __init__(self, pd, users, allow_reference=False):
        if not allow_reference and _dnnl.implementation(pd).startswith("ref"):
            # oneDNN's reference code is far slower than the NumPy paths the callers fall back to
            _dnnl.lib.dnnl_primitive_desc_destroy(pd)
            raise _dnnl.OneDNNError("oneDNN: only its reference implementation takes this")
        self.primitive = _dnnl.Primitive(pd)
        self.operands = {}
        for arg, (user, is_output) in users.items():
            md = self.primitive.md(arg)
            if user is None or _dnnl.lib.dnnl_memory_desc_equal(md, user.handle):
                self.operands[arg] = (md, None, user)
            elif is_output:
                self.operands[arg] = (md, _dnnl.reorder(md, user.handle), user)
            else:
                self.operands[arg] = (md, _dnnl.reorder(user.handle, md), user)

    def md(self, arg):
        """The primitive's own descriptor for argument `arg`."""
        return self.operands[arg][0]

    def run(self, inputs, outputs, zero=()):
        """Execute on `inputs` ({argument: array}) writing `outputs` ({argument: array}) in
        place; arguments in `zero` start from zeros (oneDNN accumulates into them)."""
        args, converted = [], []
        for arg, array in inputs.items():
            md, convert, user = self.operands[arg]
            if convert is not None:
                blocked = scratch(md)
                _dnnl.execute(convert, [(_dnnl.ARG_SRC, user.handle, array),
                                        (_dnnl.ARG_DST, md, blocked)])
                array = blocked
            args.append((arg, md, array))
        for arg, array in outputs.items():
            md, convert, user = self.operands[arg]
            if convert is not None:
                converted.append((convert, md, scratch(md), user, array))
                array = converted[-1][2]
            if arg in zero:
                array[...] = 0
            args.append((arg, md, array))
        _dnnl.execute(self.primitive, args)
        for convert, md, blocked, user, array in converted:
            _dnnl.execute(convert, [(_dnnl.ARG_SRC, md, blocked), (_dnnl.ARG_DST, user.handle,
                                                                   array)])


class Cache:
    """Plans by problem key, at most `size` of them (the oldest dropped). A problem oneDNN has
    no (fast) implementation for is remembered as None, so its NumPy fallback is not re-planned
    on every call. Safe to share between threads."""

    def __init__(self, size):
        self._plans, self._size, self._lock = {}, size, threading.Lock()

    def __len__(self):
        return len(self._plans)

    def get(self, key, build):
        """The plan for `key`, made by `build()` the first time (None if it raises
        OneDNNError)."""
        with self._lock:
            if key in self._plans:
                return self._plans[key]
        try:
            plan = build()
        except _dnnl.OneDNNError:
            plan = None
        with self._lock:
            if len(self._plans) >= self._size:
                del self._plans[next(iter(self._plans))]
            self._plans[key] = plan
        return plan
