"""Hook plumbing for `Module`: removable handles and the full backward hook machinery."""
import itertools

from ...autograd.function import Function
from ..._tensor import Tensor


class RemovableHandle:
    """Returned by every `register_*_hook`: `remove()` (or leaving a `with` block) unregisters
    the hook from each dict it was put in."""

    _ids = itertools.count()

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dicts = [hooks_dict]
        self.id = next(RemovableHandle._ids)
        if extra_dict is not None:
            self.hooks_dicts += extra_dict if isinstance(extra_dict, list) else [extra_dict]

    def remove(self):
        for d in self.hooks_dicts:
            if isinstance(d, dict):
                d.pop(self.id, None)
            else:
                d.discard(self.id)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def add_hook(hooks, hook, prepend, extra=None):
    """Insert `hook` into the ordered dict `hooks` (first when `prepend`); return its handle."""
    handle = RemovableHandle(hooks, extra_dict=extra)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


class _Identity(Function):
    """Passes tensors through unchanged; its backward hands their gradients to `callback`,
    which may replace them. Wrapping a module's inputs and outputs with it is how gradients
    with respect to a whole module are observed."""

    @staticmethod
    def forward(ctx, callback, *tensors):
        ctx.callback = callback
        return tuple(t.detach() for t in tensors)

    @staticmethod
    def backward(ctx, *grads):
        return (None,) + tuple(ctx.callback(grads))


class BackwardHook:
    """`register_full_backward_hook`/`_pre_hook` for one forward call of `module`."""

    def __init__(self, module, hooks, pre_hooks):
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.grad_outputs = None
        self.n_inputs = 0

    def _wrap(self, values, callback):
        """`values` with every tensor that requires grad routed through one `_Identity`."""
        single = isinstance(values, Tensor)
        items = (values,) if single else values
        if not isinstance(items, tuple):
            return values, 0
        idx = [i for i, v in enumerate(items) if isinstance(v, Tensor) and v.requires_grad]
        if not idx:
            return values, 0
        outs = _Identity.apply(callback, *(items[i] for i in idx))
        outs = outs if isinstance(outs, tuple) else (outs,)
        items = list(items)
        for i, o in zip(idx, outs):
            items[i] = o
        return (items[0] if single else tuple(items)), len(idx)

    def setup_input_hook(self, args):
        args, self.n_inputs = self._wrap(args, self._on_grad_inputs)
        return args

    def setup_output_hook(self, result):
        return self._wrap(result, self._on_grad_outputs)[0]

    def _on_grad_outputs(self, grads):
        for hook in self.pre_hooks:
            out = hook(self.module, grads)
            if out is not None:
                grads = tuple(out) if isinstance(out, (tuple, list)) else (out,)
        self.grad_outputs = grads
        if self.n_inputs == 0:  # no input needs a gradient: the hooks run now, with None
            self._run_hooks((None,))
        return grads

    def _on_grad_inputs(self, grads):
        return self._run_hooks(grads)

    def _run_hooks(self, grad_inputs):
        for hook in self.hooks:
            out = hook(self.module, grad_inputs, self.grad_outputs)
            if out is not None:
                out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
                if len(out) != len(grad_inputs):
                    raise RuntimeError(f"Backward hook returned an invalid number of grad_input, "
                                       f"got {len(out)}, but expected {len(grad_inputs)}")
                grad_inputs = out
        return grad_inputs
