"""DataLoader with worker processes: order, sharding, seeding, errors, death, timeout, shutdown.

Every test is bounded (pytest-timeout) and uses tiny datasets; nothing depends on timing except
the timeout test, whose dataset sleeps far longer than the timeout it checks.
"""
import os
import pickle
import random
import time

import numpy as np
import pytest

import ember
from ember.utils.data import DataLoader, Dataset, IterableDataset, get_worker_info

pytestmark = pytest.mark.timeout(60)


class Squares(Dataset):
    """Sample i is i*i; a few samples sleep a little so workers finish out of order."""

    def __init__(self, n, jitter=False):
        self.n, self.jitter = n, jitter

    def __getitem__(self, i):
        if self.jitter and i % 3 == 0:
            time.sleep(0.02)
        return np.array([i * i], np.int64)

    def __len__(self):
        return self.n


class WhoAmI(Dataset):
    """Sample i reports the worker that loaded it and the worker's RNG draws."""

    def __getitem__(self, i):
        info = get_worker_info()
        return {"id": info.id, "num_workers": info.num_workers, "seed": info.seed,
                "pid": os.getpid(), "py": random.random(), "np": float(np.random.rand()),
                "ember": float(ember.rand(1).item()), "same_dataset": info.dataset is self}

    def __len__(self):
        return 8


class Sharded(IterableDataset):
    """0..n-1, each worker taking every num_workers-th item (PyTorch's sharding idiom)."""

    def __init__(self, n, shard=True):
        self.n, self.shard = n, shard

    def __iter__(self):
        info = get_worker_info()
        if info is None or not self.shard:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self):
        return self.n


class Raises(Dataset):
    def __init__(self, exc):
        self.exc = exc

    def __getitem__(self, i):
        if i == 3:
            raise self.exc
        return i

    def __len__(self):
        return 6


class Dies(Dataset):
    def __getitem__(self, i):
        if i == 2:
            os._exit(3)
        return i

    def __len__(self):
        return 6


class Slow(Dataset):
    def __getitem__(self, i):
        time.sleep(3)
        return i

    def __len__(self):
        return 4


class Unpicklable(Dataset):
    def __getitem__(self, i):
        return lambda: i

    def __len__(self):
        return 2


class LocalError(Exception):
    def __init__(self, a, b):
        super().__init__(a, b)


class CountingSampler:
    def __init__(self, n):
        self.n, self.drawn = n, 0

    def __iter__(self):
        for i in range(self.n):
            self.drawn += 1
            yield i

    def __len__(self):
        return self.n


def _flat(batches):
    return [v for b in batches for v in b.reshape(-1).tolist()]


@pytest.mark.parametrize("num_workers,batch_size", [(1, 4), (2, 3), (3, 1)])
def test_results_in_sampler_order(num_workers, batch_size):
    ds = Squares(20, jitter=True)
    out = list(DataLoader(ds, batch_size=batch_size, num_workers=num_workers))
    assert _flat(out) == [i * i for i in range(20)]
    assert len(out) == len(DataLoader(ds, batch_size=batch_size, num_workers=num_workers))


def test_shuffle_with_workers_matches_single_process():
    ds = Squares(16)
    ember.manual_seed(0)
    single = _flat(DataLoader(ds, batch_size=4, shuffle=True))
    ember.manual_seed(0)
    multi = _flat(DataLoader(ds, batch_size=4, shuffle=True, num_workers=2))
    assert multi == single


def test_worker_info_and_seeding():
    ember.manual_seed(1)
    rows = list(DataLoader(WhoAmI(), batch_size=None, num_workers=2))
    assert [r["id"] for r in rows] == [0, 1] * 4  # tasks go round-robin
    assert all(r["num_workers"] == 2 and r["same_dataset"] for r in rows)
    by_worker = {r["id"]: r for r in rows}
    assert by_worker[1]["seed"] == by_worker[0]["seed"] + 1  # base_seed + worker_id
    for key in ("py", "np", "ember"):
        assert by_worker[0][key] != by_worker[1][key]
    ember.manual_seed(1)
    again = list(DataLoader(WhoAmI(), batch_size=None, num_workers=2))
    strip = [{k: v for k, v in r.items() if k != "pid"} for r in rows]
    assert strip == [{k: v for k, v in r.items() if k != "pid"} for r in again]
    assert by_worker[0]["pid"] != by_worker[1]["pid"] != os.getpid()


def test_generator_decides_worker_seeds():
    seeds = [list(DataLoader(WhoAmI(), batch_size=None, num_workers=1,
                             generator=ember.Generator().manual_seed(5)))[0]["seed"]
             for _ in range(2)]
    assert seeds[0] == seeds[1]


def test_worker_init_fn_runs_in_each_worker():
    def init(worker_id):
        random.seed(1000 + worker_id)

    rows = list(DataLoader(WhoAmI(), batch_size=None, num_workers=2, worker_init_fn=init))
    first = {r["id"]: r["py"] for r in rows[:2]}
    assert first == {w: random.Random(1000 + w).random() for w in (0, 1)}


def test_worker_init_fn_error_is_raised():
    def init(worker_id):
        raise ValueError("bad init")

    with pytest.raises(ValueError, match="bad init"):
        list(DataLoader(Squares(4), num_workers=1, worker_init_fn=init))


