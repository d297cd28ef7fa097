"""Shape ops that return views where NumPy allows: reshape/view, expand (more beside them)."""
from ..autograd.graph import Node
from ._common import requires_grad


def _size_args(shape, op):
    if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _infer_shape(shape, numel, op, src_shape):
    shape = list(shape)
    if shape.count(-1) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"{op}: shape '{shape}' is invalid for input of size {numel}")
        shape[shape.index(-1)] = numel // known
    elif known != numel:
        raise RuntimeError(f"{op}: shape '{shape}' is invalid for input of size {numel} "
                           f"(input shape {list(src_shape)})")
    return tuple(shape)


class ViewBackward0(Node):
    __slots__ = ("shape",)

    def backward(self, g):
        return (g.reshape(self.shape),)


def reshape(input, *shape):
    """The same elements in a new shape: a view when the layout allows, else a copy."""
    arr = input._data
    shape = _infer_shape(_size_args(shape, "reshape"), arr.size, "reshape", arr.shape)
    out = arr.reshape(shape)
    node = None
    if requires_grad(input):
        node = ViewBackward0((input.grad_fn or input,))
        node.shape = arr.shape
    return input._view_of(out, node)


def view(input, *shape):
    """Like reshape, but always a view; non-contiguous inputs that would need a copy fail."""
    if len(shape) == 1 and not isinstance(shape[0], (list, tuple, int)):
        from .conversion import to
        return to(input, shape[0])  # view(dtype) is not supported beyond a cast
    arr = input._data
    new_shape = _infer_shape(_size_args(shape, "view"), arr.size, "view", arr.shape)
    try:
        out = arr.view()
        out.shape = new_shape  # assigning .shape never copies: it raises instead
    except AttributeError:
        raise RuntimeError(f"view size is not compatible with input tensor's size and stride "
                           f"(shape {list(arr.shape)} -> {list(new_shape)}): at least one "
                           "dimension spans across two contiguous subspaces. Use .reshape(...) "
                           "instead.") from None
    node = None
    if requires_grad(input):
        node = ViewBackward0((input.grad_fn or input,))
        node.shape = arr.shape
    return input._view_of(out, node)


class ExpandBackward0(Node):
    __slots__ = ("shape",)

    def backward(self, g):
        from ._common import sum_to_shape
        return (sum_to_shape(g, self.shape),)


def expand(input, *sizes):
    """Broadcast to a larger shape without copying; -1 keeps a dimension."""
    arr = input._data
    sizes = _size_args(sizes, "expand")
    if len(sizes) < arr.ndim:
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater "
                           f"or equal to the number of dimensions in the tensor ({arr.ndim})")
    lead = len(sizes) - arr.ndim
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s == -1:
                raise RuntimeError(f"expand: -1 is not allowed in a leading, non-existing "
                                   f"dimension {i}")
            target.append(s)
            continue
        cur = arr.shape[i - lead]
        if s == -1:
            s = cur
        elif cur != 1 and s != cur:
            raise RuntimeError(f"expand: the expanded size of the tensor ({s}) must match the "
                               f"existing size ({cur}) at non-singleton dimension {i}. Target "
                               f"sizes: {list(sizes)}. Tensor sizes: {list(arr.shape)}")
        target.append(s)
    target = tuple(target)
    if target == arr.shape:
        out = arr.view()
    else:
        xp = _xp(arr)
        out = xp.broadcast_to(arr, target)
    node = None
    if requires_grad(input):
        node = ExpandBackward0((input.grad_fn or input,))
        node.shape = arr.shape
    return input._view_of(out, node)


def expand_as(input, other):
    return expand(input, other.shape)


def _xp(arr):
    from .._device import array_module_of
    return array_module_of(arr)


__all__ = ["reshape"]
METHODS = {"reshape": reshape, "view": view, "expand": expand, "expand_as": expand_as}
