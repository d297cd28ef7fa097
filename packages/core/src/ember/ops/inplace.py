"""In-place ops (`add_`, `x[i] = v`, ...): compute out of place, write back, re-base the graph.

Writing through a view changes its base too. Like PyTorch's CopySlices, the base's history is
re-based: its new value is "old base with the view's region replaced by the result", and the view's
history is re-derived from that by replaying the view op (`view_of(..., replay)` records how).
"""
import weakref

import numpy as np

from .. import _dtypes
from .._tensor import Tensor
from ..autograd.graph import Node, edge
from ..autograd.grad_mode import state as _grad_state


def view_of(input, array, node, replay):
    """Wrap `array`, a view into `input`'s memory, as a view tensor sharing its version counter.

    `replay(t)` must re-derive this view from `t` with ember ops; for a view of a view the replays
    are chained, so the final one maps the root base to this view.
    """
    out = input._view_of(array, node)
    if input._base is None:
        out._view_fn = replay
    else:
        parent = getattr(input, "_view_fn", None)
        if parent is None:  # a view of a detached view is not tracked, as in PyTorch
            return out
        out._view_fn = lambda b: replay(parent(b))
    _register_view(out._base, out)
    return out


# Live views of a base, so that an in-place write through one view (or into the base) can give
# the others the base's new history: PyTorch regenerates a stale view's grad_fn the same way.
# A leaf that requires grad needs none (writing into it or its views with grad on is an error,
# and writes under no_grad leave its history alone), nor does anything outside grad mode.
def _register_view(base, view):
    if not _grad_state.enabled or (base.requires_grad and base.grad_fn is None):
        return
    views = base.__dict__.get("_live_views")
    if views is None:
        views = base._live_views = []
    views.append(weakref.ref(view))
    if len(views) >= 2 * base.__dict__.get("_live_views_pruned", 16):
        # Drop dead entries whenever the list doubles: amortised O(1) per view.
        views[:] = [r for r in views if r() is not None]
        base._live_views_pruned = max(len(views), 16)


def _regenerate_views(base, written=None):
    """Give `written` (the view just written through, if any, tracked or not) and every other
    live view of `base` a history derived from `base`'s current one by replaying its view ops."""
    if base.grad_fn is None:
        return
    views = [] if written is None else [written]
    views += [v for v in (r() for r in base.__dict__.get("_live_views", ()))
              if v is not None and v is not written]
    if not views:
        return
    probe = Tensor._make(base._data, True, base.grad_fn)
    for view in views:
        view.grad_fn = view._view_fn(probe).grad_fn
        view.requires_grad = True


def _tracked_base(t):
    """The base whose history in-place writes into `t` must re-base, or None."""
    if t._base is None:
        return None
    return t._base if getattr(t, "_view_fn", None) is not None else None


def check_inplace_allowed(self, op):
    if not _grad_state.enabled:
        return
    if self.requires_grad and self.grad_fn is None:
        raise RuntimeError(f"{op}: a leaf Variable that requires grad is being used in an "
                           "in-place operation.")
    base = _tracked_base(self)
    if base is not None and base.requires_grad and base.grad_fn is None:
        raise RuntimeError(f"{op}: a view of a leaf Variable that requires grad is being used in "
                           f"an in-place operation (view shape {list(self.shape)}, base shape "
                           f"{list(base.shape)}).")


def check_writable(self, op):
    flags = self._data.flags
    if not getattr(flags, "writeable", True):
        raise RuntimeError(f"{op}: unsupported operation: the tensor of shape {list(self.shape)} "
                           "is read-only (an expanded tensor, where more than one element refers "
                           "to a single memory location, or a read-only array). Please clone() "
                           "the tensor before performing the operation.")


def apply_inplace(self, result, op):
    """Write `result` (an out-of-place result tensor) into `self` and take over its graph."""
    check_inplace_allowed(self, op)
    data = result._data
    if data.dtype != self._data.dtype:
        src = _dtypes.from_numpy_dtype(data.dtype)
        dst = _dtypes.from_numpy_dtype(self._data.dtype)
        if src.category > dst.category:
            raise RuntimeError(f"{op}: result type {src.name} can't be cast to the desired "
                               f"output type {dst.name}")
        data = data.astype(dst.np)
    if data.shape != self._data.shape:
        raise RuntimeError(f"{op}: output with shape {list(self._data.shape)} doesn't match the "
                           f"broadcast shape {list(data.shape)}")
    check_writable(self, op)
    if isinstance(self._data, np.ndarray):
        np.copyto(self._data, data)
    else:
        self._data[...] = data
    self._vc[0] += 1
    commit_history(self, result)
    return self


def commit_history(self, result):
    """After `self`'s data was overwritten in place, make `result`'s graph `self`'s history."""
    if not _grad_state.enabled:
        return
    base = _tracked_base(self)
    if base is not None and (result.grad_fn is not None or base.requires_grad):
        _rebase(self, base, result)
    elif result.grad_fn is not None:
        self.grad_fn = result.grad_fn
        self.requires_grad = True
        if self._base is None:
            _regenerate_views(self)


class CopySlices(Node):
    """The base after an in-place write into one of its views: old base outside the view's
    region, the in-place result inside it."""
    __slots__ = ("replay", "result_dtype")

    def backward(self, g):
        g_base = g_result = None
        if self.inputs[0] is not None:
            g_base = g.clone()
            self.replay(g_base).fill_(0)
        if self.inputs[1] is not None:
            g_result = self.replay(g)
            if g_result._data.dtype != self.result_dtype:
                g_result = g_result.to(_dtypes.from_numpy_dtype(self.result_dtype))
        return g_base, g_result


def _rebase(view, base, result):
    node = CopySlices((edge(base), edge(result)))
    node.replay = view._view_fn
    node.result_dtype = result._data.dtype
    base.grad_fn = node
    base.requires_grad = True
    # The written view's history (and every other live view's) now starts from the new base.
    _regenerate_views(base, written=view)


def make_inplace(fn, name):
    """`x.op_(...)` from the out-of-place `fn`."""
    def method(self, *args, **kwargs):
        if not _grad_state.enabled:
            return apply_inplace(self, fn(self, *args, **kwargs), name)
        # The op's backward may need the values about to be overwritten (sin_ reads its old
        # input): compute on an alias, and if the graph saved it, keep a copy as PyTorch does.
        alias = Tensor._make(self._data, self.requires_grad, self.grad_fn)
        result = fn(alias, *args, **kwargs)
        node = result.grad_fn
        if node is not None and any(t is alias for t in node.saved):
            alias._data = alias._data.copy()
        return apply_inplace(self, result, name)
    method.__name__ = name
    method.__doc__ = f"In-place form of `{fn.__name__}`."
    return method
