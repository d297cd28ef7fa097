"""In-place view ops: squeeze_, unsqueeze_, t_, transpose_, swapaxes_, swapdims_, as_strided_.

They change the tensor's own shape and strides (the memory is untouched) and, like PyTorch,
count as in-place ops: the version counter goes up, a leaf that requires grad refuses them, and
a non-leaf's history gains the view op (`x.t_()` leaves `x.grad_fn` a TBackward-like node).
A view keeps its replay (how it is derived from its base) in step, so that a later in-place write
through it still re-bases the base correctly.

Not tracked: views taken from a tensor *before* its own in-place view op still replay against the
old shape; PyTorch forbids most such patterns too.
"""
from .._tensor import Tensor
from .inplace import check_inplace_allowed
from .shape import squeeze, t, transpose, unsqueeze
from .view_scatter import as_strided


def _inplace_view(name, view_op):
    def method(self, *args, **kwargs):
        check_inplace_allowed(self, name)
        alias = Tensor._make(self._data, self.requires_grad, self.grad_fn)
        out = view_op(alias, *args, **kwargs)
        self._data = out._data
        if out.grad_fn is not None:
            self.grad_fn = out.grad_fn
        replay = getattr(self, "_view_fn", None)
        if replay is not None:
            self._view_fn = lambda b: view_op(replay(b), *args, **kwargs)
        self._vc[0] += 1
        return self

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In-place form of `{view_op.__name__}`: changes this tensor's shape."
    return method


__all__ = []
METHODS = {
    "squeeze_": _inplace_view("squeeze_", squeeze),
    "unsqueeze_": _inplace_view("unsqueeze_", unsqueeze),
    "t_": _inplace_view("t_", t),
    "transpose_": _inplace_view("transpose_", transpose),
    "swapaxes_": _inplace_view("swapaxes_", transpose),
    "swapdims_": _inplace_view("swapdims_", transpose),
    "as_strided_": _inplace_view("as_strided_", as_strided),
}
