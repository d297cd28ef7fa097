"""DistributedDataParallel: N ranks on N shares of a batch end with the weights one process
reaches on the whole batch (no BatchNorm: without SyncBatchNorm it sees only its share);
no_sync accumulation; unused parameters; state_dict keys."""
import numpy as np
import pytest

import ember
import ember.distributed as dist
from ember.nn.parallel import DistributedDataParallel
from ember_testing.distributed import check, needs_mpi, run_launcher, run_mpi

TRAIN = """
import pickle, sys, ember, ember.distributed as dist
from ember.nn.parallel import DistributedDataParallel as DDP
dist.init_process_group()
r, n = dist.get_rank(), dist.get_world_size()
ember.manual_seed(100 + r)  # each rank starts different: DDP copies rank 0's weights
net = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.Tanh(), ember.nn.Linear(8, 8),
                          ember.nn.Linear(8, 1)).double()
ember.manual_seed(0)
ref = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.Tanh(), ember.nn.Linear(8, 8),
                          ember.nn.Linear(8, 1)).double()
if r == 0:
    net.load_state_dict(ref.state_dict())
model = DDP(net, bucket_cap_mb=0.0002)  # several buckets
opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
g = ember.Generator().manual_seed(1)
X, Y = ember.randn(6, 12, 4, generator=g).double(), ember.randn(6, 12, 1, generator=g).double()
for step in range(6):
    opt.zero_grad()
    loss = ((model(X[step].chunk(n)[r]) - Y[step].chunk(n)[r]) ** 2).mean()
    loss.backward()
    opt.step()
if r == n - 1:
    weights = {k: v.numpy() for k, v in model.module.state_dict().items()}
    with open("weights.pkl", "wb") as f:
        pickle.dump(weights, f)
dist.destroy_process_group()
"""


def _single_process_weights():
    """The same model trained in one process on the combined batches."""
    ember.manual_seed(0)
    ref = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.Tanh(), ember.nn.Linear(8, 8),
                              ember.nn.Linear(8, 1)).double()
    opt = ember.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    g = ember.Generator().manual_seed(1)
    X = ember.randn(6, 12, 4, generator=g).double()
    Y = ember.randn(6, 12, 1, generator=g).double()
    for step in range(6):
        opt.zero_grad()
        ((ref(X[step]) - Y[step]) ** 2).mean().backward()
        opt.step()
    return {k: v.numpy() for k, v in ref.state_dict().items()}


def _check_weights(tmp_path):
    import pickle
    with open(tmp_path / "weights.pkl", "rb") as f:
        got = pickle.load(f)
    want = _single_process_weights()
    for name in ("0.weight", "0.bias", "2.weight", "3.weight", "3.bias"):
        np.testing.assert_allclose(got[name], want[name], rtol=1e-9, atol=1e-12, err_msg=name)


@needs_mpi
@pytest.mark.timeout(120)
@pytest.mark.parametrize("ranks", [2, 3])
def test_ranks_under_mpirun_match_one_process_on_the_combined_batch(tmp_path, ranks):
    check(run_mpi(tmp_path, ranks, TRAIN))
    _check_weights(tmp_path)


ACCUMULATE = """
import ember, ember.distributed as dist
from ember.nn.parallel import DistributedDataParallel
dist.init_process_group()
r, n = dist.get_rank(), dist.get_world_size()
ember.manual_seed(0)

class TwoHeads(ember.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = ember.nn.Linear(3, 3)
        self.a, self.b = ember.nn.Linear(3, 1), ember.nn.Linear(3, 1)
    def forward(self, x, head):
        return (self.a if head == "a" else self.b)(self.body(x))

model = DistributedDataParallel(TwoHeads().double(), find_unused_parameters=True)
x = ember.full((2, 3), float(r + 1), dtype=ember.float64)
with model.no_sync():  # accumulates locally
    model(x, "a").sum().backward()
    assert model.module.body.bias.grad.tolist() != [0.0, 0.0, 0.0]
local = model.module.a.weight.grad.clone()
model(x, "a").sum().backward()  # synchronises the accumulated gradient
synced = model.module.a.weight.grad
# Each rank accumulated twice its own gradient; the average is over ranks.
parts = [None] * n
dist.all_gather_object(parts, (local * 2).numpy())
assert abs(synced.numpy() - sum(parts) / n).max() < 1e-12
assert model.module.b.weight.grad is None  # unused on every rank: stays None
model.zero_grad()
# Rank 0 uses head b, the others head a: every rank ends with both heads' averaged gradients.
model(x, "b" if r == 0 else "a").sum().backward()
assert model.module.a.weight.grad is not None and model.module.b.weight.grad is not None
open(f"rank{r}.ok", "w").close()  # a file per rank: stdout lines can interleave
dist.destroy_process_group()
"""


@pytest.mark.timeout(120)
def test_no_sync_and_unused_parameters_through_the_launcher(tmp_path):
    check(run_launcher(tmp_path, 2, ACCUMULATE))
    assert sorted(p.name for p in tmp_path.glob("*.ok")) == ["rank0.ok", "rank1.ok"]


@pytest.fixture
def single_rank_group():
    dist.init_process_group("tcp", init_method="tcp://127.0.0.1:0", world_size=1, rank=0)
    yield
    dist.destroy_process_group()


class _Heads(ember.nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = ember.nn.Linear(2, 1), ember.nn.Linear(2, 1)

    def forward(self, x):
        return self.a(x)


def test_state_dict_keys_and_module(single_rank_group):
    inner = ember.nn.Linear(2, 3)
    model = DistributedDataParallel(inner)
    assert model.module is inner
    assert list(model.state_dict()) == ["module.weight", "module.bias"]


def test_gradient_as_bucket_view_keeps_grads_in_the_bucket(single_rank_group):
    model = DistributedDataParallel(ember.nn.Linear(2, 3), gradient_as_bucket_view=True)
    model(ember.ones(4, 2)).sum().backward()
    flat = model._buckets[0].flat
    assert np.shares_memory(model.module.weight.grad.numpy(), flat)
    np.testing.assert_allclose(model.module.bias.grad.numpy(), [4.0, 4.0, 4.0])


def test_a_parameter_without_gradient_is_reported_at_the_next_forward(single_rank_group):
    model = DistributedDataParallel(_Heads())
    model(ember.ones(1, 2)).sum().backward()
    with pytest.raises(RuntimeError, match=r"Expected to have finished reduction.*\['b.weight', "
                                           r"'b.bias'\].*find_unused_parameters=True"):
        model(ember.ones(1, 2))


def test_needs_a_process_group_and_trainable_parameters(single_rank_group):
    with pytest.raises(RuntimeError, match="doesn't have any parameter"):
        DistributedDataParallel(ember.nn.ReLU())
    dist.destroy_process_group()
    try:
        with pytest.raises(RuntimeError, match="init_process_group"):
            DistributedDataParallel(ember.nn.Linear(1, 1))
    finally:
        dist.init_process_group("tcp", init_method="tcp://127.0.0.1:0", world_size=1, rank=0)
