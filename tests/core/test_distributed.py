"""ember.distributed: collectives across real processes (mpirun and the launcher), the
single-rank group in this process, errors, and crashed ranks ending the job."""
import pytest

import ember
import ember.distributed as dist
from ember_testing.distributed import check, needs_mpi, run_launcher, run_mpi

COLLECTIVES = """
import ember, ember.distributed as dist
dist.init_process_group()
r, n = dist.get_rank(), dist.get_world_size()
t = ember.tensor([r + 1.0, 2.0 * r])
dist.all_reduce(t)
assert t.tolist() == [n * (n + 1) / 2, float(n * (n - 1))], t
for op, want in [("max", n), ("min", 1), ("product", 6 if n == 3 else 2), ("avg", (n + 1) / 2)]:
    t = ember.tensor([r + 1.0])
    dist.all_reduce(t, op=getattr(dist.ReduceOp, op.upper()))
    assert t.item() == want, (op, t)
h = ember.tensor([r + 0.5], dtype=ember.float16)  # no MPI type: the pickled path
dist.all_reduce(h)
assert h.item() == n * n / 2, h
strided = ember.zeros(3, 2)[:, 0]  # non-contiguous: copied and written back
strided += r
dist.all_reduce(strided)
assert strided.tolist() == [n * (n - 1) / 2] * 3
b = ember.full((2,), float(r))
dist.broadcast(b, src=n - 1)
assert b.tolist() == [n - 1.0] * 2
parts = [ember.zeros(2, dtype=ember.int64) for _ in range(n)]
dist.all_gather(parts, ember.tensor([r, 10 * r]))
assert [p.tolist() for p in parts] == [[i, 10 * i] for i in range(n)]
big = ember.zeros(2 * n)
dist.all_gather_into_tensor(big, ember.full((2,), float(r)))
assert big.tolist() == [float(i) for i in range(n) for _ in range(2)]
out = ember.zeros(2)
dist.reduce_scatter(out, [ember.full((2,), float(i + r)) for i in range(n)])
assert out.tolist() == [float(n * r + n * (n - 1) / 2)] * 2
out = ember.zeros(1)
dist.reduce_scatter_tensor(out, ember.arange(n, dtype=ember.float32), op=dist.ReduceOp.AVG)
assert out.item() == r
gathered = [ember.zeros(1) for _ in range(n)] if r == 0 else None
dist.gather(ember.tensor([r * 3.0]), gathered, dst=0)
if r == 0:
    assert [g.item() for g in gathered] == [3.0 * i for i in range(n)]
got = ember.zeros(1)
dist.scatter(got, [ember.tensor([i * 7.0]) for i in range(n)] if r == 1 else None, src=1)
assert got.item() == 7.0 * r
nxt, prev = (r + 1) % n, (r - 1) % n
w = dist.isend(ember.tensor([100.0 + r]), nxt)
incoming = ember.zeros(1)
dist.irecv(incoming, prev).wait()
w.wait()
assert incoming.item() == 100.0 + prev
if r == 0:
    dist.send(ember.tensor([5, 6]), 1, tag=3)
elif r == 1:
    x = ember.zeros(2, dtype=ember.int64)
    assert dist.recv(x, 0, tag=3) == 0 and x.tolist() == [5, 6]
objs = [None] * n
dist.all_gather_object(objs, {"rank": r})
assert objs == [{"rank": i} for i in range(n)]
lst = [r, "x"] if r == 0 else [None, None]
dist.broadcast_object_list(lst, src=0)
assert lst == [0, "x"]
dist.barrier()
open(f"rank{r}.ok", "w").close()  # a file per rank: ranks' stdout lines can interleave
dist.destroy_process_group()
"""

CRASH = """
import sys, ember, ember.distributed as dist
dist.init_process_group()
if dist.get_rank() == 1:
    raise ValueError("rank one broke")
dist.all_reduce(ember.ones(2))  # the others wait here: the job must end, not hang
"""


