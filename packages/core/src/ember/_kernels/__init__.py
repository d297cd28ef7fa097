"""Fused CuPy kernels that sit beside the generic ops: an op asks `available(array)` at its top
and, for a CuPy float32/float16 array, runs one kernel where the generic code would launch a
chain of small ones. The submodules import CuPy (through `_device.cupy_module`) only when a
kernel is first built, so CPU code never imports it.

First-order gradients of the fused ops are fused kernels too. Under `create_graph` a fused node
replays the generic op with autograd (`FusedNode`), so higher derivatives stay exact.
"""
import numpy as np

from .._tensor import Tensor
from ..autograd.graph import Node
from ..autograd.grad_mode import state as _grad_state

# Tests switch this off to compare the fused path with the generic one on the same GPU.
enabled = True


def available(arr):
    """True when `arr` is a CuPy float32/float16 array and fused kernels are on."""
    return enabled and type(arr) is not np.ndarray and arr.dtype.char in "fe"


class FusedNode(Node):
    """A node whose backward is `grads(g_array, ctx)` on raw arrays (one array or None per
    input). `generic(*tensors)` recomputes the op without fused kernels, for `create_graph`."""
    __slots__ = ("grads", "generic", "ctx", "label")

    def name(self):
        return self.label

    def release(self):
        super().release()
        self.ctx = None

    def backward(self, g):
        if _grad_state.enabled:
            return self._replay(g)
        arrays = self.grads(g._data, self.ctx)
        return tuple(None if a is None or e is None else Tensor._make(a)
                     for a, e in zip(arrays, self.inputs))

    def _replay(self, g):
        global enabled
        from .. import autograd
        tensors = self.unpack()
        prev, enabled = enabled, False
        try:
            out = self.generic(*tensors)
        finally:
            enabled = prev
        wanted = [i for i, e in enumerate(self.inputs) if e is not None]
        got = autograd.grad(out, [tensors[i] for i in wanted], g, create_graph=True,
                            allow_unused=True)
        result = [None] * len(self.inputs)
        for i, gi in zip(wanted, got):
            result[i] = gi
        return tuple(result)


def record(out, label, inputs, grads, generic, ctx):
    """Wrap the fused op's output; when gradients are needed, attach a `FusedNode` named
    `label` (PyTorch's grad_fn name) over the tensors among `inputs` (Nones are dropped, so
    `grads` returns and `generic` takes one entry per tensor given)."""
    from ..ops._common import attach, requires_grad
    inputs = tuple(t for t in inputs if t is not None)
    node = None
    if requires_grad(*inputs):
        node = FusedNode(None)
        node.label, node.grads, node.generic, node.ctx = label, grads, generic, ctx
        node.save(*inputs)
    return attach(out, node, inputs)
