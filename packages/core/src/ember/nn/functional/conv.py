"""Convolutions: conv1d/2d/3d and conv_transpose1d/2d/3d as im2col + one GEMM.

Three dedicated ops close under differentiation, so gradients of any order work:
  convolution       x (N, C, *big),  w (O, C/G, *k)  -> (N, O, *small)
  transposed conv   y (N, O, *small), w              -> (N, C, *big)   (adjoint in x)
  weight gradient   x, y                             -> (O, C/G, *k)   (adjoint in w)
Each one's backward is written with the other two. Geometry: see `_sliding`.
"""
from ..._device import array_module_of
from ..._onednn import convolution as _onednn_conv, library as _onednn
from ..._dtypes import from_numpy_dtype
from ...amp.autocast_mode import cast_inputs, state as _amp
from ...autograd.grad_mode import state as _grad_state
from ...autograd.graph import Node
from ...ops._common import attach, check_same_device, requires_grad
from ... import _workspace
from ._sliding import as_tuple, col2im, im2col, out_size, span


def _pointwise(geom):
    # A 1x1 kernel with stride 1 and no padding is a plain matmul over channels.
    return all(g[0] == 1 and g[1] == 1 and g[3] == 0 and g[4] == g[5] for g in geom)


def _channel_major(y):
    """(N, O, *s) as a contiguous (O, N*L): the layout a GEMM against columns wants."""
    n, o = y.shape[:2]
    src = y.reshape(n, o, -1).swapaxes(0, 1)
    xp = array_module_of(y)
    out = _workspace.empty(xp, src.shape, y.dtype)
    xp.copyto(out, src)
    return out.reshape(o, -1)


def _per_group(a, b, groups, fn):
    """`fn(a_i, b_i)` on the row blocks of `a` and `b`, concatenated: one 2-D GEMM per group."""
    if groups == 1:
        return fn(a, b)
    xp = array_module_of(a)
    ra, rb = a.shape[0] // groups, b.shape[0] // groups
    return xp.concatenate([fn(a[i * ra:(i + 1) * ra], b[i * rb:(i + 1) * rb])
                           for i in range(groups)])