@pytest.mark.parametrize("num_workers", [1, 2, 3])
def test_iterable_dataset_sharded(num_workers):
    dl = DataLoader(Sharded(10), batch_size=2, num_workers=num_workers)
    assert sorted(_flat(dl)) == list(range(10))


def test_iterable_dataset_without_sharding_repeats_per_worker():
    assert sorted(_flat(DataLoader(Sharded(5, shard=False), batch_size=2, num_workers=2))) == \
        sorted(list(range(5)) * 2)


def test_iterable_dataset_drop_last_per_worker():
    # Each worker drops its own incomplete last batch, as in PyTorch.
    out = list(DataLoader(Sharded(10), batch_size=2, num_workers=2, drop_last=True))
    assert all(len(b) == 2 for b in out) and len(out) == 4


@pytest.mark.parametrize("exc_type", [ValueError, KeyError, IndexError])
def test_worker_exception_keeps_type_and_traceback(exc_type):
    dl = DataLoader(Raises(exc_type("sample three is broken")), num_workers=2)
    with pytest.raises(exc_type) as info:
        list(dl)
    text = str(info.value)
    assert f"Caught {exc_type.__name__} in DataLoader worker process 1." in text
    assert "Original Traceback (most recent call last):" in text
    assert "raise self.exc" in text and "sample three is broken" in text


def test_loading_continues_after_a_worker_exception():
    it = iter(DataLoader(Raises(ValueError("x")), num_workers=2))
    got = [next(it).item() for _ in range(3)]
    with pytest.raises(ValueError):
        next(it)
    assert got + [b.item() for b in it] == [0, 1, 2, 4, 5]


def test_exception_that_cannot_be_rebuilt_becomes_runtime_error():
    with pytest.raises(RuntimeError, match="Caught LocalError in DataLoader worker process 0"):
        list(DataLoader(Raises(LocalError("a", "b")), num_workers=1))


def test_unpicklable_batch_is_an_error_not_a_hang():
    with pytest.raises(Exception, match="in DataLoader worker process 0"):
        list(DataLoader(Unpicklable(), batch_size=None, num_workers=1))


def test_dead_worker_raises_instead_of_hanging():
    dl = DataLoader(Dies(), num_workers=2)
    it = iter(dl)
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited "
                                           r"unexpectedly"):
        list(it)
    assert all(not w.is_alive() for w in it._workers)


def test_timeout():
    it = iter(DataLoader(Slow(), num_workers=1, timeout=0.5))
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.5 seconds"):
        next(it)
    assert time.monotonic() - start < 10
    workers = it._workers
    del it
    assert all(not w.is_alive() for w in workers)


def test_prefetch_factor_bounds_tasks_in_flight():
    sampler = CountingSampler(40)
    it = iter(DataLoader(Squares(40), sampler=sampler, batch_size=1, num_workers=2,
                         prefetch_factor=3))
    next(it)
    assert sampler.drawn == 2 * 3 + 1  # initial prefetch, plus one refill per batch taken
    del it


def test_workers_stop_at_epoch_end_and_when_iterator_is_dropped():
    it = iter(DataLoader(Squares(6), num_workers=2))
    list(it)
    assert all(w.exitcode is not None for w in it._workers)  # joined: no zombies
    it = iter(DataLoader(Squares(100, jitter=True), num_workers=2))
    next(it)
    workers = it._workers
    del it
    assert all(w.exitcode is not None for w in workers)


def test_persistent_workers_reused_across_epochs():
    dl = DataLoader(WhoAmI(), batch_size=None, num_workers=2, persistent_workers=True)
    first = iter(dl)
    pids = {r["pid"] for r in first}
    second = iter(dl)
    assert second is first and {r["pid"] for r in second} == pids
    # An epoch abandoned half-way does not leak its batches into the next one.
    it = iter(dl)
    next(it)
    assert len(list(iter(dl))) == 8
    workers = first._workers
    del dl, first, second, it
    import gc
    gc.collect()
    assert all(w.exitcode is not None for w in workers)


def test_persistent_workers_with_iterable_dataset():
    dl = DataLoader(Sharded(7), batch_size=2, num_workers=2, persistent_workers=True)
    for _ in range(3):
        assert sorted(_flat(dl)) == list(range(7))


def test_spawn_context():
    dl = DataLoader(list(range(6)), batch_size=2, num_workers=1,
                    multiprocessing_context="spawn")
    assert [b.tolist() for b in dl] == [[0, 1], [2, 3], [4, 5]]


def test_tensors_cross_process_intact():
    data = [ember.tensor(np.arange(3.0) + i) for i in range(4)]
    out = list(DataLoader(data, batch_size=2, num_workers=2))
    assert out[1].tolist() == [[2.0, 3.0, 4.0], [3.0, 4.0, 5.0]]
    assert out[0].dtype == ember.float64
    assert pickle.loads(pickle.dumps(out[0])).tolist() == out[0].tolist()


class InfoProbe(Dataset):
    def __getitem__(self, i):
        info = get_worker_info()
        try:
            info.id = 5
        except RuntimeError as e:
            return repr(info).startswith("WorkerInfo(id=0, num_workers=1") and \
                "Cannot assign attributes to WorkerInfo objects" in str(e)
        return False

    def __len__(self):
        return 1


def test_worker_info_is_read_only():
    assert list(DataLoader(InfoProbe(), batch_size=None, num_workers=1)) == [True]
    assert get_worker_info() is None
