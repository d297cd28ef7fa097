"""DistributedSampler: every index once per epoch across ranks, padding, drop_last, epochs."""
import pytest

from ember.utils.data import DistributedSampler


def _shares(n, replicas, **kwargs):
    return [list(DistributedSampler(range(n), replicas, r, **kwargs)) for r in range(replicas)]


@pytest.mark.parametrize("n,replicas", [(10, 2), (10, 3), (7, 4), (2, 5), (12, 3)])
@pytest.mark.parametrize("shuffle", [False, True])
def test_each_index_once_per_epoch_with_padding(n, replicas, shuffle):
    shares = _shares(n, replicas, shuffle=shuffle)
    assert len({len(s) for s in shares}) == 1
    flat = [i for s in shares for i in s]
    assert set(flat) == set(range(n))
    assert len(flat) == -(-n // replicas) * replicas  # padded by repeating


@pytest.mark.parametrize("n,replicas", [(10, 3), (7, 4), (12, 3)])
def test_drop_last_gives_disjoint_equal_shares(n, replicas):
    shares = _shares(n, replicas, drop_last=True)
    flat = [i for s in shares for i in s]
    assert len(flat) == len(set(flat)) == (n // replicas) * replicas
    assert len(DistributedSampler(range(n), replicas, 0, drop_last=True)) == n // replicas


def test_set_epoch_reshuffles_the_same_way_on_every_rank():
    samplers = [DistributedSampler(range(20), 2, r, seed=3) for r in range(2)]
    first = [list(s) for s in samplers]
    for s in samplers:
        s.set_epoch(1)
    second = [list(s) for s in samplers]
    assert first != second
    assert sorted(second[0] + second[1]) == list(range(20))
    again = DistributedSampler(range(20), 2, 0, seed=3)
    again.set_epoch(1)
    assert list(again) == second[0]


def test_errors():
    with pytest.raises(ValueError, match="Invalid rank 3"):
        DistributedSampler(range(4), 3, 3)
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(range(4))


@pytest.mark.parity
@pytest.mark.parametrize("n,replicas,drop_last", [(10, 3, False), (10, 3, True), (2, 5, False),
                                                  (13, 4, False), (13, 4, True)])
def test_index_assignment_matches_pytorch(n, replicas, drop_last):
    from torch.utils.data.distributed import DistributedSampler as TorchSampler
    for rank in range(replicas):
        ours = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = TorchSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
