"""Pooling: max/avg pooling (1-3 d), adaptive avg/max pooling, LP pooling, max unpooling.

Windows are visited one kernel offset at a time (a few vectorised passes over strided views,
never a loop over pixels). Max pooling keeps the winning kernel offset per output element; its
gradient scatters through the same offsets. Each linear map here has a dedicated op whose
backward is its adjoint, so gradients of any order work.
"""
import itertools

import numpy as np

from ..._device import array_module_of
from ..._dtypes import from_numpy_dtype
from ..._tensor import Tensor
from ...autograd.graph import Node
from ...ops._common import attach, requires_grad
from ._sliding import as_tuple, out_size, padded, window_slices

_LAYOUT = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}


def _batched(op, nd, input):
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}: expected input with {nd + 1} (unbatched) or {nd + 2} dims "
                           f"{_LAYOUT[nd]}, got shape {list(input.shape)}")
    return input.ndim == nd + 1


def _geometry(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode):
    """The window geometry of a pooling op over the last `nd` dims of a batched input."""
    ks = as_tuple(kernel_size, nd, "kernel_size", op)
    stride = ks if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        as_tuple(stride, nd, "stride", op)
    pads = as_tuple(padding, nd, "padding", op)
    dil = as_tuple(dilation, nd, "dilation", op)
    if any(v <= 0 for v in ks + stride + dil):
        raise RuntimeError(f"{op}: kernel_size, stride and dilation must be greater than zero, "
                           f"got kernel_size={list(ks)}, stride={list(stride)}, "
                           f"dilation={list(dil)}")
    for p, k, d in zip(pads, ks, dil):
        if p < 0 or p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, but "
                               f"got pad={list(pads)}, kernel_size={list(ks)} and "
                               f"dilation={list(dil)}")
    big = tuple(input.shape[2:])
    small = tuple(out_size(b, k, s, d, p, p, ceil_mode)
                  for b, k, s, d, p in zip(big, ks, stride, dil, pads))
    if any(n <= 0 for n in small):
        c = input.shape[1]
        raise RuntimeError(f"{op}: given input size: ({'x'.join(map(str, (c,) + big))}). "
                           f"Calculated output size: ({'x'.join(map(str, (c,) + small))}). "
                           "Output size is too small")
    return tuple(zip(ks, stride, dil, pads, big, small))


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _crop(buf, geom):
    return buf[(Ellipsis,) + tuple(slice(g[3], g[3] + g[4]) for g in geom)]


def _spread(g, geom, weights=None, select=None):
    """Adjoint of reading windows: add each output element back onto the positions its window
    read (scaled by `weights`, or only at the kernel offset `select` says won)."""
    xp = array_module_of(g)
    if select is not None and weights is None and all(
            q[0] == q[1] and q[2] == 1 and q[3] == 0 and q[0] * q[5] == q[4] for q in geom):
        return _spread_tiled(xp, g, geom, select)
    sizes = tuple(max(q[3] + q[4], (q[5] - 1) * q[1] + q[2] * (q[0] - 1) + 1) for q in geom)
    buf = xp.zeros(g.shape[:2] + sizes, dtype=g.dtype)
    if weights is not None:
        g = g * weights
    for k, key in enumerate(window_slices(geom)):
        buf[key] += g if select is None else xp.where(select == k, g, 0)
    return xp.ascontiguousarray(_crop(buf, geom))


def _spread_tiled(xp, g, geom, select):
    """`_spread` of a max pool whose windows tile the input exactly (kernel == stride, no
    padding or dilation, e.g. MaxPool2d(2) on even planes): each input position belongs to one
    window, so each offset's strided slice is written once (`g` where it won, else 0) and the
    zero fill, the read-modify-write adds and the final crop copy are not needed."""
    out = xp.empty(g.shape[:2] + tuple(q[4] for q in geom), dtype=g.dtype)
    # `g * won` is branch-free (a `where` with a random mask ran 4x slower here), but it would
    # spread inf/NaN onto the losers (inf * 0): such gradients take the `where`.
    finite = bool(xp.isfinite(g).all())
    for k, key in enumerate(window_slices(geom)):
        if finite:
            xp.multiply(g, select == k, out=out[key])
        else:
            out[key] = xp.where(select == k, g, g.dtype.type(0))
    return out


def _gather_windows(x, geom, weights=None, select=None):
    """Sum over each window (scaled by `weights`), or the element at offset `select`."""
    xp = array_module_of(x)
    xpad = padded(x, geom)
    out = None
    for k, key in enumerate(window_slices(geom)):
        v = xpad[key] if select is None else xp.where(select == k, xpad[key], 0)
        out = v.copy() if out is None else out.__iadd__(v)
    return out if weights is None else out * weights