def _conv_array(x, w, geom, groups, keep=None):
    """The convolution on raw arrays, contiguous (N, O, *small). `keep`, a list, receives the
    im2col columns so the weight gradient can reuse them instead of rebuilding them."""
    if _onednn.takes(x, w):
        out = _onednn_conv.forward(x, w, geom, groups)
        if out is not None:
            return out
    xp = array_module_of(x)
    n, c = x.shape[:2]
    o = w.shape[0]
    small = tuple(g[5] for g in geom)
    if _pointwise(geom):
        out = w.reshape(groups, o // groups, c // groups) @ x.reshape(n, groups, c // groups, -1)
        return out.reshape((n, o) + small)
    cols = im2col(x, geom)
    if keep is not None:
        keep.append(cols)
    # 2-D GEMMs only: NumPy's stacked matmul leaves BLAS for slow loops on large operands.
    if groups == 1 and cols.dtype.char in "fd":  # (O, N*L) into scratch: only its NCHW copy
        # below is kept (bfloat16 & co. multiply in float32, so no out= for them)
        out = xp.matmul(w.reshape(o, -1), cols,
                        out=_workspace.empty(xp, (o, cols.shape[1]), cols.dtype))
    else:
        out = _per_group(w.reshape(o, -1), cols, groups, lambda a, b: a @ b)
    # One copy of the (small) output back to NCHW keeps every later op on contiguous data.
    return xp.ascontiguousarray(out.reshape((o, n) + small).swapaxes(0, 1))


def _full_geometry(geom, y):
    """For stride 1, the transposed convolution of `y` (N, O, *small) is the ordinary
    convolution of `y` with the flipped kernel over `y` padded by `d*(k-1) - lo`: its geometry,
    or None when some padding would be negative (the forward padded by more than the kernel
    reaches), the planes are small (padding a 4x4 gradient to 6x6 grows its columns more than
    col2im's passes cost: ResNet-18's last stage 25.8 vs 23.1 ms; 32x32 planes 37.7 vs
    45.2 ms), or its padded input and columns together outgrow the scratch cache: each call
    then evicts the other and faults both in afresh, and col2im's route is faster (MNIST
    conv2, 13 + 100 MB: 33.8 vs 24.0 ms; ResNet-18 stage 1, 9.5 + 75 MB, stays cached and
    full: 28.4 vs 41.4 ms)."""
    full = tuple((k, 1, d, d * (k - 1) - lo, small, big) for k, s, d, lo, big, small in geom)
    plane = 1
    padded = cols = y.shape[0] * y.shape[1] * y.dtype.itemsize
    for g, f in zip(geom, full):
        plane *= g[4]
        cols *= g[0] * g[4]
        padded *= max(f[3] + f[4], span(f))  # as `_sliding.padded` sizes it
    if any(g[1] != 1 for g in geom) or any(f[3] < 0 for f in full) or plane < 64 or \
            not _workspace.reusable(padded + cols):
        return None
    return full


def _conv_transpose_array(y, w, geom, groups):
    if _onednn.takes(y, w):
        out = _onednn_conv.backward_data(y, w, geom, groups)
        if out is not None:
            return out
    n, o = y.shape[:2]
    cg = w.shape[1]
    big = tuple(g[4] for g in geom)
    if _pointwise(geom):
        wg = w.reshape(groups, o // groups, -1).swapaxes(1, 2)  # (G, Cg, Og)
        out = wg @ y.reshape(n, groups, o // groups, -1)
        return out.reshape((n, groups * cg) + big)
    full = _full_geometry(geom, y)
    if full is not None:
        # im2col of y + one GEMM with a (C, O*K) kernel: no col2im read-modify-write passes
        # over a (C*K, N*L) column matrix, and the GEMM's reduction runs over O*K, not O
        # (OpenBLAS ran (C*K, O) @ (O, N*L) at half speed for O <= 128).
        nd = len(geom)
        flip = (slice(None), slice(None)) + (slice(None, None, -1),) * nd
        wf = w[flip].reshape((groups, o // groups, cg) + w.shape[2:]).swapaxes(1, 2)
        return _conv_array(y, wf.reshape((groups * cg, o // groups) + w.shape[2:]), full, groups)
    # (Cg*K, Og) @ (Og, N*L) per group: the transposed weight is a view BLAS reads as is.
    cols = _per_group(w.reshape(o, -1), _channel_major(y), groups, lambda a, b: a.T @ b)
    return col2im(cols, geom, n, groups * cg)


def _conv_weight_array(x, y, geom, groups, kshape, cols=None):
    if _onednn.takes(x, y):
        out = _onednn_conv.backward_weights(x, y, geom, groups, kshape)
        if out is not None:
            return out
    n, c = x.shape[:2]
    o = y.shape[1]
    if _pointwise(geom):
        cols = _channel_major(x)
    elif cols is None:
        cols = im2col(x, geom)
    ym = _channel_major(y)
    if groups == 1 and o * cols.shape[0] * cols.itemsize > _TRANSPOSE_CHEAP_BYTES:
        # The weight's .grad ends up C-contiguous, and a transposing copy of a matrix beyond
        # the L2 cache runs at memory latency (512 x 4608: 11.6 ms), while this orientation of
        # the GEMM costs only ~1 ms more than the one below (13.5 vs 12.4 ms).
        gw = ym @ cols.T
    else:
        # (Cg*K, N*L) @ (N*L, Og), transposed: OpenBLAS runs the long reduction faster with
        # the wide operand first (ResNet-18 stage 1: 15.3 vs 18.8 ms).
        gw = _per_group(ym, cols, groups, lambda a, b: (b @ a.T).T)  # (O, Cg*K)
    return gw.reshape((o, c // groups) + tuple(kshape))


# A (O, Cg*K) weight gradient up to this size is transposed cheaply (the benchmark machine's
# 2 MB L2 per core; 128 x 1152 floats: 0.3 ms).
_TRANSPOSE_CHEAP_BYTES = 2 << 20


class ConvolutionBackward0(Node):
    # `cols`: the forward's im2col columns of x, kept for the weight gradient (None otherwise).
    __slots__ = ("geom", "groups", "transposed", "has_bias", "cols")

    def backward(self, g):
        x, w = self.unpack()
        geom, groups = self.geom, self.groups
        gx = gw = gb = None
        if self.inputs[0] is not None:
            gx = (_convolution if self.transposed else _transposed)(g, w, None, geom, groups)
        if self.inputs[1] is not None:
            gw = (_weight_grad(g, x, geom, groups, w.shape[2:]) if self.transposed else
                  _weight_grad(x, g, geom, groups, w.shape[2:], self.cols))
        self.cols = None  # freed as soon as used: backward runs once unless retain_graph
        if self.has_bias and self.inputs[2] is not None:
            gb = g.sum((0,) + tuple(range(2, g.ndim)))
        return (gx, gw, gb) if self.has_bias else (gx, gw)


class ConvolutionBackwardBackward0(Node):
    # The weight gradient as an op of (x, y): linear in each, its adjoints are the other two ops.
    __slots__ = ("geom", "groups")

    def backward(self, g):
        x, y = self.unpack()
        gx = gy = None
        if self.inputs[0] is not None:
            gx = _transposed(y, g, None, self.geom, self.groups)
        if self.inputs[1] is not None:
            gy = _convolution(x, g, None, self.geom, self.groups)
        return gx, gy


def _record(out, inputs, geom, groups, transposed, bias, cols=None):
    node = None
    tensors = inputs if bias is None else inputs + (bias,)
    if requires_grad(*tensors):
        node = ConvolutionBackward0(None)
        node.geom, node.groups, node.transposed = geom, groups, transposed
        node.has_bias = bias is not None
        node.cols = cols
        node.save(*inputs)
    if out.dtype != inputs[0]._data.dtype:
        out = out.astype(inputs[0]._data.dtype)  # NumPy multiplies bfloat16 in float32
    if bias is not None:
        out += bias._data.reshape((-1,) + (1,) * len(geom))
    return attach(out, node, tensors)


def _cache_columns(w):
    """Whether the forward's columns are kept for the weight gradient. Building them costs a
    copy of C*K*N*L elements against a GEMM of O times as many multiply-adds, so the copy is a
    large share of the work only for narrow layers; those keep them (the memory of a
    ResNet's first stage), wider layers rebuild them in backward instead of holding them all."""
    return w.requires_grad and _grad_state.enabled and w.shape[0] <= _CACHE_MAX_OUT


_CACHE_MAX_OUT = 64


def _convolution(x, w, bias, geom, groups):
    keep = [] if _cache_columns(w) else None
    out = _conv_array(x._data, w._data, geom, groups, keep)
    return _record(out, (x, w), geom, groups, False, bias, keep[0] if keep else None)


def _transposed(y, w, bias, geom, groups):
    return _record(_conv_transpose_array(y._data, w._data, geom, groups), (y, w), geom, groups,
                   True, bias)


def _weight_grad(x, y, geom, groups, kshape, cols=None):
    out = _conv_weight_array(x._data, y._data, geom, groups, kshape, cols)
    if out.dtype != x._data.dtype:
        out = out.astype(x._data.dtype)  # NumPy multiplies bfloat16 in float32
    node = None
    if requires_grad(x, y):
        node = ConvolutionBackwardBackward0(None)
        node.geom, node.groups = geom, groups
        node.save(x, y)
    return attach(out, node, (x, y))


# ------------------------------------------------------------------------- argument checking
_LAYOUT = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}


def _dtype_name(arr):
    return from_numpy_dtype(arr.dtype).name


def _check(op, nd, input, weight, bias, groups, transposed):
    """Shared validation; returns whether `input` was unbatched."""
    if weight.ndim != nd + 2:
        raise RuntimeError(f"{op}: expected weight to have {nd + 2} dims (out_channels, "
                           f"in_channels/groups, *kernel_size), got shape {list(weight.shape)}")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}: expected input with {nd + 1} (unbatched) or {nd + 2} dims "
                           f"{_LAYOUT[nd]}, got shape {list(input.shape)}")
    if not isinstance(groups, int) or groups <= 0:
        raise RuntimeError(f"{op}: non-positive groups is not supported (got groups={groups})")
    x, w = input._data, weight._data
    if x.dtype != w.dtype:
        raise RuntimeError(f"{op}: input type ({_dtype_name(x)}) and weight type "
                           f"({_dtype_name(w)}) should be the same")
    if x.dtype.kind not in "fc" and x.dtype.name != "bfloat16":
        raise RuntimeError(f"{op}: expected a floating point input, got {_dtype_name(x)}")
    check_same_device(input, weight, op)
    in_ch = input.shape[-nd - 1]
    shape = [1] + list(input.shape) if input.ndim == nd + 1 else list(input.shape)
    if transposed:
        if in_ch != weight.shape[0]:
            raise RuntimeError(f"{op}: given groups={groups}, weight of size "
                               f"{list(weight.shape)}, expected input{shape} to have "
                               f"{weight.shape[0]} channels, but got {in_ch} channels instead")
        out_ch = weight.shape[1] * groups
        if weight.shape[0] % groups:
            raise RuntimeError(f"{op}: given groups={groups}, expected weight to be divisible by "
                               f"{groups} at dimension 0, but got weight of size "
                               f"{list(weight.shape)}")
    else:
        if weight.shape[0] % groups:
            raise RuntimeError(f"{op}: given groups={groups}, expected weight to be divisible by "
                               f"{groups} at dimension 0, but got weight of size "
                               f"{list(weight.shape)}")
        if in_ch != weight.shape[1] * groups:
            raise RuntimeError(f"{op}: given groups={groups}, weight of size "
                               f"{list(weight.shape)}, expected input{shape} to have "
                               f"{weight.shape[1] * groups} channels, but got {in_ch} channels "
                               "instead")
        out_ch = weight.shape[0]
    if bias is not None:
        if tuple(bias.shape) != (out_ch,):
            raise RuntimeError(f"{op}: expected bias of shape [{out_ch}], got "
                               f"{list(bias.shape)}")
        if bias._data.dtype != x.dtype:
            raise RuntimeError(f"{op}: input type ({_dtype_name(x)}) and bias type "
                               f"({_dtype_name(bias._data)}) should be the same")
        check_same_device(input, bias, op)
    return input.ndim == nd + 1


def _padding(op, padding, nd, ks, stride, dilation):
    """(lo, hi) per spatial dim; 'same' puts the odd extra element after, like PyTorch."""
    if isinstance(padding, str):
        if padding == "valid":
            return [(0, 0)] * nd
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{op}: padding='same' is not supported for strided "
                                 "convolutions")
            total = [d * (k - 1) for k, d in zip(ks, dilation)]
            return [(t // 2, t - t // 2) for t in total]
        raise ValueError(f"{op}: invalid padding string {padding!r}, should be one of "
                         "{'valid', 'same'}")
    pads = as_tuple(padding, nd, "padding", op)
    if any(p < 0 for p in pads):
        raise RuntimeError(f"{op}: negative padding is not supported (got {list(pads)})")
    return [(p, p) for p in pads]


def _convnd(op, nd, input, weight, bias, stride, padding, dilation, groups):
    if _amp.on:
        input, weight, bias = cast_inputs(op, input, weight, bias)
    unbatched = _check(op, nd, input, weight, bias, groups, False)
    if unbatched:
        input = input.unsqueeze(0)
    stride = as_tuple(stride, nd, "stride", op)
    dilation = as_tuple(dilation, nd, "dilation", op)
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"{op}: non-positive stride is not supported (got {list(stride)})")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"{op}: dilation should be greater than zero (got {list(dilation)})")
    ks = tuple(weight.shape[2:])
    pads = _padding(op, padding, nd, ks, stride, dilation)
    big = tuple(input.shape[2:])
    small = tuple(out_size(b, k, s, d, lo, hi) for b, k, s, d, (lo, hi) in
                  zip(big, ks, stride, dilation, pads))
    if any(s <= 0 for s in small):
        padded_in = " x ".join(str(b + lo + hi) for b, (lo, hi) in zip(big, pads))
        eff = " x ".join(str(d * (k - 1) + 1) for k, d in zip(ks, dilation))
        raise RuntimeError(f"{op}: calculated padded input size per channel: ({padded_in}). "
                           f"Kernel size: ({eff}). Kernel size can't be greater than actual "
                           f"input size (input shape {list(input.shape)}, weight shape "
                           f"{list(weight.shape)})")
    geom = tuple((k, s, d, lo, b, n) for k, s, d, (lo, _), b, n in
                 zip(ks, stride, dilation, pads, big, small))
    out = _convolution(input, weight, bias, geom, groups)
    return out.squeeze(0) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution. input (N, C, L) or (C, L), weight (O, C/groups, k), bias (O,)."""
    return _convnd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution. input (N, C, H, W) or (C, H, W), weight (O, C/groups, kh, kw)."""
    return _convnd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution. input (N, C, D, H, W) or (C, D, H, W), weight (O, C/groups, kd, kh, kw)."""
    return _convnd("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def _conv_transposend(op, nd, input, weight, bias, stride, padding, output_padding, groups,
                      dilation):
    if _amp.on:
        input, weight, bias = cast_inputs(op, input, weight, bias)
    unbatched = _check(op, nd, input, weight, bias, groups, True)
    if unbatched:
        input = input.unsqueeze(0)
    stride = as_tuple(stride, nd, "stride", op)
    dilation = as_tuple(dilation, nd, "dilation", op)
    pads = as_tuple(padding, nd, "padding", op)
    out_pads = as_tuple(output_padding, nd, "output_padding", op)
    if any(s <= 0 for s in stride) or any(d <= 0 for d in dilation) or any(p < 0 for p in pads):
        raise RuntimeError(f"{op}: stride and dilation must be positive and padding "
                           f"non-negative (got stride={list(stride)}, padding={list(pads)}, "
                           f"dilation={list(dilation)})")
    for op_, s, d in zip(out_pads, stride, dilation):
        if op_ < 0 or (op_ >= s and op_ >= d):
            raise RuntimeError(f"{op}: output padding must be smaller than either stride or "
                               f"dilation, but got output_padding={list(out_pads)}, "
                               f"stride={list(stride)}, dilation={list(dilation)}")
    ks = tuple(weight.shape[2:])
    small = tuple(input.shape[2:])
    big = tuple((n - 1) * s - 2 * p + d * (k - 1) + q + 1 for n, s, p, d, k, q in
                zip(small, stride, pads, dilation, ks, out_pads))
    if any(b <= 0 for b in big):
        raise RuntimeError(f"{op}: given input size per channel {list(small)}, calculated output "
                           f"size per channel {list(big)} is too small")
    geom = tuple((k, s, d, p, b, n) for k, s, d, p, b, n in
                 zip(ks, stride, dilation, pads, big, small))
    out = _transposed(input, weight, bias, geom, groups)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 1-D convolution. input (N, Cin, L), weight (Cin, Cout/groups, k)."""
    return _conv_transposend("conv_transpose1d", 1, input, weight, bias, stride, padding,
                             output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 2-D convolution. input (N, Cin, H, W), weight (Cin, Cout/groups, kh, kw)."""
    return _conv_transposend("conv_transpose2d", 2, input, weight, bias, stride, padding,
                             output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 3-D convolution. input (N, Cin, D, H, W), weight (Cin, Cout/groups, *k)."""
    return _conv_transposend("conv_transpose3d", 3, input, weight, bias, stride, padding,
                             output_padding, groups, dilation)


__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]
