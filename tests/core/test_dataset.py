"""ember.utils.data datasets: TensorDataset, StackDataset, Subset, Concat/Chain, random_split."""
import numpy as np
import pytest

import ember
from ember.utils.data import (ChainDataset, ConcatDataset, Dataset, IterableDataset,
                              StackDataset, Subset, TensorDataset, random_split)


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return i * i

    def __len__(self):
        return self.n


class Stream(IterableDataset):
    def __init__(self, items):
        self.items = items

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)


def test_base_classes_require_overrides():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]
    with pytest.raises(NotImplementedError, match="__iter__"):
        iter(IterableDataset())


def test_tensor_dataset():
    x = ember.tensor(np.arange(12.0).reshape(4, 3))
    y = ember.tensor([0, 1, 0, 1])
    ds = TensorDataset(x, y)
    assert len(ds) == 4
    a, b = ds[2]
    assert a.tolist() == [6.0, 7.0, 8.0] and b.item() == 0
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(x, ember.tensor([1, 2]))


def test_stack_dataset_tuple_and_dict():
    a, b = Squares(3), ["x", "y", "z"]
    assert StackDataset(a, b)[1] == (1, "y")
    assert StackDataset(sq=a, s=b)[2] == {"sq": 4, "s": "z"}
    assert StackDataset(a, b).__getitems__([0, 2]) == [(0, "x"), (4, "z")]
    assert StackDataset(sq=a, s=b).__getitems__([1]) == [{"sq": 1, "s": "y"}]
    assert len(StackDataset(a, b)) == 3


@pytest.mark.parametrize("args,kwargs,msg", [
    ((), {}, "At least one dataset"),
    (([1, 2], [1]), {}, "Size mismatch between datasets"),
    (([1],), {"b": [1]}, "both types are given"),
])
def test_stack_dataset_errors(args, kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        StackDataset(*args, **kwargs)


def test_stack_dataset_checks_nested_getitems_size():
    class Short(Squares):
        def __getitems__(self, indices):
            return [0]

    with pytest.raises(ValueError, match="Expected 2, got 1"):
        StackDataset(Short(3)).__getitems__([0, 1])


def test_subset():
    s = Subset(Squares(10), [9, 2, 5])
    assert len(s) == 3 and s[0] == 81 and s[-1] == 25
    assert s.__getitems__([1, 2]) == [4, 25]
    assert Subset(list("abcdef"), [1, 3]).__getitems__([0, 1]) == ["b", "d"]


def test_concat_dataset_and_add():
    c = Squares(2) + Squares(3)
    assert isinstance(c, ConcatDataset)
    assert c.cumulative_sizes == [2, 5]
    assert [c[i] for i in range(5)] == [0, 1, 0, 1, 4]
    assert c[-1] == 4 and c[-5] == 0
    with pytest.raises(ValueError, match="absolute value of index"):
        c[-6]
    with pytest.raises(AssertionError, match="empty iterable"):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        ConcatDataset([Stream([1])])


def test_chain_dataset_and_add():
    ch = Stream([1, 2]) + Stream([3])
    assert isinstance(ch, ChainDataset)
    assert list(ch) == [1, 2, 3] and len(ch) == 3
    with pytest.raises(AssertionError, match="only supports IterableDataset"):
        list(ChainDataset([Squares(2)]))


@pytest.mark.parametrize("n,lengths,expected", [
    (10, [3, 7], [3, 7]),
    (10, [0.3, 0.3, 0.4], [3, 3, 4]),
    (11, [0.5, 0.5], [6, 5]),
    (7, [0.2, 0.2, 0.6], [2, 1, 4]),
    (30, [0.1] * 10, [3] * 10),
])
def test_random_split_lengths_cover_everything(n, lengths, expected):
    parts = random_split(range(n), lengths, generator=ember.Generator().manual_seed(1))
    assert [len(p) for p in parts] == expected
    assert sorted(i for p in parts for i in p.indices) == list(range(n))


def test_random_split_is_reproducible():
    def split(g=None):
        return [p.indices for p in random_split(range(20), [0.5, 0.5], generator=g)]
    assert split(ember.Generator().manual_seed(3)) == split(ember.Generator().manual_seed(3))
    ember.manual_seed(5)
    first = split()
    ember.manual_seed(5)
    assert split() == first
    assert sorted(first[0] + first[1]) == list(range(20)) and first[0] != list(range(10))


def test_random_split_errors_and_warning():
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        random_split(range(10), [1.5, -0.5])
    with pytest.warns(UserWarning, match="Length of split at index 2 is 0"):
        random_split(range(2), [0.5, 0.5, 0.0])


@pytest.mark.parity
@pytest.mark.parametrize("n,lengths", [(10, [0.3, 0.3, 0.4]), (11, [0.5, 0.5]),
                                       (7, [0.2, 0.2, 0.6]), (101, [0.33, 0.33, 0.34]),
                                       (5, [2, 3]), (3, [0.9, 0.05, 0.05])])
def test_random_split_lengths_parity(n, lengths):
    torch = pytest.importorskip("torch")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = [len(p) for p in random_split(range(n), lengths)]
        theirs = [len(p) for p in torch.utils.data.random_split(range(n), lengths)]
    assert ours == theirs
