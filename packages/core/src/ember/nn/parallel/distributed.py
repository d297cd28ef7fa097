"""`DistributedDataParallel`: one model replica per process, gradients averaged across ranks.

At construction the parameters and buffers of rank 0 are copied to every rank. Gradients are
packed into buckets (about `bucket_cap_mb` each, in reverse parameter order: roughly the order
backward produces them). A post-accumulate-grad hook on each parameter copies its gradient into
its bucket; a full bucket starts an asynchronous all-reduce right away, in bucket order on every
rank, so communication overlaps with the rest of backward. When the last bucket is started the
hook waits for all of them and writes the averages back into `.grad`.
"""
import contextlib

from ... import distributed as dist
from ..._tensor import Tensor
from ...autograd import is_grad_enabled, no_grad
from ...autograd.graph import Node
from ..modules.module import Module


class _Bucket:
    __slots__ = ("params", "offsets", "flat", "used", "pending")

    def __init__(self, params):
        from ..._device import array_module_of
        self.params, self.offsets, total = params, [], 0
        for p in params:
            self.offsets.append(total)
            total += p.numel()
        xp = array_module_of(params[0]._data)
        self.flat = xp.zeros(total, dtype=params[0]._data.dtype)
        self.used = xp.zeros(len(params), dtype=xp.int32)  # ranks that used each parameter
        self.pending = 0

    def view(self, i):
        p, start = self.params[i], self.offsets[i]
        return self.flat[start:start + p.numel()].reshape(tuple(p.shape))


def _output_tensors(output):
    if isinstance(output, Tensor):
        yield output
    elif isinstance(output, (list, tuple)):
        for o in output:
            yield from _output_tensors(o)
    elif isinstance(output, dict):
        for o in output.values():
            yield from _output_tensors(o)


def _reachable_leaves(output):
    """ids of the leaf tensors the autograd graph of `output` reaches."""
    seen, leaves = set(), set()
    stack = [t.grad_fn if t.grad_fn is not None else t for t in _output_tensors(output)
             if t.requires_grad]
    while stack:
        e = stack.pop()
        if isinstance(e, Node):
            if e in seen:
                continue
            seen.add(e)
            stack.extend(x for x in e.inputs if x is not None)
        else:
            leaves.add(id(e))
    return leaves


class DistributedDataParallel(Module):
    """Wrap `module` for data-parallel training; call `ember.distributed.init_process_group`
    first. Each rank feeds its own share of the batch; after `loss.backward()` every rank holds
    the gradient of the mean over all ranks' batches."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=True, process_group=None, bucket_cap_mb=None,
                 find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False):
        super().__init__()
        if not dist.is_initialized():
            raise RuntimeError("DistributedDataParallel: the default process group has not "
                               "been initialized; call ember.distributed.init_process_group")
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't "
                               "have any parameter that requires a gradient.")
        self.module = module
        self.device_ids, self.output_device, self.dim = device_ids, output_device, dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.require_backward_grad_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 2 ** 20)
        self._names = {id(p): n for n, p in module.named_parameters()}
        with no_grad():
            for t in list(module.parameters()) + list(module.buffers()):
                dist.broadcast(t, 0)
        self._buckets, self._where = self._build_buckets(params), {}
        for b, bucket in enumerate(self._buckets):
            for i, p in enumerate(bucket.params):
                self._where[id(p)] = (b, i)
                p.register_post_accumulate_grad_hook(self._grad_ready)
        self._active, self._started, self._works, self._marked = False, 0, [], 0

    def _build_buckets(self, params):
        """Reverse parameter order, split where the dtype or device changes or the cap is
        reached."""
        buckets, current, size = [], [], 0
        for p in reversed(params):
            nbytes = p.numel() * p.element_size()
            if current and (p.dtype != current[0].dtype or p.device != current[0].device or
                            size + nbytes > self.bucket_bytes_cap):
                buckets.append(_Bucket(current))
                current, size = [], 0
            current.append(p)
            size += nbytes
        buckets.append(_Bucket(current))
        return buckets

    @contextlib.contextmanager
    def no_sync(self):
        """Backward passes inside accumulate gradients locally, without communication; the
        first backward after it averages the accumulated gradients."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def forward(self, *inputs, **kwargs):
        if self._active and self._marked:
            self._raise_unfinished()
        if self.broadcast_buffers:
            with no_grad():
                for buffer in self.module.buffers():
                    dist.broadcast(buffer, 0)
        output = self.module(*inputs, **kwargs)
        self._active = is_grad_enabled() and self.require_backward_grad_sync
        if self._active:
            self._prepare(output)
        return output

    def _raise_unfinished(self):
        missing = [name for key, name in self._names.items() if key in self._where and
                   key not in self._ready]
        raise RuntimeError(
            f"DistributedDataParallel (rank {dist.get_rank()}): Expected to have finished "
            "reduction in the prior iteration before starting a new one. These parameters "
            f"received no gradient: {missing}. Pass find_unused_parameters=True if some "
            "parameters do not take part in computing the loss.")

    def _prepare(self, output):
        self._started, self._works, self._marked, self._ready = 0, [], 0, set()
        for bucket in self._buckets:
            bucket.pending = len(bucket.params)
            bucket.used[...] = 0
        if self.find_unused_parameters:
            reached = _reachable_leaves(output)
            for b, bucket in enumerate(self._buckets):
                for i, p in enumerate(bucket.params):
                    if id(p) not in reached:
                        self._mark(b, i, used=False)
            self._launch_ready()

    def _grad_ready(self, param):
        if not self._active:
            return
        b, i = self._where[id(param)]
        if id(param) in self._ready:
            return
        self._mark(b, i, used=True)
        self._launch_ready()

    def _mark(self, b, i, used):
        bucket = self._buckets[b]
        p = bucket.params[i]
        view = bucket.view(i)
        if p.grad is None:
            view[...] = 0
        else:
            view[...] = p.grad._data
        bucket.used[i] = 1 if used else 0
        bucket.pending -= 1
        self._ready.add(id(p))
        self._marked += 1

    def _launch_ready(self):
        """Start the all-reduces of full buckets, strictly in bucket order (every rank must
        issue the same collectives in the same order)."""
        buckets = self._buckets
        while self._started < len(buckets) and buckets[self._started].pending == 0:
            bucket = buckets[self._started]
            self._works.append(dist.all_reduce(Tensor._make(bucket.flat), async_op=True))
            if self.find_unused_parameters:
                self._works.append(dist.all_reduce(Tensor._make(bucket.used), async_op=True))
            self._started += 1
        if self._started == len(buckets):
            self._finalize()

    def _finalize(self):
        for work in self._works:
            work.wait()
        world = dist.get_world_size()
        for bucket in self._buckets:
            bucket.flat /= world
            for i, p in enumerate(bucket.params):
                if self.find_unused_parameters and not bucket.used[i] and p.grad is None:
                    continue  # unused on every rank: no gradient, as on one process
                view = bucket.view(i)
                if self.gradient_as_bucket_view:
                    p.grad = Tensor._make(view)
                elif p.grad is None:
                    p.grad = Tensor._make(view.copy())
                else:
                    p.grad._data[...] = view
                    p.grad._vc[0] += 1
        self._active, self._works = False, []
