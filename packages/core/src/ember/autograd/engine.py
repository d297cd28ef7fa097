"""The backward pass: walk the graph from the outputs in dependency order, summing gradients.

Leaves are counted like nodes (PyTorch's AccumulateGrad): a leaf reached by several edges gets
their gradients summed first, then its hooks run once and `.grad` is accumulated once.

This loop runs once per node of every backward, so it is written for the interpreter: one record
per node or leaf holding its pending-edge count and gradient sum (one dict lookup per edge),
locals instead of attribute lookups, and no helper calls on the per-edge path.
"""
import sys
import threading
from itertools import repeat

from .grad_mode import enable_grad, state as _grad_state
from .graph import Node


def run_backward(outputs, grad_outputs, retain_graph=False, create_graph=False, inputs=None):
    """Back-propagate `grad_outputs` from `outputs`.

    With `inputs` (the `autograd.grad` form) gradients are returned for those tensors and
    nothing is accumulated into `.grad`; otherwise leaves accumulate into `.grad`.
    """
    capture = results = None
    if inputs is not None:
        capture = {}  # id(node or leaf) -> positions in inputs
        for i, t in enumerate(inputs):
            key = t.grad_fn if t.grad_fn is not None else t
            capture.setdefault(id(key), []).append(i)
        results = [None] * len(inputs)

    root_grads = {}
    root_leaves = []
    for out, g in zip(outputs, grad_outputs):
        fn = out.grad_fn
        if fn is None:
            if not out.requires_grad:
                raise RuntimeError("element 0 of tensors does not require grad and does not "
                                   "have a grad_fn")
            root_leaves.append((out, g))
            continue
        root_grads[fn] = root_grads[fn] + g if fn in root_grads else g

    nodes, leaves = _dependencies(root_grads)
    prev_mode = _grad_state.enabled
    _grad_state.enabled = create_graph
    try:
        for leaf, g in root_leaves:
            rec = leaves.get(id(leaf))
            if rec is None:
                rec = leaves[id(leaf)] = [0, None, False]
            _sum_leaf(rec, g, create_graph)
            if rec[0] == 0:  # no edge reaches it: deliver now, the loop never will
                _deliver(leaf, rec, capture, results, create_graph)
        ready = [n for n in root_grads if nodes[n][0] == 0]
        pop, push = ready.pop, ready.append
        while ready:
            node = pop()
            rec = nodes[node]
            grad = rec[1]
            rec[1] = None
            if grad is None:  # reached, but no gradient flows here: just release the edges
                grads = repeat(None)
            else:
                if node.pre_hooks:
                    for hook in node.pre_hooks:
                        out = hook(grad)
                        if out is not None:
                            grad = out
                if capture is not None and id(node) in capture:
                    for i in capture[id(node)]:
                        results[i] = grad
                grads = node.backward(grad)
                if node.hooks:
                    for hook in node.hooks:
                        hook(grads, (grad,))
                if not retain_graph:
                    node.release()
            for e, g in zip(node.inputs, grads):
                if e is None:
                    continue
                if isinstance(e, Node):
                    rec = nodes[e]
                    if g is not None:
                        s = rec[1]
                        rec[1] = g if s is None else s + g
                    n = rec[0] - 1
                    rec[0] = n
                    if n == 0:
                        push(e)
                    continue
                rec = leaves[id(e)]
                if g is not None and (capture is None or id(e) in capture):
                    if create_graph or rec[1] is None or not rec[2]:
                        _sum_leaf(rec, g, create_graph)
                    else:  # the common repeat: add into the sum this pass already owns
                        rec[1]._data += g._data
                n = rec[0] - 1
                rec[0] = n
                if n == 0 and rec[1] is not None:
                    _deliver(e, rec, capture, results, create_graph)
    finally:
        _grad_state.enabled = prev_mode
    return results