class _WindowNode(Node):
    # One class for the four linear window maps: `adjoint` says which direction this node is.
    __slots__ = ("geom", "weights", "select", "adjoint", "label")

    def name(self):
        return self.label

    def backward(self, g):
        return (_window_op(g, self.geom, self.weights, self.select, not self.adjoint,
                           self.label),)


def _window_op(x, geom, weights, select, adjoint, label):
    fn = _spread if adjoint else _gather_windows
    out = fn(x._data, geom, weights, select)
    node = None
    if requires_grad(x):
        node = _WindowNode(None)
        node.geom, node.weights, node.select, node.adjoint = geom, weights, select, adjoint
        node.label = label if not adjoint else label.replace("Backward0", "BackwardBackward0")
    return attach(out, node, (x,))


def _separable_max(xp, xpad, geom):
    """The window maxima one dimension at a time, last first: k1 + k2 `maximum` passes instead
    of k1 * k2 over strided views (ResNet-50's 3x3/2 stem pool: 31.8 -> 10.5-17 ms; a 2x2
    pool gains nothing: 1.3 -> 2.7 ms, its first pass writes an intermediate twice the output).
    `maximum` propagates NaN like PyTorch, and the maximum does not depend on the order."""
    best, fresh = xpad, False
    for axis in range(len(geom) + 1, 1, -1):
        k, s, d, _, _, small = geom[axis - 2]
        lead = (slice(None),) * axis
        taps = [best[lead + (slice(j * d, j * d + (small - 1) * s + 1, s),)] for j in range(k)]
        if k == 1:
            best = taps[0]
            continue
        best, fresh = xp.maximum(taps[0], taps[1]), True
        for tap in taps[2:]:
            xp.maximum(best, tap, out=best)
    return best if fresh else best.copy()  # never a view of the input


def _max_offsets(x, geom, need_arg=True):
    """(max values, winning kernel offset or None) per window; NaN wins, first maximum wins
    ties. The maximum is K `maximum` passes; the offsets (only when asked: a gradient or
    `return_indices`) are K more, written last-to-first so the first equal offset stays
    (a compare and a masked store per offset, no boolean-index scatter)."""
    xp = array_module_of(x)
    xpad = padded(x, geom, _lowest(x.dtype))
    keys = list(window_slices(geom))
    if sum(g[0] for g in geom) < len(keys):
        best = _separable_max(xp, xpad, geom)
    else:  # e.g. 2x2: as many passes either way, and these write no intermediate
        best = xpad[keys[0]].copy()
        for key in keys[1:]:
            xp.maximum(best, xpad[key], out=best)  # propagates NaN, like PyTorch
    if not need_arg:
        return best, None
    arg = xp.zeros(best.shape, dtype=np.int8 if len(keys) <= 127 else np.int32)
    # PyTorch's rule: the first in-bounds maximum, but the last NaN; padding never wins.
    inside = None
    if bool((best == _lowest(x.dtype)).any()):
        inside = padded(xp.ones(x.shape, dtype=bool), geom, False)
    # The first hit's offset is the number of leading misses: a running "missed so far" mask
    # summed into `arg`. Branch-free passes, unlike a masked store per offset, whose random
    # pattern cost 2 ms per offset on MNIST's pool; every window holds its maximum, so the
    # last offset needs no compare.
    missed = None
    for k in range(len(keys) - 1):
        hit = xpad[keys[k]] == best
        if inside is not None:
            hit &= inside[keys[k]]
        missed = xp.logical_not(hit, out=hit) if missed is None else \
            xp.logical_and(missed, xp.logical_not(hit, out=hit), out=missed)
        arg += missed
    if x.dtype.kind == "f" and bool(xp.isnan(best).any()):
        for k, key in enumerate(keys):
            xp.copyto(arg, k, where=xp.isnan(xpad[key]))
    return best, arg


def _flat_indices(arg, geom):
    """PyTorch's indices: positions in the flattened unpadded spatial plane, int64."""
    xp = array_module_of(arg)
    offsets = xp.asarray(list(itertools.product(*(range(g[0]) for g in geom))), dtype=np.int64)
    flat = 0
    nd = len(geom)
    for i, (_, s, d, lo, big, small) in enumerate(geom):
        shape = [1] * nd
        shape[i] = small
        start = (xp.arange(small, dtype=np.int64) * s - lo).reshape(shape)
        flat = flat * big + start + offsets[:, i][arg] * d
    return flat


