"""softmax and log_softmax along one dim: one op (one Node) each, numerically stable.

Like PyTorch, the node keeps the op's *result* (not its input): the backward is a closed form in
the result. The result array is held raw, with the result tensor's version counter so that an
in-place change of the result is caught as in PyTorch; holding the tensor itself would make a
reference cycle. Under `create_graph` the result is re-wrapped as the output of a twin node on the
same input edges, so higher derivatives flow back through the softmax itself.
"""
import numpy as np

from .. import _dtypes, _kernels
from .._device import array_module_of
from .._tensor import Tensor, _dim
from ..amp.autocast_mode import cast_inputs, state as _amp
from ..autograd.graph import Node
from ..autograd.grad_mode import state as _grad_state
from ._common import attach, requires_grad


class _SoftmaxNode(Node):
    __slots__ = ("dim", "out", "out_vc", "out_version", "in_dtype")

    def result(self):
        """The saved result as a tensor: a constant, or (when building a graph of the backward)
        the output of a twin node so that it is differentiable with respect to the input."""
        if self.out_vc[0] != self.out_version:
            raise RuntimeError(
                f"one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{_dtypes.from_numpy_dtype(self.out.dtype).name} "
                f"{list(self.out.shape)}] is at version {self.out_vc[0]}; expected version "
                f"{self.out_version} instead ({self.name()}).")
        if not _grad_state.enabled:
            return Tensor._make(self.out)
        twin = type(self)(self.inputs)
        twin.dim, twin.out, twin.in_dtype = self.dim, self.out, self.in_dtype
        y = Tensor._make(self.out, True, twin)
        twin.out_vc, twin.out_version = y._vc, 0
        return y

    def cast(self, gx):
        if gx._data.dtype != self.in_dtype:  # softmax(x, dtype=...) casts back in backward
            gx = gx.to(_dtypes.from_numpy_dtype(self.in_dtype))
        return (gx,)


class SoftmaxBackward0(_SoftmaxNode):
    __slots__ = ()

    def backward(self, g):
        y = self.result()
        gy = g * y
        return self.cast(gy - y * gy.sum(self.dim, keepdim=True))


class LogSoftmaxBackward0(_SoftmaxNode):
    __slots__ = ()

    def backward(self, g):
        from .unary import exp
        y = self.result()
        return self.cast(g - exp(y) * g.sum(self.dim, keepdim=True))


def _prepare(input, dim, dtype, op):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if dim is None:
        # PyTorch's implicit-dim choice is deprecated and ambiguous; ember requires it.
        raise TypeError(f"{op}(): missing required argument 'dim' (ember does not guess the "
                        "dimension as PyTorch's deprecated implicit-dim form does)")
    arr = input._data
    if dtype is not None:
        arr = arr.astype(_dtypes.as_dtype(dtype).np, copy=False)
    if arr.dtype.kind not in "f" and arr.dtype.name != "bfloat16":
        name = _dtypes.from_numpy_dtype(arr.dtype).name
        raise RuntimeError(f"{op}: not implemented for '{name}' (pass a floating point tensor "
                           "or dtype=)")
    return arr, _dim(dim, arr.ndim, op)


def _compute(input, dim, dtype, op, log):
    if _amp.on and dtype is None:
        input, = cast_inputs(op, input)
    arr, d = _prepare(input, dim, dtype, op)
    if dtype is None and _kernels.available(arr):
        from .._kernels.softmax import softmax as fused
        out = fused(input, d, log)
        if out is not None:
            return out
    xp = array_module_of(arr)
    axis = d if arr.ndim else None
    if arr.size == 0:
        out = arr.copy()
    elif arr.dtype.name in ("bfloat16", "float16"):
        # Low precision is stored, not computed in: go through float32 (PyTorch's accumulation).
        out = _compute_array(xp, arr.astype(np.float32), axis, log).astype(arr.dtype)
    else:
        out = _compute_array(xp, arr, axis, log)
    node = None
    if requires_grad(input):
        node = (LogSoftmaxBackward0 if log else SoftmaxBackward0)(None)
        node.dim, node.out, node.in_dtype = d, out, input._data.dtype
    result = attach(out, node, (input,))
    if node is not None:
        node.out_vc, node.out_version = result._vc, result._vc[0]
    return result


def _compute_array(xp, arr, axis, log):
    with np.errstate(all="ignore"):
        # Shifting by the max keeps exp in range; an infinite max gives NaN, as in PyTorch.
        z = arr - arr.max(axis=axis, keepdims=True)
        e = xp.exp(z)
        s = e.sum(axis=axis, keepdims=True)
        if log:
            return z - xp.log(s)
        e /= s
        return e


def softmax(input, dim=None, dtype=None):
    """`exp(x) / sum(exp(x))` along `dim` (required). `dtype` casts the input first.
    Any shape; the result has the input's shape."""
    return _compute(input, dim, dtype, "softmax", False)


def log_softmax(input, dim=None, dtype=None):
    """`x - logsumexp(x)` along `dim` (required), computed without forming `softmax`."""
    return _compute(input, dim, dtype, "log_softmax", True)


__all__ = ["softmax", "log_softmax"]
METHODS = {"softmax": softmax, "log_softmax": log_softmax}
