"""ember.utils.data samplers: order, reproducibility through ember's RNG, validation."""
import collections

import pytest

import ember
from ember.utils.data import (BatchSampler, RandomSampler, SequentialSampler,
                              SubsetRandomSampler, WeightedRandomSampler)


def test_sequential_sampler():
    s = SequentialSampler(range(5))
    assert list(s) == [0, 1, 2, 3, 4] and len(s) == 5


def test_random_sampler_is_a_permutation_and_seeded_by_manual_seed():
    s = RandomSampler(range(20))
    ember.manual_seed(0)
    a = list(s)
    ember.manual_seed(0)
    b = list(s)
    assert a == b and sorted(a) == list(range(20)) and a != list(range(20))
    assert list(s) != a  # the next epoch draws a new order


def test_random_sampler_generator():
    a = list(RandomSampler(range(10), generator=ember.Generator().manual_seed(4)))
    b = list(RandomSampler(range(10), generator=ember.Generator().manual_seed(4)))
    assert a == b


@pytest.mark.parametrize("num_samples", [3, 10, 25])
def test_random_sampler_num_samples_without_replacement(num_samples):
    out = list(RandomSampler(range(10), num_samples=num_samples))
    assert len(out) == num_samples
    counts = collections.Counter(out)
    assert max(counts.values()) <= -(-num_samples // 10)  # each full pass is a permutation


@pytest.mark.parametrize("num_samples", [5, 32, 70])
def test_random_sampler_with_replacement(num_samples):
    s = RandomSampler(range(4), replacement=True, num_samples=num_samples)
    out = list(s)
    assert len(out) == len(s) == num_samples and set(out) <= {0, 1, 2, 3}


@pytest.mark.parametrize("kwargs,exc,msg", [
    ({"replacement": 1}, TypeError, "replacement should be a boolean value"),
    ({"num_samples": 0}, ValueError, "num_samples should be a positive integer value"),
    ({"num_samples": 2.5}, ValueError, "num_samples should be a positive integer value"),
])
def test_random_sampler_errors(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        RandomSampler(range(3), **kwargs)


def test_subset_random_sampler():
    s = SubsetRandomSampler([10, 20, 30, 40], generator=ember.Generator().manual_seed(0))
    out = list(s)
    assert sorted(out) == [10, 20, 30, 40] and len(s) == 4


def test_weighted_random_sampler():
    s = WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 200, generator=ember.Generator())
    counts = collections.Counter(s)
    assert set(counts) <= {1, 3} and counts[3] > counts[1] and len(s) == 200
    no_repeat = list(WeightedRandomSampler([1, 2, 3, 4], 4, replacement=False))
    assert sorted(no_repeat) == [0, 1, 2, 3]
    assert s.weights.dtype == ember.float64


@pytest.mark.parametrize("args,msg", [
    (([1.0, 2.0], 0), "num_samples should be a positive integer"),
    (([1.0, 2.0], True), "num_samples should be a positive integer"),
    (([1.0, 2.0], 2, "yes"), "replacement should be a boolean"),
    (([[1.0, 2.0]], 2), r"weights should be a 1d sequence but given weights have shape \(1, 2\)"),
])
def test_weighted_random_sampler_errors(args, msg):
    with pytest.raises(ValueError, match=msg):
        WeightedRandomSampler(*args)


@pytest.mark.parametrize("n,batch_size,drop_last", [(10, 3, False), (10, 3, True), (9, 3, True),
                                                    (2, 5, False), (2, 5, True), (0, 2, False)])
def test_batch_sampler(n, batch_size, drop_last):
    s = BatchSampler(range(n), batch_size, drop_last)
    batches = list(s)
    assert len(batches) == len(s)
    flat = [i for b in batches for i in b]
    assert flat == list(range(len(flat)))
    assert all(len(b) == batch_size for b in batches[:-1])


@pytest.mark.parametrize("args,msg", [
    ((0, False), "batch_size should be a positive integer value, but got batch_size=0"),
    ((True, False), "batch_size should be a positive integer value"),
    ((2, None), "drop_last should be a boolean value, but got drop_last=None"),
])
def test_batch_sampler_errors(args, msg):
    with pytest.raises(ValueError, match=msg):
        BatchSampler(range(3), *args)


@pytest.mark.parity
@pytest.mark.parametrize("n,batch_size,drop_last", [(10, 3, False), (10, 3, True), (9, 3, True),
                                                    (2, 5, False), (2, 5, True), (7, 1, False)])
def test_batch_sampler_parity(n, batch_size, drop_last):
    torch = pytest.importorskip("torch")
    ours = BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)
    theirs = torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(n)),
                                           batch_size, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)
