"""Where the Trainer runs: one process (`SingleProcess`) or data-parallel ranks (`DDPStrategy`).

`Trainer(strategy="ddp", devices=N, num_nodes=M)` runs N*M ranks. Started as a plain script on
one machine, rank 0 re-launches the same command line N-1 times with `RANK`/`WORLD_SIZE`/
`MASTER_ADDR`/`MASTER_PORT` set (Lightning's subprocess launcher); under `mpirun` or
`python -m ember.distributed.run` every rank is already running and joins. The module is
wrapped in `DistributedDataParallel`, the training loader gets a `DistributedSampler`, and
only rank 0 logs, shows progress and writes checkpoints.
"""
import os
import socket
import subprocess
import sys

import ember
import ember.distributed as dist

from .callbacks import Callback, TQDMProgressBar


class SingleProcess:
    is_global_zero, global_rank, world_size = True, 0, 1

    def setup(self, trainer):
        pass

    @staticmethod
    def process_dataloader(loader):
        return loader

    def training_step(self, module, batch, batch_idx, sync):
        return module.training_step(batch, batch_idx)

    def reduce(self, value, reduce_fx):
        return value


def select_strategy(strategy, devices, num_nodes):
    if strategy in ("ddp", "ddp_spawn", "ddp_find_unused_parameters_true"):
        count = devices if isinstance(devices, int) and devices > 0 else \
            len(devices) if isinstance(devices, (list, tuple)) else 1
        return DDPStrategy(count, num_nodes,
                           find_unused_parameters=strategy.endswith("unused_parameters_true"))
    if isinstance(strategy, DDPStrategy):
        return strategy
    if strategy not in ("auto", "single_device", None):
        raise ValueError(f"Trainer: strategy must be 'auto', 'single_device' or 'ddp', got "
                         f"{strategy!r}")
    return SingleProcess()


class _TrainingStep(ember.nn.Module):
    """DDP reduces what its forward produced: here, `training_step`."""

    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, batch, batch_idx):
        return self.module.training_step(batch, batch_idx)


class _DistributedHooks(Callback):
    """Reshuffles the DistributedSampler each epoch; at the end, leaves the group and waits
    for the ranks this process started."""

    def __init__(self, strategy):
        self.strategy = strategy

    def on_train_epoch_start(self, trainer, pl_module):
        sampler = getattr(trainer.train_dataloader, "sampler", None)
        if isinstance(sampler, ember.utils.data.DistributedSampler):
            sampler.set_epoch(trainer.current_epoch)

    def teardown(self, trainer, pl_module, stage):
        if stage == "fit":
            self.strategy.teardown()


class DDPStrategy:
    def __init__(self, devices=1, num_nodes=1, find_unused_parameters=False):
        self.devices, self.num_nodes = devices, num_nodes
        self.find_unused_parameters = find_unused_parameters
        self.world_size = devices * num_nodes
        self._children, self._ddp = [], None

    @property
    def global_rank(self):
        return dist.get_rank() if dist.is_initialized() else 0

    @property
    def is_global_zero(self):
        return self.global_rank == 0

    def _launch(self):
        """Rank 0 of a plain script start: run the same command once per other local rank."""
        if self.num_nodes > 1:
            raise RuntimeError("Trainer(strategy='ddp', num_nodes>1): start the script on every "
                               "machine with `mpirun` or `python -m ember.distributed.run "
                               "--nnodes ...` (see the README)")
        if not sys.argv or sys.argv[0] in ("", "-c"):
            raise RuntimeError("Trainer(strategy='ddp'): cannot re-launch an interactive "
                               "session; run a script, or use `python -m "
                               "ember.distributed.run -n N script.py`")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        common = dict(WORLD_SIZE=str(self.world_size), MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(port), LOCAL_WORLD_SIZE=str(self.devices))
        os.environ.update(common, RANK="0", LOCAL_RANK="0")
        for rank in range(1, self.world_size):
            env = dict(os.environ, **common, RANK=str(rank), LOCAL_RANK=str(rank))
            self._children.append(subprocess.Popen([sys.executable, *sys.argv], env=env))

    def setup(self, trainer):
        """Join (or start) the ranks, then shard the data and wrap the module."""
        if not dist.is_initialized():
            if self.world_size > 1 and "RANK" not in os.environ and \
                    not dist.process_group._under_mpirun():
                self._launch()
            backend = "nccl" if trainer.device.type == "cuda" else None
            dist.init_process_group(backend)
        if dist.get_world_size() != self.world_size:
            raise RuntimeError(f"Trainer(strategy='ddp', devices={self.devices}, num_nodes="
                               f"{self.num_nodes}) expects {self.world_size} ranks, but the "
                               f"launcher started {dist.get_world_size()}")
        if trainer.device.type == "cuda":
            trainer.device = ember.device("cuda", dist.process_group.local_rank())
            trainer.lightning_module.to(trainer.device)
        if not self.is_global_zero:  # rank 0 alone logs and shows progress
            trainer.loggers = []
            trainer.callbacks = [c for c in trainer.callbacks
                                 if not isinstance(c, TQDMProgressBar)]
        trainer.callbacks.append(_DistributedHooks(self))
        trainer.train_dataloader = self.process_dataloader(trainer.train_dataloader)
        self._ddp = ember.nn.parallel.DistributedDataParallel(
            _TrainingStep(trainer.lightning_module),
            find_unused_parameters=self.find_unused_parameters)

    @staticmethod
    def process_dataloader(loader):
        """The training loader with this rank's DistributedSampler share."""
        if isinstance(loader.sampler, ember.utils.data.DistributedSampler):
            return loader
        shuffled = isinstance(loader.sampler, ember.utils.data.RandomSampler)
        sampler = ember.utils.data.DistributedSampler(loader.dataset, shuffle=shuffled)
        return ember.utils.data.DataLoader(
            loader.dataset, batch_size=loader.batch_size, sampler=sampler,
            num_workers=loader.num_workers, collate_fn=loader.collate_fn,
            drop_last=loader.drop_last)

    def training_step(self, module, batch, batch_idx, sync):
        if sync:
            return self._ddp(batch, batch_idx)
        with self._ddp.no_sync():  # accumulating: communicate at the window's last batch
            return self._ddp(batch, batch_idx)

    def reduce(self, value, reduce_fx):
        """`self.log(..., sync_dist=True)`: the value combined over ranks (mean by default)."""
        if not dist.is_initialized():
            return value
        op = {"sum": "sum", "max": "max", "min": "min"}.get(reduce_fx, "avg")
        tensor = value.detach().double().clone() if isinstance(value, ember.Tensor) else \
            ember.tensor(float(value), dtype=ember.float64)
        dist.all_reduce(tensor, op=op)
        return tensor

    def teardown(self):
        if dist.is_initialized():
            dist.destroy_process_group()
        failed = [(rank, p.wait()) for rank, p in enumerate(self._children, start=1)]
        self._children = []
        for rank, code in failed:
            if code:
                raise RuntimeError(f"Trainer(strategy='ddp'): rank {rank} exited with code "
                                   f"{code}")