@needs_mpi
@pytest.mark.timeout(120)
def test_collectives_under_mpirun_with_three_ranks(tmp_path):
    check(run_mpi(tmp_path, 3, COLLECTIVES))
    assert sorted(p.name for p in tmp_path.glob("*.ok")) == ["rank0.ok", "rank1.ok", "rank2.ok"]


@pytest.mark.timeout(120)
def test_collectives_through_the_launcher_with_the_tcp_backend(tmp_path):
    check(run_launcher(tmp_path, 2, COLLECTIVES))
    assert sorted(p.name for p in tmp_path.glob("*.ok")) == ["rank0.ok", "rank1.ok"]


@needs_mpi
@pytest.mark.timeout(120)
def test_a_crashed_rank_aborts_the_mpi_job_with_its_rank_named(tmp_path):
    result = run_mpi(tmp_path, 2, CRASH, timeout=60)
    assert result.returncode != 0
    assert "rank 1 of 2 failed" in result.stderr and "rank one broke" in result.stderr


@pytest.mark.timeout(120)
def test_a_crashed_rank_stops_the_launcher_with_its_rank_named(tmp_path):
    result = run_launcher(tmp_path, 2, CRASH, timeout=60)
    assert result.returncode != 0
    assert "rank 1 (pid" in result.stderr and "stopping the other ranks" in result.stderr
    assert "rank one broke" in result.stderr


@pytest.fixture
def single_rank_group():
    dist.init_process_group("tcp", init_method="tcp://127.0.0.1:0", world_size=1, rank=0)
    yield
    dist.destroy_process_group()


def test_single_rank_group_in_process(single_rank_group):
    assert dist.is_initialized() and dist.get_rank() == 0 and dist.get_world_size() == 1
    assert dist.get_backend() == "tcp"
    t = ember.tensor([1.0, 2.0])
    version = t._version
    dist.all_reduce(t, dist.ReduceOp.AVG)
    assert t.tolist() == [1.0, 2.0] and t._version > version
    with pytest.raises(RuntimeError, match="twice"):
        dist.init_process_group("tcp", init_method="tcp://127.0.0.1:0", world_size=1, rank=0)


def test_collective_errors(single_rank_group):
    with pytest.raises(ValueError, match="op must be a ReduceOp"):
        dist.all_reduce(ember.ones(1), op="mean")
    with pytest.raises(RuntimeError, match="AVG needs a floating-point"):
        dist.all_reduce(ember.ones(1, dtype=ember.int64), op=dist.ReduceOp.AVG)
    with pytest.raises(ValueError, match="src=3 is not a rank"):
        dist.broadcast(ember.ones(1), src=3)
    with pytest.raises(ValueError, match="one tensor per rank"):
        dist.all_gather([ember.ones(1), ember.ones(1)], ember.ones(1))
    with pytest.raises(TypeError, match="must be a Tensor"):
        dist.all_reduce([1.0])


def test_uninitialized_and_bad_arguments():
    assert not dist.is_initialized() and dist.get_rank() == -1
    with pytest.raises(RuntimeError, match="all_reduce: the default process group has not"):
        dist.all_reduce(ember.ones(1))
    with pytest.raises(ValueError, match="unknown backend 'carrier-pigeon'"):
        dist.init_process_group("carrier-pigeon", world_size=1, rank=0)
    with pytest.raises(ValueError, match="init_method must be"):
        dist.init_process_group("tcp", init_method="file:///x", world_size=1, rank=0)
    with pytest.raises(ValueError, match="rank 2 is outside"):
        dist.init_process_group("tcp", world_size=2, rank=2)


def test_store_set_get_add_and_timeout():
    store = dist.TCPStore("127.0.0.1", 0, 1, is_master=True, timeout=0.2)
    try:
        store.set("k", b"v")
        assert store.get("k") == b"v" and store.add("n", 2) == 2 and store.add("n", 3) == 5
        assert store.check(["k"]) and not store.check(["missing"])
        with pytest.raises(RuntimeError, match="timed out .* 'missing'"):
            store.get("missing")
    finally:
        store.close()
