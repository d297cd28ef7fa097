"""Graph nodes: each op that records gradient creates one `Node` subclass instance.

A node's `inputs` are its edges, one per differentiable input: the input's own `grad_fn`,
the input tensor itself when it is a leaf that requires grad, or None. `backward(grad)` returns one
gradient (or None) per edge. Backward formulas are written with ember ops, so with
`create_graph=True` they record a graph of their own and higher derivatives come for free.
"""
from .grad_mode import state as _grad_state

_RELEASED = object()


class Node:
    __slots__ = ("inputs", "saved", "versions", "pre_hooks", "hooks", "__weakref__")

    def __init__(self, inputs):
        self.inputs = inputs
        self.saved = ()
        self.versions = ()
        self.pre_hooks = None  # tensor hooks of the output: run on its gradient before backward
        self.hooks = None  # node hooks: fn(grad_inputs, grad_outputs)

    def save(self, *tensors):
        """Keep tensors for backward, remembering their versions to catch in-place changes."""
        self.saved = tensors
        # One or two tensors is the rule; spelt out, that costs no generator per op.
        n = len(tensors)
        if n == 1:
            self.versions = (tensors[0]._vc[0],)
        elif n == 2:
            self.versions = (tensors[0]._vc[0], tensors[1]._vc[0])
        else:
            self.versions = tuple([t._vc[0] for t in tensors])

    def unpack(self):
        """The saved tensors, after checking none was modified in place since saving."""
        saved = self.saved
        if saved is _RELEASED:
            raise RuntimeError(
                f"Trying to backward through the graph a second time ({self.name()}): its saved "
                "tensors were freed after the first backward. Pass retain_graph=True to the "
                "first backward() to keep them.")
        for t, v in zip(saved, self.versions):
            if t._vc[0] != v:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: [{t.dtype.name} {list(t.shape)}] is at version "
                    f"{t._vc[0]}; expected version {v} instead ({self.name()}).")
        return saved

    def release(self):
        if self.saved:
            self.saved = _RELEASED

    def backward(self, grad):
        raise NotImplementedError

    def name(self):
        return type(self).__name__

    # PyTorch-compatible introspection.
    @property
    def next_functions(self):
        from .._tensor import Tensor
        out = []
        for e in self.inputs:
            if isinstance(e, Tensor):
                out.append((AccumulateGrad(e), 0))
            else:
                out.append((e, 0))
        return tuple(out)

    def register_hook(self, fn):
        if self.hooks is None:
            self.hooks = []
        self.hooks.append(fn)
        return _RemovableHandle(self.hooks, fn)

    def register_prehook(self, fn):
        if self.pre_hooks is None:
            self.pre_hooks = []
        self.pre_hooks.append(fn)
        return _RemovableHandle(self.pre_hooks, fn)

    def __repr__(self):
        return f"<{self.name()} object>"


class AccumulateGrad:
    """What `next_functions` shows for a leaf; the engine accumulates into `variable.grad`."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "AccumulateGrad"

    def __repr__(self):
        return "<AccumulateGrad object>"


class _RemovableHandle:
    __slots__ = ("_list", "_fn")

    def __init__(self, hooks, fn):
        self._list, self._fn = hooks, fn

    def remove(self):
        if self._fn in self._list:
            self._list.remove(self._fn)


def edge(t):
    """The edge to record for input tensor `t`."""
    fn = t.grad_fn
    if fn is not None:
        return fn
    return t if t.requires_grad else None


def needs_grad(*tensors):
    """True when grad mode is on and any input requires grad."""
    if not _grad_state.enabled:
        return False
    for t in tensors:
        if t.requires_grad:
            return True
    return False
