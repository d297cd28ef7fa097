"""Collectives on tensors (PyTorch's `torch.distributed` functions), in place like PyTorch.

Each function checks its tensors, hands their arrays to the group's backend, and bumps the
version counter of every tensor it writes (autograd then catches a graph that saved it).
A non-contiguous tensor goes through a contiguous copy that is written back afterwards.
"""
from .backends import Work
from .process_group import _backend, get_rank, get_world_size


class ReduceOp:
    """How `all_reduce`/`reduce_scatter` combine the ranks' values."""
    SUM, AVG, PRODUCT, MAX, MIN = "sum", "avg", "product", "max", "min"


_OPS = ("sum", "avg", "product", "max", "min")


def _check_tensor(op, t, name="tensor"):
    from .._tensor import Tensor
    if not isinstance(t, Tensor):
        raise TypeError(f"ember.distributed.{op}: {name} must be a Tensor, got "
                        f"{type(t).__name__}")


def _check_op(op_name, op):
    if op not in _OPS:
        raise ValueError(f"ember.distributed.{op_name}: op must be a ReduceOp (SUM, AVG, "
                         f"PRODUCT, MAX, MIN), got {op!r}")
    if op == "avg":
        return "sum"
    return op


def _check_rank(op, rank, name):
    size = get_world_size()
    if rank is not None and not 0 <= rank < size:
        raise ValueError(f"ember.distributed.{op}: {name}={rank} is not a rank of this group "
                         f"(world size {size})")


def _contiguous(t):
    """(array to hand to the backend, function that writes it back into t)."""
    arr = t._data
    if arr.flags.c_contiguous:
        return arr, lambda: None
    buf = arr.copy()

    def write_back():
        arr[...] = buf
    return buf, write_back


def _written(*tensors):
    for t in tensors:
        t._vc[0] += 1


