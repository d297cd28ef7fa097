"""Custom differentiable operations: subclass `Function`, write `forward` and `backward`."""
from .graph import Node, edge
from .grad_mode import state as _grad_state


class FunctionCtx:
    """What `forward` can tell `backward`: saved tensors and which outputs are special."""

    def save_for_backward(self, *tensors):
        self._to_save = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = {id(t) for t in tensors}

    def mark_dirty(self, *tensors):
        self._dirty = {id(t) for t in tensors}

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


class BackwardCFunction(Node, FunctionCtx):
    """The graph node of one `Function.apply` call; it is also the `ctx` both methods see."""

    __slots__ = ("__dict__",)

    def name(self):
        return self._function.__name__ + "Backward"

    @property
    def saved_tensors(self):
        saved = self.unpack()
        return tuple(None if t is None else t for t in saved)

    def backward(self, grad):
        from .._tensor import Tensor
        from ..ops.creation import zeros
        grads = grad.grads if isinstance(grad, _MultiGrad) else [grad]
        if self.materialize_grads:
            grads = [zeros(shape, dtype=dt, device=dev) if g is None else g
                     for g, (shape, dt, dev) in zip(grads, self._output_meta)]
        result = self._function.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) != len(self.inputs):
            if len(result) > len(self.inputs) and all(r is None for r in result[len(self.inputs):]):
                result = result[:len(self.inputs)]
            else:
                raise RuntimeError(f"function {self.name()} returned an incorrect number of "
                                   f"gradients (expected {len(self.inputs)}, got {len(result)})")
        out = []
        for g, e, arg in zip(result, self.inputs, self._args):
            if e is None or g is None:
                out.append(None)
                continue
            if not isinstance(g, Tensor):
                raise TypeError(f"function {self.name()} returned a gradient of type "
                                f"{type(g).__name__}; expected a Tensor or None")
            if g.shape != arg.shape:
                raise RuntimeError(f"function {self.name()} returned an invalid gradient: got "
                                   f"shape {list(g.shape)} but expected shape compatible with "
                                   f"{list(arg.shape)}")
            out.append(g)
        return tuple(out)


class _MultiGrad:
    """Gradients for several outputs of one Function, summed slot by slot by the engine."""

    __slots__ = ("grads",)

    def __init__(self, grads):
        self.grads = grads

    def __add__(self, other):
        return _MultiGrad([b if a is None else a if b is None else a + b
                           for a, b in zip(self.grads, other.grads)])


class _OutputSlot(Node):
    """Grad fn of output `index` of a multi-output Function: routes its gradient to the node."""

    __slots__ = ("index", "count", "parent_name")

    def name(self):
        return self.parent_name

    def backward(self, grad):
        grads = [None] * self.count
        grads[self.index] = grad
        return (_MultiGrad(grads),)


class Function:
    """Subclass with static `forward(ctx, *args)` and `backward(ctx, *grad_outputs)`, then call
    `MyFunction.apply(*args)`."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("Function subclasses must implement forward")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("Function subclasses must implement backward to be "
                                  "differentiated")

    @classmethod
    def apply(cls, *args):
        from .._tensor import Tensor
        ctx = BackwardCFunction(None)
        ctx._function = cls
        ctx.materialize_grads = True
        ctx._to_save = ()
        ctx._non_differentiable = set()
        ctx._dirty = set()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        prev = _grad_state.enabled
        _grad_state.enabled = False
        try:
            outputs = cls.forward(ctx, *args)
        finally:
            _grad_state.enabled = prev
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        record = prev and any(ctx.needs_input_grad)
        if not record:
            return outputs
        ctx.inputs = tuple(edge(a) if isinstance(a, Tensor) else None for a in args)
        ctx._args = args
        ctx.save(*ctx._to_save)
        ctx._output_meta = [(o.shape, o.dtype, o.device) if isinstance(o, Tensor) else None
                            for o in outs]
        wrapped = []
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor) or id(o) in ctx._non_differentiable:
                wrapped.append(o)
                continue
            if single:
                fn = ctx
            else:
                fn = _OutputSlot((ctx,))
                fn.index, fn.count, fn.parent_name = i, len(outs), ctx.name()
            if id(o) in ctx._dirty:
                o._vc[0] += 1
                o.grad_fn, o.requires_grad = fn, True
                wrapped.append(o)
            else:
                wrapped.append(Tensor._make(o._data, True, fn))
        return wrapped[0] if single else tuple(wrapped)
