"""`ember.autograd`: backward, grad, grad modes, custom Functions and gradcheck."""
from .engine import run_backward
from .function import Function, FunctionCtx
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import gradcheck, gradgradcheck
from .graph import Node


def _make_grads(outputs, grad_outputs, op):
    from ..ops.creation import ones_like
    grads = []
    for out, g in zip(outputs, grad_outputs):
        if g is None:
            if out.numel() != 1:
                raise RuntimeError(f"{op}: grad can be implicitly created only for scalar outputs "
                                   f"(got an output of shape {list(out.shape)})")
            if not (out.dtype.is_floating_point or out.dtype.is_complex):
                raise RuntimeError(f"{op}: grad can be implicitly created only for real scalar "
                                   f"outputs but got {out.dtype}")
            g = ones_like(out)
        elif g.shape != out.shape:
            raise RuntimeError(f"{op}: Mismatch in shape: grad_output has a shape of "
                               f"{list(g.shape)} and output has a shape of {list(out.shape)}.")
        grads.append(g)
    return grads


def _as_tuple(x):
    if x is None:
        return None
    from .._tensor import Tensor
    return (x,) if isinstance(x, Tensor) else tuple(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate gradients of `tensors` into the `.grad` of the leaves that produced them."""
    tensors = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors) or (None,) * len(tensors)
    for t in tensors:
        if not t.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                               "grad_fn")
    grads = _make_grads(tensors, grad_tensors, "backward")
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = _as_tuple(inputs)
        results = run_backward(tensors, grads, retain_graph, create_graph, inputs)
        for t, g in zip(inputs, results):
            if g is None:
                continue
            g = g if create_graph else g.detach()
            t.grad = g._own() if t.grad is None and not create_graph else (
                g if t.grad is None else t.grad + g)
        return
    run_backward(tensors, grads, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """Gradients of `outputs` with respect to `inputs`, returned instead of accumulated."""
    outputs = _as_tuple(outputs)
    single = not isinstance(inputs, (list, tuple))
    inputs = _as_tuple(inputs)
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("grad: One of the differentiated Tensors does not require grad")
    grad_outputs = _as_tuple(grad_outputs) or (None,) * len(outputs)
    for t in outputs:
        if not t.requires_grad:
            raise RuntimeError("grad: element 0 of tensors does not require grad and does not "
                               "have a grad_fn")
    grads = _make_grads(outputs, grad_outputs, "grad")
    if retain_graph is None:
        retain_graph = create_graph
    results = run_backward(outputs, grads, retain_graph, create_graph, inputs)
    out = []
    for i, (t, g) in enumerate(zip(inputs, results)):
        if g is None:
            if materialize_grads:
                from ..ops.creation import zeros_like
                g = zeros_like(t)
            elif not allow_unused:
                raise RuntimeError(f"grad: One of the differentiated Tensors (input {i}) appears "
                                   "to not have been used in the graph. Set allow_unused=True if "
                                   "this is the desired behavior.")
        elif not create_graph:
            g = g.detach()
        out.append(g)
    return tuple(out) if not single or len(out) != 1 else (out[0],)


__all__ = ["Function", "FunctionCtx", "Node", "backward", "enable_grad", "grad", "gradcheck",
           "gradgradcheck", "inference_mode", "is_grad_enabled", "no_grad", "set_grad_enabled"]
