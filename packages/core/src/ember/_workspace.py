"""Reused scratch memory for large temporaries: the NumPy convolution's (im2col columns, padded
inputs, col2im accumulators, GEMM outputs) and operands in oneDNN's blocked layouts.

Why: a fresh 75 MB NumPy buffer is mapped from the OS on each allocation and every page is
faulted in on first write; copying ResNet-18's stage-1 columns into a reused buffer takes about
half the time of copying into a new one. Buffers are byte arenas reused by exact size.

Safety: an arena is handed out again only when nothing but this cache refers to it. Every
NumPy/CuPy view (reshape, `as_strided`, a Tensor wrapping it, columns a backward node keeps)
holds a reference to its base, so the reference count says whether the memory is still in use.
The cache keeps at most `_CAP` bytes of arenas; `clear()` drops them all.
"""
import sys
import threading
from collections import OrderedDict

_CAP = 96 << 20
# arena id -> arena; insertion order is least recently used first.
_arenas = OrderedDict()
_bytes = 0
# Checking that an arena is idle and handing it out must not interleave between threads.
_lock = threading.Lock()


def _refs(key):
    return sys.getrefcount(_arenas[key])


# The count `_refs` sees for an arena only the cache holds, measured rather than assumed
# (what the interpreter adds for arguments and temporaries differs between versions).
_arenas[0] = bytearray(1)
_FREE_REFS = _refs(0)
del _arenas[0]


def empty(xp, shape, dtype):
    """An uninitialised `xp` array of `shape` and `dtype`, from a free arena when one fits."""
    dtype = xp.dtype(dtype)
    n = dtype.itemsize
    for s in shape:
        n *= s
    if n < (1 << 20):  # small buffers come cheaply from the allocator
        return xp.empty(shape, dtype)
    with _lock:
        return _take(xp, shape, dtype, n)


def reusable(nbytes):
    """Whether a buffer of `nbytes` can stay cached (larger ones are mapped afresh each time)."""
    return nbytes <= _CAP


def _take(xp, shape, dtype, n):
    global _bytes
    for key in _arenas:
        if _arenas[key].nbytes == n and _refs(key) == _FREE_REFS and isinstance(
                _arenas[key], xp.ndarray):
            _arenas.move_to_end(key)
            return _arenas[key].view(dtype).reshape(shape)
    arena = xp.empty(n, xp.uint8)
    _arenas[id(arena)] = arena
    _bytes += n
    # Evict least recently used idle arenas beyond the cap (a busy one is only forgotten: its
    # holders keep the memory alive until they let go).
    while _bytes > _CAP and _arenas:
        key, old = next(iter(_arenas.items()))
        if old is arena:
            break
        del _arenas[key]
        _bytes -= old.nbytes
    return arena.view(dtype).reshape(shape)


def clear():
    """Forget every cached arena (memory in use elsewhere stays alive with its users)."""
    global _bytes
    with _lock:
        _arenas.clear()
        _bytes = 0
