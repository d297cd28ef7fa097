"""Affine layers' math: `linear` (one fused op with its own node) and `bilinear`."""
import math

from ..._onednn.gemm import matmul as _gemm
from ...amp.autocast_mode import cast_inputs, state as _amp
from ...autograd.graph import Node
from ...ops._common import attach, check_same_device, requires_grad


def _dtype_name(arr):
    return {"float32": "float", "float64": "double", "float16": "c10::Half"}.get(
        arr.dtype.name, arr.dtype.name)


class AddmmBackward0(Node):
    # PyTorch names the node of a linear layer with bias AddmmBackward0 (MmBackward0 without);
    # one class serves both since the bias edge is simply absent.
    __slots__ = ("in_shape", "has_bias")

    def name(self):
        return "AddmmBackward0" if self.has_bias else "MmBackward0"

    def backward(self, g):
        from ...ops.linalg_ops import mm
        x, w = self.unpack()
        out_features, in_features = w.shape
        gx = gw = gb = None
        # Leading dims folded into rows, as in forward: every product is one 2-D GEMM.
        rows = math.prod(self.in_shape[:-1])
        g2 = g.reshape(rows, out_features)
        if self.inputs[0] is not None:
            gx = mm(g2, w).reshape(self.in_shape)  # (N, out) @ (out, in)
        if self.inputs[1] is not None:
            gw = mm(g2.t(), x.reshape(rows, in_features))  # (out, N) @ (N, in)
        if self.has_bias and self.inputs[2] is not None:
            gb = g2.sum(0)
        return (gx, gw, gb) if self.has_bias else (gx, gw)


def linear(input, weight, bias=None):
    """`input @ weight.T + bias`. input (..., in_features), weight (out_features, in_features),
    bias (out_features,) or None; returns (..., out_features)."""
    if _amp.on:
        input, weight, bias = cast_inputs("linear", input, weight, bias)
    x, w = input._data, weight._data
    if w.ndim != 2:
        raise RuntimeError(f"linear: weight must be 2-D (out_features, in_features), got shape "
                           f"{list(w.shape)}")
    if x.ndim == 0 or x.shape[-1] != w.shape[1]:
        rows = 1 if x.ndim <= 1 else x.size // max(x.shape[-1], 1)
        cols = x.shape[-1] if x.ndim else 1
        raise RuntimeError(f"linear: mat1 and mat2 shapes cannot be multiplied ({rows}x{cols} "
                           f"and {w.shape[1]}x{w.shape[0]})")
    if x.dtype != w.dtype:
        raise RuntimeError(f"linear: expected m1 and m2 to have the same dtype, but got: "
                           f"{_dtype_name(x)} != {_dtype_name(w)}")
    check_same_device(input, weight, "linear")
    if bias is not None and tuple(bias.shape) != (w.shape[0],):
        from ...ops.arithmetic import add
        return add(linear(input, weight), bias)  # a broadcast bias takes the generic path
    # One GEMM over all rows: NumPy multiplies an (..., in) operand as one small GEMM per
    # leading index (2-4x slower for a (16, 128, 256) input). Reshaping copies only when the
    # leading dims cannot be merged in place, and that copy is far cheaper than the GEMM.
    lead = x.shape[:-1]
    out = _gemm(x.reshape(math.prod(lead), w.shape[1]), w.T).reshape(lead + (w.shape[0],))
    if bias is not None:
        b = bias._data
        if b.dtype != x.dtype:
            raise RuntimeError(f"linear: expected bias to have dtype {_dtype_name(x)}, but got "
                               f"{_dtype_name(b)}")
        check_same_device(input, bias, "linear")
        out += b  # `out` is a fresh array: adding in place saves one allocation
    if out.dtype != x.dtype:
        out = out.astype(x.dtype)  # NumPy multiplies bfloat16 in float32
    tensors = (input, weight) if bias is None else (input, weight, bias)
    node = None
    if requires_grad(*tensors):
        node = AddmmBackward0(None)
        node.has_bias = bias is not None
        node.in_shape = x.shape
        node.save(input, weight)
    return attach(out, node, tensors)


def bilinear(input1, input2, weight, bias=None):
    """`y[..., o] = sum_ij input1[..., i] * weight[o, i, j] * input2[..., j] + bias[o]`.
    input1 (..., in1), input2 (..., in2), weight (out, in1, in2), bias (out,)."""
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be three-dimensional, got {weight.ndim} "
                           "dimensions")
    if input1.ndim != input2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.ndim} and "
                           f"{input2.ndim}")
    for i in range(input1.ndim - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: "
                               f"got {input1.shape[i]} and {input2.shape[i]}")
    out_f, in1, in2 = weight.shape
    if input1.shape[-1] != in1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.shape[-1]} but expected {in1}")
    if input2.shape[-1] != in2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.shape[-1]} but expected {in2}")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != out_f):
        got = bias.shape[-1] if bias.ndim else 1
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {got} but "
                           f"expected {out_f}")
    lead = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, 1, in2)
    # One GEMM gives x1·W[o] for every o at once: (N, in1) x (in1, out*in2), then a reduction.
    w = weight.permute(0, 2, 1).reshape(out_f * in2, in1)
    t = linear(x1, w).reshape(-1, out_f, in2)
    y = (t * x2).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(lead + (out_f,))


__all__ = ["linear", "bilinear"]
