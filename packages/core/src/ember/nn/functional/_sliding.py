"""Sliding-window plumbing on raw arrays, shared by convolution, pooling and unfold/fold.

A window geometry describes one spatial dimension as `(k, s, d, lo, big, small)`: kernel size,
stride, dilation, padding before the data, the unpadded input length and the number of window
positions. Window `j` reads input positions `j*s - lo + i*d` for `i < k`. Everything here works
on NumPy or CuPy arrays alike.
"""
import itertools

from ..._device import array_module_of
from ... import _workspace


def as_tuple(value, n, name, op):
    """An int or a sequence of `n` ints as a tuple of `n` ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) * n
    try:
        out = tuple(int(v) for v in value)
    except TypeError:
        raise TypeError(f"{op}: {name} must be an int or a tuple of {n} ints, got "
                        f"{value!r}") from None
    if len(out) == 1:
        return out * n
    if len(out) != n:
        raise RuntimeError(f"{op}: expected {name} to be a single integer value or a list of {n} "
                           f"values to match the convolution dimensions, but got "
                           f"{name}={list(out)}")
    return out


def span(g):
    """How far the last window reaches, counted from the start of the padded input."""
    k, s, d, _, _, small = g
    return (small - 1) * s + d * (k - 1) + 1


def padded(x, geom, fill=0):
    """`x` (N, C, *big) padded so that every window of `geom` lies inside; the buffer's length
    per dimension is `max(lo + big, span)`, cropped when the windows stop short of the end."""
    xp = array_module_of(x)
    sizes = [max(g[3] + g[4], span(g)) for g in geom]
    if all(g[3] == 0 and size == g[4] for g, size in zip(geom, sizes)):
        return x
    # A reused buffer (see `_workspace`): only the border is filled, the inside is copied.
    out = _workspace.empty(xp, x.shape[:2] + tuple(sizes), x.dtype)
    inner = []
    for g, size in zip(geom, sizes):
        lo, hi = g[3], g[3] + g[4]
        for edge in (slice(0, lo), slice(hi, size)):
            if edge.stop > edge.start:
                out[(slice(None), slice(None)) + tuple(inner) + (edge,)] = fill
        inner.append(slice(lo, hi))
    out[(slice(None), slice(None)) + tuple(inner)] = x
    return out


def windows(xpad, geom):
    """A strided view (C, *k, N, *small) of the padded input: no copy."""
    xp = array_module_of(xpad)
    st = xpad.strides
    sp = st[2:]
    shape = (xpad.shape[1],) + tuple(g[0] for g in geom) + (xpad.shape[0],) + tuple(
        g[5] for g in geom)
    strides = (st[1],) + tuple(a * g[2] for a, g in zip(sp, geom)) + (st[0],) + tuple(
        a * g[1] for a, g in zip(sp, geom))
    return xp.lib.stride_tricks.as_strided(xpad, shape, strides)


def im2col(x, geom):
    """Columns (C*prod(k), N*prod(small)) of `x` (N, C, *big): one copy of a strided view, into
    a reused buffer (`_workspace`)."""
    w = windows(padded(x, geom), geom)
    xp = array_module_of(x)
    cols = _workspace.empty(xp, w.shape, x.dtype)
    xp.copyto(cols, w)
    rows = x.shape[1]
    for g in geom:
        rows *= g[0]
    return cols.reshape(rows, -1)


def col2im(cols, geom, n, c):
    """The adjoint of `im2col`: sums columns (C*prod(k), N*prod(small)) back into
    (N, C, *big). One strided add per kernel offset, no scatter."""
    xp = array_module_of(cols)
    ks = tuple(g[0] for g in geom)
    smalls = tuple(g[5] for g in geom)
    cols = cols.reshape((c,) + ks + (n,) + smalls)
    sizes = tuple(max(g[3] + g[4], span(g)) for g in geom)
    # Accumulate channel-major so each add walks memory in the columns' order.
    buf = _workspace.empty(xp, (c, n) + sizes, cols.dtype)
    buf.fill(0)
    for offs in itertools.product(*(range(k) for k in ks)):
        key = (slice(None), slice(None)) + tuple(
            slice(i * g[2], i * g[2] + (g[5] - 1) * g[1] + 1, g[1]) for i, g in zip(offs, geom))
        buf[key] += cols[(slice(None),) + offs]
    crop = (slice(None), slice(None)) + tuple(slice(g[3], g[3] + g[4]) for g in geom)
    return xp.ascontiguousarray(buf[crop].swapaxes(0, 1))


def window_slices(geom):
    """For each kernel offset, the index into a padded (N, C, *B) array of its window values."""
    for offs in itertools.product(*(range(g[0]) for g in geom)):
        yield (slice(None), slice(None)) + tuple(
            slice(i * g[2], i * g[2] + (g[5] - 1) * g[1] + 1, g[1]) for i, g in zip(offs, geom))


def out_size(big, k, s, d, lo, hi, ceil_mode=False):
    """Number of window positions (PyTorch's formula; ceil mode drops a last window that would
    start inside the right padding)."""
    eff = big + lo + hi - d * (k - 1) - 1
    if ceil_mode:
        n = -(-eff // s) + 1
        if (n - 1) * s >= big + lo:
            n -= 1
        return n
    return eff // s + 1