def _finish(work, async_op):
    if async_op:
        return work
    work.wait()
    return None


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine `tensor` across ranks in place; every rank gets the result."""
    _check_tensor("all_reduce", tensor)
    backend, reduction = _backend("all_reduce"), _check_op("all_reduce", op)
    if op == "avg" and not tensor.dtype.is_floating_point:
        raise RuntimeError(f"ember.distributed.all_reduce: ReduceOp.AVG needs a floating-point "
                           f"tensor, got {tensor.dtype}")
    arr, write_back = _contiguous(tensor)

    def then():
        if op == "avg":
            arr[...] = arr / backend.world_size
        write_back()
        _written(tensor)
    started = backend.all_reduce(arr, reduction, async_op=async_op)
    return _finish(Work(wait=started.wait, then=then), async_op)


def broadcast(tensor, src, group=None, async_op=False):
    """Copy rank `src`'s tensor into every rank's `tensor`."""
    _check_tensor("broadcast", tensor)
    _check_rank("broadcast", src, "src")
    arr, write_back = _contiguous(tensor)
    _backend("broadcast").broadcast(arr, src)
    write_back()
    _written(tensor)
    return _finish(Work(), async_op)


def _stacked_like(tensor, n):
    from .._device import array_module_of
    return array_module_of(tensor._data).empty((n,) + tuple(tensor.shape), dtype=tensor._data.dtype)


def _check_same(op, tensor, others, name):
    for i, t in enumerate(others):
        _check_tensor(op, t, f"{name}[{i}]")
        if tuple(t.shape) != tuple(tensor.shape) or t.dtype != tensor.dtype:
            raise ValueError(f"ember.distributed.{op}: {name}[{i}] has shape "
                             f"{tuple(t.shape)} and dtype {t.dtype}; expected "
                             f"{tuple(tensor.shape)} and {tensor.dtype}")


def _check_count(op, items, name):
    if len(items) != get_world_size():
        raise ValueError(f"ember.distributed.{op}: {name} must hold one tensor per rank "
                         f"({get_world_size()}), got {len(items)}")


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """`tensor_list[r]` receives rank r's `tensor`."""
    _check_tensor("all_gather", tensor)
    _check_count("all_gather", tensor_list, "tensor_list")
    _check_same("all_gather", tensor, tensor_list, "tensor_list")
    out = _stacked_like(tensor, len(tensor_list))
    _backend("all_gather").all_gather(out, _contiguous(tensor)[0])
    for t, part in zip(tensor_list, out):
        t._data[...] = part
    _written(*tensor_list)
    return _finish(Work(), async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Rank r's `input_tensor` lands in rows [r*n, (r+1)*n) of `output_tensor` (dim 0)."""
    _check_tensor("all_gather_into_tensor", output_tensor, "output_tensor")
    _check_tensor("all_gather_into_tensor", input_tensor, "input_tensor")
    world = get_world_size()
    if output_tensor.numel() != input_tensor.numel() * world:
        raise ValueError(f"ember.distributed.all_gather_into_tensor: output_tensor has "
                         f"{output_tensor.numel()} elements; expected world size {world} x "
                         f"{input_tensor.numel()}")
    out, write_back = _contiguous(output_tensor)
    _backend("all_gather_into_tensor").all_gather(
        out.reshape((world,) + tuple(input_tensor.shape)), _contiguous(input_tensor)[0])
    write_back()
    _written(output_tensor)
    return _finish(Work(), async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Rank r receives the reduction over ranks of their `input_list[r]`."""
    _check_tensor("reduce_scatter", output, "output")
    _check_count("reduce_scatter", input_list, "input_list")
    _check_same("reduce_scatter", output, input_list, "input_list")
    from .._device import array_module_of
    stacked = array_module_of(output._data).stack([t._data for t in input_list])
    return _reduce_scatter("reduce_scatter", output, stacked, op, async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Like reduce_scatter with `input` split into world-size equal chunks along dim 0."""
    _check_tensor("reduce_scatter_tensor", output, "output")
    _check_tensor("reduce_scatter_tensor", input, "input")
    world = get_world_size()
    if input.numel() != output.numel() * world:
        raise ValueError(f"ember.distributed.reduce_scatter_tensor: input has {input.numel()} "
                         f"elements; expected world size {world} x {output.numel()}")
    stacked = _contiguous(input)[0].reshape((world,) + tuple(output.shape))
    return _reduce_scatter("reduce_scatter_tensor", output, stacked, op, async_op)


def _reduce_scatter(name, output, stacked, op, async_op):
    backend, reduction = _backend(name), _check_op(name, op)
    out, write_back = _contiguous(output)
    backend.reduce_scatter(out, stacked, reduction)
    if op == "avg":
        out[...] = out / backend.world_size
    write_back()
    _written(output)
    return _finish(Work(), async_op)


def gather(tensor, gather_list=None, dst=0, group=None, async_op=False):
    """Rank `dst` receives every rank's `tensor` in `gather_list` (None on the others)."""
    _check_tensor("gather", tensor)
    _check_rank("gather", dst, "dst")
    out = None
    if get_rank() == dst:
        if gather_list is None:
            raise ValueError("ember.distributed.gather: the destination rank needs gather_list")
        _check_count("gather", gather_list, "gather_list")
        _check_same("gather", tensor, gather_list, "gather_list")
        out = _stacked_like(tensor, len(gather_list))
    _backend("gather").gather(out, _contiguous(tensor)[0], dst)
    if out is not None:
        for t, part in zip(gather_list, out):
            t._data[...] = part
        _written(*gather_list)
    return _finish(Work(), async_op)


def scatter(tensor, scatter_list=None, src=0, group=None, async_op=False):
    """Rank r receives `scatter_list[r]` of rank `src` in `tensor`."""
    _check_tensor("scatter", tensor)
    _check_rank("scatter", src, "src")
    stacked = None
    if get_rank() == src:
        if scatter_list is None:
            raise ValueError("ember.distributed.scatter: the source rank needs scatter_list")
        _check_count("scatter", scatter_list, "scatter_list")
        _check_same("scatter", tensor, scatter_list, "scatter_list")
        from .._device import array_module_of
        stacked = array_module_of(tensor._data).stack([t._data for t in scatter_list])
    out, write_back = _contiguous(tensor)
    _backend("scatter").scatter(out, stacked, src)
    write_back()
    _written(tensor)
    return _finish(Work(), async_op)


def send(tensor, dst, group=None, tag=0):
    _check_tensor("send", tensor)
    _check_rank("send", dst, "dst")
    _backend("send").send(_contiguous(tensor)[0], dst, tag)


def recv(tensor, src=None, group=None, tag=0):
    """Receive into `tensor` from `src` (any rank when None, where the backend allows);
    returns the sender's rank."""
    _check_tensor("recv", tensor)
    _check_rank("recv", src, "src")
    arr, write_back = _contiguous(tensor)
    source = _backend("recv").recv(arr, src, tag)
    write_back()
    _written(tensor)
    return source


def isend(tensor, dst, group=None, tag=0):
    _check_tensor("isend", tensor)
    _check_rank("isend", dst, "dst")
    return _backend("isend").isend(_contiguous(tensor)[0].copy(), dst, tag)


def irecv(tensor, src=None, group=None, tag=0):
    _check_tensor("irecv", tensor)
    _check_rank("irecv", src, "src")
    arr, write_back = _contiguous(tensor)
    started = _backend("irecv").irecv(arr, src, tag)

    def then():
        write_back()
        _written(tensor)
    return Work(wait=started.wait, then=then)


def all_gather_object(object_list, obj, group=None):
    """`object_list[r]` becomes rank r's picklable `obj`."""
    _check_count("all_gather_object", object_list, "object_list")
    object_list[:] = _backend("all_gather_object").all_gather_object(obj)


def broadcast_object_list(object_list, src=0, group=None, device=None):
    """Replace `object_list`'s items with those of rank `src`."""
    _check_rank("broadcast_object_list", src, "src")
    given = list(object_list) if get_rank() == src else None
    object_list[:] = _backend("broadcast_object_list").broadcast_object(given, src)