def _max_pool(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode,
              return_indices):
    unbatched = _batched(op, nd, input)
    x = input.unsqueeze(0) if unbatched else input
    geom = _geometry(op, nd, x, kernel_size, stride, padding, dilation, ceil_mode)
    best, arg = _max_offsets(x._data, geom, return_indices or requires_grad(x))
    node = None
    if requires_grad(x):
        node = _WindowNode(None)
        node.geom, node.weights, node.select, node.adjoint = geom, None, arg, False
        node.label = f"MaxPool{nd}DWithIndicesBackward0"
    out = attach(best, node, (x,))
    if unbatched:
        out = out.squeeze(0)
    if not return_indices:
        return out
    idx = _flat_indices(arg, geom)
    idx = Tensor._make(idx[0] if unbatched else idx)
    return out, idx


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over sliding windows. input (N, C, L) or (C, L)."""
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over sliding windows. input (N, C, H, W) or (C, H, W)."""
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over sliding windows. input (N, C, D, H, W) or (C, D, H, W)."""
    return _max_pool("max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def _avg_weights(xp, geom, count_include_pad, divisor_override, dtype):
    """1 / divisor for every output position, PyTorch's rule: windows are clipped to the padded
    input, and padding counts only with `count_include_pad`."""
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError("avg_pool: divisor must be not zero")
        return 1.0 / divisor_override
    div = np.ones((), dtype=np.float64)
    for k, s, _, lo, big, small in geom:
        start = np.arange(small) * s - lo
        end = np.minimum(start + k, big + lo)
        if not count_include_pad:
            end, start = np.minimum(end, big), np.maximum(start, 0)
        div = np.multiply.outer(div, end - start)
    return xp.asarray((1.0 / div).astype(dtype))


def _avg_pool(op, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    unbatched = _batched(op, nd, input)
    x = input.unsqueeze(0) if unbatched else input
    if x._data.dtype.kind not in "fc":
        raise RuntimeError(f"{op}: expected a floating point input, got "
                           f"{from_numpy_dtype(x._data.dtype).name}")
    geom = _geometry(op, nd, x, kernel_size, stride, padding, 1, ceil_mode)
    w = _avg_weights(array_module_of(x._data), geom, count_include_pad, divisor_override,
                     x._data.dtype)
    out = _window_op(x, geom, w, None, False, f"AvgPool{nd}DBackward0")
    return out.squeeze(0) if unbatched else out


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """Mean over sliding windows. input (N, C, L) or (C, L)."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over sliding windows. input (N, C, H, W) or (C, H, W)."""
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over sliding windows. input (N, C, D, H, W) or (C, D, H, W)."""
    return _avg_pool("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


# ------------------------------------------------------------------------------- adaptive
def _adaptive_sizes(op, nd, input, output_size):
    if isinstance(output_size, int) or output_size is None:
        output_size = (output_size,) * nd
    out = tuple(input.shape[-nd + i] if o is None else int(o) for i, o in enumerate(output_size))
    if len(out) != nd:
        raise RuntimeError(f"{op}: output_size must have {nd} elements, got {list(output_size)}")
    if any(o <= 0 for o in out):
        raise RuntimeError(f"{op}: output_size must be positive, got {list(out)}")
    if any(s == 0 for s in input.shape[-nd:]):
        raise RuntimeError(f"{op}: expected input with non-zero spatial sizes, got shape "
                           f"{list(input.shape)}")
    return out


def _bounds(i, o):
    """PyTorch's adaptive window of output `j`: [floor(j*i/o), ceil((j+1)*i/o))."""
    return [((j * i) // o, -(-((j + 1) * i) // o)) for j in range(o)]


def _adaptive_avg(op, nd, input, output_size):
    unbatched = _batched(op, nd, input)
    x = input.unsqueeze(0) if unbatched else input
    sizes = _adaptive_sizes(op, nd, x, output_size)
    big = tuple(x.shape[2:])
    if all(b % o == 0 for b, o in zip(big, sizes)):
        geom = tuple((b // o, b // o, 1, 0, b, o) for b, o in zip(big, sizes))
        k = 1
        for g in geom:
            k *= g[0]
        out = _window_op(x, geom, 1.0 / k, None, False, f"AdaptiveAvgPool{nd}DBackward0")
    else:
        # Uneven windows: an averaging matrix per dimension (separable), applied by matmul.
        xp = array_module_of(x._data)
        out = x
        for i, (b, o) in enumerate(zip(big, sizes)):
            a = np.zeros((o, b))
            for j, (s, e) in enumerate(_bounds(b, o)):
                a[j, s:e] = 1.0 / (e - s)
            mat = Tensor._make(xp.asarray(a.T.astype(x._data.dtype)))
            out = (out.transpose(2 + i, -1) @ mat).transpose(2 + i, -1)
    return out.squeeze(0) if unbatched else out


def adaptive_avg_pool1d(input, output_size):
    """Mean over `output_size` near-equal windows. input (N, C, L) or (C, L)."""
    return _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """Mean over near-equal windows; `output_size` an int, a pair, or None entries to keep."""
    return _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_avg_pool3d(input, output_size):
    return _adaptive_avg("adaptive_avg_pool3d", 3, input, output_size)


def _adaptive_max(op, nd, input, output_size, return_indices):
    unbatched = _batched(op, nd, input)
    x = input.unsqueeze(0) if unbatched else input
    sizes = _adaptive_sizes(op, nd, x, output_size)
    big = tuple(x.shape[2:])
    if all(b % o == 0 for b, o in zip(big, sizes)):
        out = _max_pool(op, nd, x, tuple(b // o for b, o in zip(big, sizes)), None, 0, 1, False,
                        return_indices)
    else:
        out = _adaptive_max_uneven(x, big, sizes, return_indices)
    if unbatched:
        return (out[0].squeeze(0), out[1].squeeze(0)) if return_indices else out.squeeze(0)
    return out


def _adaptive_max_uneven(x, big, sizes, return_indices):
    """One vectorised argmax per output cell (cells, not pixels), then a differentiable gather
    of the winners."""
    from ...ops.indexing import gather
    arr = x._data
    xp = array_module_of(arr)
    n, c = arr.shape[:2]
    idx = xp.empty((n, c) + sizes, dtype=np.int64)
    plane = np.arange(int(np.prod(big))).reshape(big)
    for cell in itertools.product(*(range(o) for o in sizes)):
        box = tuple(slice(*_bounds(b, o)[j]) for b, o, j in zip(big, sizes, cell))
        region = arr[(Ellipsis,) + box].reshape(n, c, -1)
        local = region.argmax(-1)
        flat = xp.asarray(plane[box].reshape(-1))
        idx[(Ellipsis,) + cell] = flat[local]
    index = Tensor._make(idx)
    out = gather(x.flatten(2), 2, index.flatten(2)).reshape((n, c) + sizes)
    return (out, index) if return_indices else out


def adaptive_max_pool1d(input, output_size, return_indices=False):
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max over near-equal windows; returns (values, indices) with `return_indices`."""
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    return _adaptive_max("adaptive_max_pool3d", 3, input, output_size, return_indices)


# ------------------------------------------------------------------------------ LP, unpool
def _lp_pool(op, nd, input, norm_type, kernel_size, stride, ceil_mode):
    from ...ops.unary import abs as abs_, relu, sign
    ks = as_tuple(kernel_size, nd, "kernel_size", op)
    pool = avg_pool1d if nd == 1 else avg_pool2d if nd == 2 else avg_pool3d
    out = pool(input.pow(norm_type), ks, stride, 0, ceil_mode)
    k = 1
    for v in ks:
        k *= v
    return (sign(out) * relu(abs_(out))).mul(k).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """`(sum over window of x**p) ** (1/p)`. input (N, C, L)."""
    return _lp_pool("lp_pool1d", 1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """`(sum over window of x**p) ** (1/p)`. input (N, C, H, W)."""
    return _lp_pool("lp_pool2d", 2, input, norm_type, kernel_size, stride, ceil_mode)


def _max_unpool(op, nd, input, indices, kernel_size, stride, padding, output_size):
    from ...ops.creation import zeros
    ks = as_tuple(kernel_size, nd, "kernel_size", op)
    st = ks if stride is None else as_tuple(stride, nd, "stride", op)
    pads = as_tuple(padding, nd, "padding", op)
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"{op}: expected indices of the input's shape {list(input.shape)}, "
                           f"got {list(indices.shape)}")
    lead = tuple(input.shape[:-nd])
    default = tuple((n - 1) * s - 2 * p + k for n, s, p, k in
                    zip(input.shape[-nd:], st, pads, ks))
    size = default if output_size is None else tuple(output_size)[-nd:]
    plane = int(np.prod(size))
    if indices.numel() and (int(indices._data.max()) >= plane or int(indices._data.min()) < 0):
        raise RuntimeError(f"{op}: found an invalid max index (output size {list(size)}, "
                           f"indices in [{int(indices._data.min())}, "
                           f"{int(indices._data.max())}])")
    flat_in = input.reshape(lead + (-1,))
    out = zeros(lead + (plane,), dtype=input.dtype, device=input.device)
    out = out.scatter(-1, indices.reshape(lead + (-1,)), flat_in)
    return out.reshape(lead + size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of max_pool1d: values placed at `indices`, zeros elsewhere."""
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding,
                       output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of max_pool2d: values placed at `indices`, zeros elsewhere."""
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding,
                       output_size)


__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
           "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d", "lp_pool1d",
           "lp_pool2d", "max_unpool1d", "max_unpool2d"]
