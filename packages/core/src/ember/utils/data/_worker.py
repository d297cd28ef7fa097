"""What runs inside a DataLoader worker process, and what it sends back.

Protocol: the main process puts `(task_id, index)` on a worker's own index queue (`None` means
exit, a `_ResumeIteration` starts a new epoch for persistent workers). The worker answers on
the shared `ResultQueue` with `(task_id, batch)`, where the batch may instead be an
`ExceptionWrapper` (the dataset raised) or an `_IterationEnd` (its iterable ran out). Tensors
travel as pickled NumPy arrays (`Tensor.__reduce_ex__`).
"""
import multiprocessing.queues
import os
import pickle
import queue
import random
import sys
import traceback
from dataclasses import dataclass

import numpy as np

from ._fetch import create_fetcher

# How often a worker waiting for work checks for shutdown and for a dead parent. The shutdown
# event matters when the loader is garbage-collected: the index queues' feeder threads may be
# finalised before the loader's own cleanup runs, so its "exit" message can be lost.
_POLL_INTERVAL = 0.1


class WorkerInfo:
    """What `get_worker_info()` returns inside a worker: `id`, `num_workers`, `seed`, `dataset`
    (this worker's copy). Read-only."""

    __slots__ = ("id", "num_workers", "seed", "dataset")

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            object.__setattr__(self, k, v)

    def __setattr__(self, key, val):
        raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")

    def __repr__(self):
        return (f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, "
                f"dataset={self.dataset!r})")


_worker_info = None


def get_worker_info():
    """This process's `WorkerInfo` inside a DataLoader worker; None in the main process."""
    return _worker_info


class ExceptionWrapper:
    """An exception caught in a worker, carried as its type and formatted traceback so the
    main process re-raises the same type with the original traceback in the message."""

    def __init__(self, where):
        exc_type, exc, _ = sys.exc_info()
        self.exc_type = exc_type if _picklable(exc_type) else RuntimeError
        self.where = where
        self.text = "".join(traceback.format_exception(*sys.exc_info()))

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.text}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)  # KeyError would repr() the message, mangling newlines
        try:
            exception = self.exc_type(msg)
        except Exception:  # the type wants other constructor arguments
            raise RuntimeError(msg) from None
        raise exception


class _KeyErrorMessage(str):
    def __repr__(self):
        return self


def _picklable(obj):
    try:
        pickle.dumps(obj)
        return True
    except Exception:
        return False


class ResultQueue(multiprocessing.queues.Queue):
    """The workers' answer queue. Pickling happens in the queue's feeder thread after `put` has
    returned, so a batch that cannot be pickled would be lost and the main process would wait
    for it forever; instead the task is answered with the pickling error."""

    def __init__(self, ctx):
        super().__init__(ctx=ctx)

    def _on_queue_feeder_error(self, e, obj):
        task_id, _ = obj
        worker = "" if _worker_info is None else f" {_worker_info.id}"
        self.put((task_id, ExceptionWrapper(f"in DataLoader worker process{worker}")))


@dataclass(frozen=True)
class _ResumeIteration:
    """Sent to persistent workers at the start of each epoch after the first; echoed back."""


@dataclass(frozen=True)
class _IterationEnd:
    """A worker's iterable dataset is exhausted for this epoch."""
    worker_id: int


def seed_worker(base_seed, worker_id):
    """Seed Python's, NumPy's and ember's global RNGs for this worker (PyTorch's rule: ember and
    Python get base_seed + worker_id; NumPy gets a SeedSequence mix of both, since its legacy
    seed takes only 32 bits and neighbouring seeds would give correlated streams)."""
    from ... import random as _random
    seed = base_seed + worker_id
    random.seed(seed)
    _random.manual_seed(seed)
    np.random.seed(np.random.SeedSequence([worker_id, base_seed]).generate_state(4))
    return seed


def worker_loop(is_iterable, dataset, index_queue, result_queue, done_event, auto_collation,
                collate_fn, drop_last, base_seed, init_fn, worker_id, num_workers):
    """The body of one worker process (module level, so every start method can pickle it)."""
    global _worker_info
    parent = os.getppid()
    where = f"in DataLoader worker process {worker_id}"
    try:
        seed = seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        init_error, fetcher = None, None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = create_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_error = ExceptionWrapper(where)  # reported with the first task
        ended = False
        while True:
            try:
                task = index_queue.get(timeout=_POLL_INTERVAL)
            except queue.Empty:
                if done_event.is_set() or os.getppid() != parent:
                    break
                continue
            if task is None:
                break
            if isinstance(task, _ResumeIteration):
                ended = False
                try:
                    fetcher = create_fetcher(is_iterable, dataset, auto_collation, collate_fn,
                                             drop_last)
                except Exception:
                    init_error = ExceptionWrapper(where)
                result_queue.put((task, None))
                continue
            if done_event.is_set() or ended:
                continue  # shutting down, or nothing left to give this epoch
            task_id, index = task
            if init_error is not None:
                data, init_error = init_error, None
            else:
                try:
                    data = fetcher.fetch(index)
                except Exception as e:
                    if is_iterable and isinstance(e, StopIteration):
                        data, ended = _IterationEnd(worker_id), True
                    else:
                        data = ExceptionWrapper(where)
            result_queue.put((task_id, data))
            del data, task
    except KeyboardInterrupt:
        pass  # the main process sees the interrupt too and shuts us down
    if done_event.is_set():
        # Results nobody will read must not keep this process alive flushing a full pipe.
        result_queue.cancel_join_thread()
        result_queue.close()

