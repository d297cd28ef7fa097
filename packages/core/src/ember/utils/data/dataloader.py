"""`DataLoader`: batches from a dataset, in the main process or in worker processes."""
import itertools
import math
import multiprocessing
import queue
import time

from . import _worker
from ._fetch import create_fetcher
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler, _InfiniteConstantSampler

# How long the main process waits on the result queue before checking its workers are alive.
_STATUS_CHECK_INTERVAL = 0.2
# How long a worker gets to exit by itself at shutdown before it is terminated.
_JOIN_TIMEOUT = 5.0

_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
           "persistent_workers")


class DataLoader:
    """Iterate over `dataset` in batches: PyTorch's DataLoader, with the same arguments and
    errors. `num_workers > 0` loads in worker processes (results arrive in sampler order);
    `pin_memory` is accepted and does nothing on CPU."""

    _initialized = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; "
                             "use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context

        self._is_iterable = isinstance(dataset, IterableDataset)
        if self._is_iterable:
            # An iterable dataset decides its own order, so no sampler may be given.
            if shuffle not in (False, None):
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            if self._is_iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._iterator = None
        self._initialized = True

    @property
    def multiprocessing_context(self):
        return self._multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context):
        if context is not None:
            if self.num_workers == 0:
                raise ValueError("multiprocessing_context can only be used with multi-process "
                                 "loading (num_workers > 0), but got "
                                 f"num_workers={self.num_workers}")
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError("multiprocessing_context option should specify a valid "
                                     f"start method in {methods!r}, but got "
                                     f"multiprocessing_context={context!r}")
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError("multiprocessing_context option should be a valid context "
                                "object or a string specifying the start method, but got "
                                f"multiprocessing_context={context}")
        self._multiprocessing_context = context

    def __setattr__(self, attr, val):
        if self._initialized and attr in _FROZEN:
            raise ValueError(f"{attr} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if not self.persistent_workers:
            return _MultiProcessIter(self)
        if self._iterator is None:
            self._iterator = _MultiProcessIter(self)
        else:
            self._iterator._reset()
        return self._iterator

    def __len__(self):
        if self._is_iterable:
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
            return n
        return len(self._index_sampler)


def _base_seed(generator):
    """One draw from `generator` (ember's global one by default), as PyTorch draws it."""
    from ..._dtypes import int64
    from ...ops.creation import empty
    return int(empty((), dtype=int64).random_(generator=generator).item())


class _BaseIter:
    def __init__(self, loader):
        self._loader = loader
        self._sampler_iter = iter(loader._index_sampler)
        # Drawn even without workers, as PyTorch does, so that a seed gives the same shuffle
        # order whatever num_workers is.
        self._base_seed = _base_seed(loader.generator)
        self._num_yielded = 0

    def __iter__(self):
        return self

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        return data

    def __len__(self):
        return len(self._loader)

    def _next_index(self):
        return next(self._sampler_iter)


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._fetcher = create_fetcher(loader._is_iterable, loader.dataset,
                                       loader._auto_collation, loader.collate_fn,
                                       loader.drop_last)

    def _next_data(self):
        return self._fetcher.fetch(self._next_index())


class _MultiProcessIter(_BaseIter):
    """Workers get tasks round-robin, at most `prefetch_factor` outstanding each; results are
    buffered until their turn so batches come out in sampler order."""

    def __init__(self, loader):
        super().__init__(loader)
        n = loader.num_workers
        ctx = loader.multiprocessing_context or multiprocessing.get_context()
        self._num_workers = n
        self._prefetch_factor = loader.prefetch_factor
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        self._shutdown = False
        self._result_queue = _worker.ResultQueue(ctx)
        self._done_event = ctx.Event()
        self._index_queues, self._workers = [], []
        for worker_id in range(n):
            index_queue = ctx.Queue()
            index_queue.cancel_join_thread()  # never block our exit on tasks nobody will take
            w = ctx.Process(target=_worker.worker_loop, daemon=True, args=(
                loader._is_iterable, loader.dataset, index_queue, self._result_queue,
                self._done_event, loader._auto_collation, loader.collate_fn, loader.drop_last,
                self._base_seed, loader.worker_init_fn, worker_id, n))
            w.start()
            self._index_queues.append(index_queue)
            self._workers.append(w)
        self._start_epoch()

    def _start_epoch(self):
        self._send_idx = 0  # next task id to hand out
        self._rcvd_idx = 0  # next task id to yield
        self._task_info = {}  # task id -> [worker id] or [worker id, result]
        self._active = [True] * self._num_workers  # False once a worker's iterable ran out
        self._next_worker = itertools.cycle(range(self._num_workers))
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _reset(self):
        """A new epoch on the same (persistent) workers."""
        self._sampler_iter = iter(self._loader._index_sampler)
        self._num_yielded = 0
        for q in self._index_queues:
            q.put(_worker._ResumeIteration())
        # Workers answer in order, so once every one has echoed the resume, whatever the last
        # epoch left in flight has been received (and is dropped here).
        resumed = 0
        while resumed < self._num_workers:
            task_id, _ = self._get_result()
            resumed += isinstance(task_id, _worker._ResumeIteration)
        self._start_epoch()

    def _try_put_index(self):
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._next_worker)
            if self._active[worker_id]:
                break
        else:
            return  # every worker's iterable has ended
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = [worker_id]
        self._send_idx += 1

    def _next_data(self):
        while True:
            # Skip tasks that went to workers whose iterable has ended: they will not answer.
            while self._rcvd_idx < self._send_idx:
                info = self._task_info[self._rcvd_idx]
                if len(info) == 2 or self._active[info[0]]:
                    break
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            info = self._task_info[self._rcvd_idx]
            if len(info) == 2:
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
                return self._process(info[1])
            task_id, data = self._get_result()
            if isinstance(data, _worker._IterationEnd):
                # This task and any later ones of that worker are skipped at the loop's top;
                # another worker takes over the freed prefetch slot.
                self._active[data.worker_id] = False
                self._try_put_index()
                continue
            if task_id != self._rcvd_idx:
                self._task_info[task_id].append(data)
                continue
            del self._task_info[task_id]
            self._rcvd_idx += 1
            return self._process(data)

    def _process(self, data):
        self._try_put_index()
        if isinstance(data, _worker.ExceptionWrapper):
            data.reraise()
        return data

    def _get_result(self):
        """The next `(task_id, data)` from any worker, watching for dead workers and timeout."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = _STATUS_CHECK_INTERVAL
            if deadline is not None:
                wait = max(0.0, min(wait, deadline - time.monotonic()))
            try:
                return self._result_queue.get(timeout=wait)
            except queue.Empty:
                pass
            dead = [w for w in self._workers if not w.is_alive()]  # they only exit when told
            if dead:
                pids = ", ".join(str(w.pid) for w in dead)
                codes = ", ".join(str(w.exitcode) for w in dead)
                self._shutdown_workers()
                raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly "
                                   f"(exit code(s) {codes})")
            if deadline is not None and time.monotonic() >= deadline:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def _shutdown_workers(self):
        if self._shutdown:
            return
        self._shutdown = True
        self._done_event.set()
        for q in self._index_queues:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass  # the queue is already closed
        for w in self._workers:
            w.join(timeout=_JOIN_TIMEOUT)
            if w.is_alive():  # stuck inside user code: it gets no more patience
                w.terminate()
                w.join()
        for q in self._index_queues:
            q.close()
        self._result_queue.cancel_join_thread()
        self._result_queue.close()

    def __del__(self):
        if getattr(self, "_workers", None) is not None:
            self._shutdown_workers()