def _dependencies(root_grads):
    """Records for every node and leaf reachable from the roots: [pending edges, gradient sum]
    for nodes (keyed by node), [pending edges, gradient sum, sum is ours] for leaves (keyed by
    id: a tensor's own hash is a Python method)."""
    nodes = {n: [0, g] for n, g in root_grads.items()}
    leaves = {}
    stack = list(nodes)
    while stack:
        for e in stack.pop().inputs:
            if e is None:
                continue
            if isinstance(e, Node):
                rec = nodes.get(e)
                if rec is None:
                    nodes[e] = [1, None]
                    stack.append(e)
                else:
                    rec[0] += 1
            else:
                rec = leaves.get(id(e))
                if rec is None:
                    leaves[id(e)] = [1, None, False]
                else:
                    rec[0] += 1
    return nodes, leaves


def _sum_leaf(rec, g, create_graph):
    """Add `g` to a leaf's gradient sum. Without create_graph the second gradient starts a fresh
    array of the engine's own, which later ones are added into in place (the first may be a
    tensor that other edges also received)."""
    s = rec[1]
    if s is None:
        rec[1] = g
    elif create_graph:
        rec[1] = s + g
    elif rec[2]:
        s._data += g._data
    else:
        total = s._data.copy()
        total += g._data  # in place keeps the leaf's dtype, as accumulating into .grad does
        from .._tensor import Tensor
        rec[1] = Tensor._make(total)
        rec[2] = True


def _deliver(leaf, rec, capture, results, create_graph):
    from .._tensor import Tensor
    grad, owned = rec[1], rec[2]
    rec[1] = None
    if capture is not None:
        for i in capture.get(id(leaf), ()):
            results[i] = grad
        return
    if leaf._hooks:
        for hook in leaf._hooks:
            out = hook(grad)
            if out is not None:
                grad, owned = out, False
    if leaf.grad is None:
        if create_graph or owned or _unshared(grad, leaf):
            leaf.grad = grad
        else:
            # A tensor of its own, so later in-place accumulation never writes into a value
            # the graph, another leaf or a caller holds (pass-through backward formulas such as
            # addition hand the same array to several edges).
            leaf.grad = Tensor._make(grad._data.copy())
    elif create_graph:
        leaf.grad = leaf.grad + grad
    else:
        leaf.grad._data += grad._data
    if leaf._post_accumulate_hooks:
        for hook in leaf._post_accumulate_hooks:
            hook(leaf)


# (tensor, array) reference counts `_unshared` sees for a gradient that nothing but the engine's
# own locals holds, measured by `_calibrate` on first use rather than assumed: they depend on
# this loop's code and the interpreter.
_sole_refs = None
# The thread measuring them: only its own calibration backward may record the counts.
_calibrating = None
_calibration_lock = threading.Lock()


def _unshared(grad, leaf):
    """Whether `grad` is a fresh result that no other tensor, view, node, leaf or caller refers
    to, so it can become `leaf.grad` as it is instead of as a copy (PyTorch's AccumulateGrad
    steals such a gradient the same way, by reference count). A view (of scratch memory, say),
    another dtype, shape or a non-contiguous layout is always copied."""
    global _sole_refs
    arr = grad._data
    if (arr.base is not None or arr.dtype != leaf._data.dtype or arr.shape != leaf._data.shape
            or not arr.flags.c_contiguous):
        return False
    refs = (sys.getrefcount(grad), sys.getrefcount(arr))
    if _calibrating == threading.get_ident():
        _sole_refs = refs
        return False
    if _sole_refs is None:
        _calibrate()
    return refs[0] <= _sole_refs[0] and refs[1] <= _sole_refs[1]


def _calibrate():
    """Measure `_sole_refs` on a backward whose leaf gradient is known to be held by nothing
    else: `x * 2` hands its leaf a fresh product, through the same loop as any other graph.
    One thread measures; others arriving meanwhile wait for its result."""
    global _calibrating
    import numpy

    from .._tensor import Tensor
    with _calibration_lock:
        if _sole_refs is not None:
            return
        x = Tensor._make(numpy.ones(2, numpy.float32), requires_grad=True)
        _calibrating = threading.get_ident()
        try:
            with enable_grad():
                (x * 2.0).sum().backward()
        finally:
            _calibrating = None
