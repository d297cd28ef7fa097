"""DataLoader in the main process: batching, shuffling, iterable datasets, argument checks."""
import numpy as np
import pytest

import ember
from ember.utils.data import (BatchSampler, DataLoader, Dataset, IterableDataset,
                              SequentialSampler, TensorDataset, get_worker_info)


class Pairs(Dataset):
    """Sample i is (float32 vector [i, i], int label i % 3)."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return np.full(2, i, np.float32), i % 3

    def __len__(self):
        return self.n


class Batched(Pairs):
    """A dataset that serves whole batches through __getitems__."""
    calls = 0

    def __getitems__(self, indices):
        Batched.calls += 1
        return [self[i] for i in indices]


class Count(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_batches_and_len():
    dl = DataLoader(Pairs(10), batch_size=4)
    batches = list(dl)
    assert len(dl) == len(batches) == 3
    x, y = batches[0]
    assert x.shape == (4, 2) and x.dtype == ember.float32 and y.dtype == ember.int64
    assert y.tolist() == [0, 1, 2, 0] and batches[-1][1].tolist() == [2, 0]
    assert len(DataLoader(Pairs(10), batch_size=4, drop_last=True)) == 2
    assert len(list(DataLoader(Pairs(10), batch_size=4, drop_last=True))) == 2


def test_tensor_dataset_round_trip():
    x = ember.tensor(np.arange(20.0).reshape(10, 2))
    y = ember.tensor(np.arange(10))
    xs, ys = zip(*DataLoader(TensorDataset(x, y), batch_size=3))
    assert [b.shape[0] for b in xs] == [3, 3, 3, 1]
    assert sum((b.tolist() for b in ys), []) == list(range(10))


def test_batch_size_none_converts_single_samples():
    out = list(DataLoader(Pairs(3), batch_size=None))
    assert len(out) == 3
    x, y = out[2]
    assert isinstance(x, ember.Tensor) and x.shape == (2,) and y == 2


def test_shuffle_reproducible_with_manual_seed_and_generator():
    def order(**kw):
        return sum((y.tolist() for y in DataLoader(list(range(12)), batch_size=5, **kw)), [])
    ember.manual_seed(0)
    a = order(shuffle=True)
    ember.manual_seed(0)
    assert order(shuffle=True) == a and sorted(a) == list(range(12)) and a != list(range(12))
    g1, g2 = ember.Generator().manual_seed(7), ember.Generator().manual_seed(7)
    assert order(shuffle=True, generator=g1) == order(shuffle=True, generator=g2)


def test_custom_sampler_batch_sampler_and_collate():
    dl = DataLoader(list(range(6)), sampler=[5, 4, 3], batch_size=2)
    assert [b.tolist() for b in dl] == [[5, 4], [3]]
    dl = DataLoader(list(range(6)), batch_sampler=[[0, 5], [2]])
    assert [b.tolist() for b in dl] == [[0, 5], [2]] and len(dl) == 2
    dl = DataLoader(list(range(4)), batch_size=2, collate_fn=lambda b: tuple(b))
    assert list(dl) == [(0, 1), (2, 3)]


def test_getitems_fetches_whole_batches():
    Batched.calls = 0
    assert len(list(DataLoader(Batched(9), batch_size=3))) == 3
    assert Batched.calls == 3


def test_iterable_dataset():
    dl = DataLoader(Count(7), batch_size=3)
    assert [b.tolist() for b in dl] == [[0, 1, 2], [3, 4, 5], [6]] and len(dl) == 3
    dl = DataLoader(Count(7), batch_size=3, drop_last=True)
    assert [b.tolist() for b in dl] == [[0, 1, 2], [3, 4, 5]] and len(dl) == 2
    assert list(DataLoader(Count(3), batch_size=None)) == [0, 1, 2]
    assert get_worker_info() is None


def test_pin_memory_is_accepted():
    assert [b.tolist() for b in DataLoader([1, 2], batch_size=2, pin_memory=True)] == [[1, 2]]


def test_attributes_frozen_after_init():
    dl = DataLoader(Pairs(4))
    for attr in ("batch_size", "sampler", "dataset", "drop_last"):
        with pytest.raises(ValueError, match=f"{attr} attribute should not be set after "
                                             "DataLoader is initialized"):
            setattr(dl, attr, None)
    assert isinstance(dl.batch_sampler, BatchSampler)
    assert isinstance(dl.sampler, SequentialSampler)


@pytest.mark.parametrize("kwargs,msg", [
    ({"num_workers": -1}, "num_workers option should be non-negative"),
    ({"timeout": -1}, "timeout option should be non-negative"),
    ({"prefetch_factor": 2}, "prefetch_factor option could only be specified in "
                             "multiprocessing"),
    ({"num_workers": 1, "prefetch_factor": -1}, "prefetch_factor option should be "
                                                "non-negative"),
    ({"persistent_workers": True}, "persistent_workers option needs num_workers > 0"),
    ({"sampler": [0], "shuffle": True}, "sampler option is mutually exclusive with shuffle"),
    ({"batch_sampler": [[0]], "batch_size": 2}, "batch_sampler option is mutually exclusive "
                                                "with batch_size, shuffle, sampler, and "
                                                "drop_last"),
    ({"batch_sampler": [[0]], "drop_last": True}, "batch_sampler option is mutually exclusive"),
    ({"batch_sampler": [[0]], "shuffle": True}, "batch_sampler option is mutually exclusive"),
    ({"batch_size": None, "drop_last": True}, "batch_size=None option disables auto-batching "
                                              "and is mutually exclusive with drop_last"),
    ({"multiprocessing_context": "fork"}, "multiprocessing_context can only be used with "
                                          "multi-process loading"),
    ({"num_workers": 1, "multiprocessing_context": "nope"}, "should specify a valid start "
                                                            "method"),
])
def test_argument_errors(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        DataLoader(Pairs(4), **kwargs)


def test_multiprocessing_context_type_error():
    with pytest.raises(TypeError, match="should be a valid context object"):
        DataLoader(Pairs(4), num_workers=1, multiprocessing_context=3)


@pytest.mark.parametrize("kwargs,msg", [
    ({"shuffle": True}, "expected unspecified shuffle option, but got shuffle=True"),
    ({"sampler": [0]}, "expected unspecified sampler option"),
    ({"batch_sampler": [[0]]}, "expected unspecified batch_sampler option"),
])
def test_iterable_dataset_rejects_samplers(kwargs, msg):
    with pytest.raises(ValueError, match="DataLoader with IterableDataset: " + msg):
        DataLoader(Count(3), **kwargs)


@pytest.mark.parity
@pytest.mark.parametrize("kwargs", [{"batch_size": 4}, {"batch_size": 4, "drop_last": True},
                                    {"batch_size": None}, {"batch_size": 3}])
def test_batches_parity(kwargs):
    torch = pytest.importorskip("torch")
    ours = [(x.tolist(), y.tolist() if hasattr(y, "tolist") else y)
            for x, y in DataLoader(Pairs(10), **kwargs)]
    theirs = [(x.tolist(), y.tolist() if hasattr(y, "tolist") else y)
              for x, y in torch.utils.data.DataLoader(Pairs(10), **kwargs)]
    assert ours == theirs
