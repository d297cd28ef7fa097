"""`pad`: constant padding of any trailing dims (negative amounts crop) and reflect, replicate
and circular padding of the last 1-3 dims."""
import numpy as np

from ..._device import array_module_of
from ..._tensor import Tensor
from ...autograd.graph import Node
from ...ops._common import attach, requires_grad


class ConstantPadNdBackward0(Node):
    __slots__ = ("pad",)

    def backward(self, g):
        # Padding by -p crops exactly what padding by p added (and vice versa).
        return (_constant_pad(g, [-p for p in self.pad], 0),)


def _constant_pad(input, pad, value):
    x = input._data
    nd = len(pad) // 2
    shape = list(x.shape)
    src, dst = [], []
    for i in range(nd):
        dim = x.ndim - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        n = shape[dim]
        size = n + lo + hi
        if size < 0:
            raise RuntimeError(f"pad: the input size {n} at dimension {dim}, plus negative "
                               f"padding {lo} and {hi}, resulted in a negative output size "
                               f"{size} (input shape {list(x.shape)})")
        shape[dim] = size
        # Negative amounts crop the source; positive ones shift the destination.
        src.append(slice(max(-lo, 0), n - max(-hi, 0)))
        dst.append(slice(max(lo, 0), size - max(hi, 0)))
    xp = array_module_of(x)
    fill = 0 if value is None else value
    out = xp.full(shape, fill, dtype=x.dtype)
    lead = (slice(None),) * (x.ndim - nd)
    src_key = lead + tuple(reversed(src))
    dst_key = lead + tuple(reversed(dst))
    if all(s.stop > s.start for s in src) and all(d.stop > d.start for d in dst):
        out[dst_key] = x[src_key]
    node = None
    if requires_grad(input):
        node = ConstantPadNdBackward0(None)
        node.pad = tuple(pad)
    return attach(out, node, (input,))


def _source_index(n, lo, hi, mode):
    """For each output position along one dim, the input position it copies."""
    j = np.arange(-lo, n + hi)
    if mode == "replicate":
        return np.clip(j, 0, n - 1)
    if mode == "circular":
        return j % n
    period = 2 * (n - 1)
    j = np.abs(j) % period if period else np.zeros_like(j)
    return np.where(j >= n, period - j, j)


_MODES = ("reflect", "replicate", "circular")


def pad(input, pad, mode="constant", value=None):
    """Pad the last `len(pad) // 2` dims; `pad` lists (before, after) from the last dim back."""
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError(f"pad: padding length must be divisible by 2, got {len(pad)} "
                           f"(pad={pad})")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(f"pad: padding length {len(pad)} is too large for a tensor of "
                           f"{input.ndim} dims (shape {list(input.shape)})")
    if mode == "constant":
        return _constant_pad(input, pad, value)
    if mode not in _MODES:
        raise NotImplementedError(f"pad: unsupported padding mode {mode!r}; expected one of "
                                  "'constant', 'reflect', 'replicate', 'circular'")
    if value is not None and value != 0:
        raise ValueError(f"pad: padding mode {mode!r} doesn't take in value argument")
    nd = len(pad) // 2
    if nd > 3 or input.ndim not in (nd + 1, nd + 2):
        raise NotImplementedError(
            f"pad: {mode} padding of {nd} dims expects a {nd + 1}-D or {nd + 2}-D input "
            f"(pad holds at most 3 pairs), got shape {list(input.shape)}")
    from ...ops.indexing import index_select
    xp = array_module_of(input._data)
    out = input
    for i in range(nd):
        dim = input.ndim - 1 - i
        n, lo, hi = input.shape[dim], pad[2 * i], pad[2 * i + 1]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"pad: padding size should be less than the corresponding input "
                               f"dimension, but got: padding ({lo}, {hi}) at dimension {dim} of "
                               f"input {list(input.shape)}")
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError(f"pad: padding value causes wrapping around more than once "
                               f"(padding ({lo}, {hi}) at dimension {dim} of input "
                               f"{list(input.shape)})")
        if n + lo + hi <= 0 or (n == 0 and mode != "circular"):
            raise RuntimeError(f"pad: {mode} padding ({lo}, {hi}) of dimension {dim} gives an "
                               f"empty output (input shape {list(input.shape)})")
        index = Tensor._make(xp.asarray(_source_index(n, lo, hi, mode)))
        out = index_select(out, dim, index)
    return out


__all__ = ["pad"]
