"""The backward pass: walk the graph from the outputs in dependency order, summing gradients."""
from .graph import Node
from .grad_mode import state as _grad_state


def _dependencies(roots):
    """How many edges point at each node reachable from `roots`."""
    deps = {}
    stack = [r for r in roots if r is not None]
    for r in stack:
        deps.setdefault(r, 0)
    seen = set(map(id, stack))
    while stack:
        node = stack.pop()
        for e in node.inputs:
            if isinstance(e, Node):
                deps[e] = deps.get(e, 0) + 1
                if id(e) not in seen:
                    seen.add(id(e))
                    stack.append(e)
    return deps


def _accumulate_leaf(leaf, grad, create_graph):
    if leaf._hooks:
        for hook in leaf._hooks:
            out = hook(grad)
            if out is not None:
                grad = out
    if leaf.grad is None:
        # A fresh tensor so later in-place accumulation never writes into a graph value.
        leaf.grad = grad if create_graph else grad.detach()._own()
    elif create_graph:
        leaf.grad = leaf.grad + grad
    else:
        leaf.grad._data += grad._data
    if leaf._post_accumulate_hooks:
        for hook in leaf._post_accumulate_hooks:
            hook(leaf)


def run_backward(outputs, grad_outputs, retain_graph=False, create_graph=False, inputs=None):
    """Back-propagate `grad_outputs` from `outputs`.

    With `inputs` (the `autograd.grad` form) gradients are returned for those tensors and
    nothing is accumulated into `.grad`; otherwise leaves accumulate into `.grad`.
    """
    from .._tensor import Tensor

    capture = None
    if inputs is not None:
        capture = {}  # id(node or leaf) -> position in inputs
        for i, t in enumerate(inputs):
            key = t.grad_fn if t.grad_fn is not None else t
            capture.setdefault(id(key), []).append(i)
        results = [None] * len(inputs)

    buffers = {}
    leaf_grads = []
    root_nodes = []
    for out, g in zip(outputs, grad_outputs):
        fn = out.grad_fn
        if fn is None:
            if not out.requires_grad:
                raise RuntimeError("element 0 of tensors does not require grad and does not "
                                   "have a grad_fn")
            leaf_grads.append((out, g))
            continue
        buffers[fn] = buffers[fn] + g if fn in buffers else g
        root_nodes.append(fn)

    deps = _dependencies(root_nodes)
    prev_mode = _grad_state.enabled
    _grad_state.enabled = create_graph
    try:
        for leaf, g in leaf_grads:
            _deliver_leaf(leaf, g, capture, results if capture is not None else None, create_graph)
        ready = [n for n in dict.fromkeys(root_nodes) if deps[n] == 0]
        while ready:
            node = ready.pop()
            grad = buffers.pop(node, None)
            if grad is None:  # reached, but no gradient flows here: just release the edges
                for e in node.inputs:
                    if isinstance(e, Node):
                        deps[e] -= 1
                        if deps[e] == 0:
                            ready.append(e)
                continue
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
                if isinstance(e, Tensor):
                    if g is not None:
                        _deliver_leaf(e, g, capture, results if capture is not None else None,
                                      create_graph)
                    continue
                if g is not None:
                    buffers[e] = buffers[e] + g if e in buffers else g
                deps[e] -= 1
                if deps[e] == 0:
                    ready.append(e)
    finally:
        _grad_state.enabled = prev_mode
    return results if capture is not None else None


def _deliver_leaf(leaf, grad, capture, results, create_graph):
    if capture is None:
        _accumulate_leaf(leaf, grad, create_graph)
        return
    for i in capture.get(id(leaf), ()):
        results[i] = grad if results[i] is None else results[i] + grad
