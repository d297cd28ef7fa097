"""`StochasticWeightAveraging`: average the weights of the last epochs (Izmailov et al.,
2018) and swap the average into the module at the end of training, as Lightning does.

From epoch `swa_start` on, the learning rate anneals to `swa_lrs` (`SWALR`, replacing the
module's scheduler) and, at the start of each epoch up to the last, the current weights are
folded into a running average. After the last epoch the average replaces the weights; a model
with BatchNorm gets one extra epoch of forward passes over the training data (no backward, no
optimizer step) to recompute the running statistics for the averaged weights.
"""
import copy
import math

import ember
from ember.nn.modules.batchnorm import _BatchNorm
from ember.optim.lr_scheduler import LRScheduler

from .callback import Callback


class SWALR(LRScheduler):
    """PyTorch's `torch.optim.swa_utils.SWALR`: anneal each group's lr to its `swa_lr` over
    `anneal_epochs` epochs ("cos" or "linear"), then hold it."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos",
                 last_epoch=-1):
        swa_lrs = swa_lr if isinstance(swa_lr, (list, tuple)) else \
            [swa_lr] * len(optimizer.param_groups)
        if len(swa_lrs) != len(optimizer.param_groups):
            raise ValueError(f"swa_lr must have the same length as optimizer.param_groups: "
                             f"{len(swa_lrs)} != {len(optimizer.param_groups)}")
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("anneal_strategy must by one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy!r}")
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got "
                             f"{anneal_epochs!r}")
        self.anneal_strategy, self.anneal_epochs = anneal_strategy, anneal_epochs
        super().__init__(optimizer, last_epoch)

    def _anneal(self, t):
        return (1 - math.cos(math.pi * t)) / 2 if self.anneal_strategy == "cos" else t

    def get_lr(self):
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = self._anneal(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        # The lr the annealing started from, recovered from the current one.
        prev_lrs = [g["swa_lr"] if prev_alpha == 1 else
                    (g["lr"] - prev_alpha * g["swa_lr"]) / (1 - prev_alpha)
                    for g in self.optimizer.param_groups]
        alpha = self._anneal(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [g["swa_lr"] * alpha + lr * (1 - alpha)
                for g, lr in zip(self.optimizer.param_groups, prev_lrs)]


class StochasticWeightAveraging(Callback):
    def __init__(self, swa_lrs, swa_epoch_start=0.8, annealing_epochs=10,
                 annealing_strategy="cos", avg_fn=None, device=None):
        if isinstance(swa_epoch_start, bool) or not (
                (isinstance(swa_epoch_start, int) and swa_epoch_start >= 1) or
                (isinstance(swa_epoch_start, float) and 0 < swa_epoch_start <= 1)):
            raise ValueError("StochasticWeightAveraging: swa_epoch_start should be a >0 integer "
                             f"or a float between 0 and 1, got {swa_epoch_start!r}")
        lrs = swa_lrs if isinstance(swa_lrs, (list, tuple)) else [swa_lrs]
        if not lrs or not all(isinstance(lr, (int, float)) and lr > 0 for lr in lrs):
            raise ValueError("StochasticWeightAveraging: swa_lrs should be a positive float or "
                             f"a list of positive floats, got {swa_lrs!r}")
        if annealing_strategy not in ("cos", "linear"):
            raise ValueError("StochasticWeightAveraging: annealing_strategy must be 'cos' or "
                             f"'linear', got {annealing_strategy!r}")
        if avg_fn is not None and not callable(avg_fn):
            raise TypeError("StochasticWeightAveraging: avg_fn should be callable")
        self._swa_epoch_start, self._swa_lrs = swa_epoch_start, swa_lrs
        self._annealing_epochs, self._annealing_strategy = annealing_epochs, annealing_strategy
        self._avg_fn = avg_fn or self.avg_fn
        self._device = device
        self.n_averaged = 0
        self._average_model, self._swa_scheduler, self._scheduler_state = None, None, None
        self._initialized, self._latest_update_epoch = False, -1
        self._has_batch_norm, self._max_epochs, self.momenta = False, None, {}
        self._accumulate_grad_batches = 1

    @property
    def swa_start(self):
        return max(self._swa_epoch_start - 1, 0)  # 0-based

    @property
    def swa_end(self):
        return self._max_epochs - 1  # 0-based

    @staticmethod
    def avg_fn(averaged, current, num_averaged):
        """The running mean: the default `avg_fn(averaged, current, n_averaged)`."""
        return averaged + (current - averaged) / (num_averaged + 1)

    def setup(self, trainer, pl_module, stage):
        if stage == "fit":  # a copy of the module, not of the trainer it points to
            trainer_ref, pl_module.trainer = pl_module.trainer, None
            try:
                self._average_model = copy.deepcopy(pl_module)
            finally:
                pl_module.trainer = trainer_ref

    def on_fit_start(self, trainer, pl_module):
        if len(trainer.optimizers) != 1:
            raise RuntimeError("StochasticWeightAveraging works with 1 optimizer, got "
                               f"{len(trainer.optimizers)}")
        if len(trainer.lr_scheduler_configs) > 1:
            raise RuntimeError("StochasticWeightAveraging supports at most 1 lr_scheduler")
        if trainer.max_epochs is None or trainer.max_epochs < 1:
            raise RuntimeError("StochasticWeightAveraging needs Trainer(max_epochs=...)")
        if isinstance(self._swa_epoch_start, float):
            self._swa_epoch_start = int(trainer.max_epochs * self._swa_epoch_start)
        self._has_batch_norm = any(isinstance(m, _BatchNorm) for m in pl_module.modules())
        self._max_epochs = trainer.max_epochs
        if self._has_batch_norm:
            trainer.max_epochs += 1  # one more epoch recomputes the BatchNorm statistics
        if self._scheduler_state is not None:
            trainer.lr_scheduler_configs.clear()  # the restored SWALR replaces it below

    def on_train_epoch_start(self, trainer, pl_module):
        epoch = trainer.current_epoch
        if not self._initialized and self.swa_start <= epoch <= self.swa_end:
            self._start_annealing(trainer, pl_module)
        if self.swa_start <= epoch <= self.swa_end and epoch > self._latest_update_epoch:
            self.update_parameters(self._average_model, pl_module, self.n_averaged,
                                   self._avg_fn)
            self.n_averaged += 1
            self._latest_update_epoch = epoch
        if epoch == self.swa_end + 1:  # the BatchNorm epoch: forward passes only
            self.transfer_weights(self._average_model, pl_module)
            self._reset_batch_norm(pl_module)
            trainer._skip_backward = True

    def _start_annealing(self, trainer, pl_module):
        self._initialized = True
        self._average_model.to(self._device or pl_module.device)
        optimizer = trainer.optimizers[0]
        lrs = self._swa_lrs if isinstance(self._swa_lrs, (list, tuple)) else \
            [self._swa_lrs] * len(optimizer.param_groups)
        for lr, group in zip(lrs, optimizer.param_groups):
            group["initial_lr"] = lr
        self._swa_scheduler = SWALR(optimizer, swa_lr=lrs, anneal_epochs=self._annealing_epochs,
                                    anneal_strategy=self._annealing_strategy,
                                    last_epoch=trainer.max_epochs
                                    if self._annealing_strategy == "cos" else -1)
        if self._scheduler_state is not None:
            self._swa_scheduler.load_state_dict(self._scheduler_state)
        config = trainer._scheduler_config(self._swa_scheduler)
        if trainer.lr_scheduler_configs:
            trainer.lr_scheduler_configs[0] = config  # Lightning swaps the module's scheduler
        else:
            trainer.lr_scheduler_configs.append(config)

    def on_train_epoch_end(self, trainer, pl_module):
        trainer._skip_backward = False

    def on_train_end(self, trainer, pl_module):
        # current_epoch has already moved past the last epoch run
        if self._has_batch_norm and trainer.current_epoch - 1 == self.swa_end + 1:
            trainer.max_epochs -= 1
            for module, momentum in self.momenta.items():
                module.momentum = momentum
        elif trainer.current_epoch - 1 == self.swa_end:
            self.transfer_weights(self._average_model, pl_module)

    @staticmethod
    def update_parameters(average_model, model, n_averaged, avg_fn):
        with ember.no_grad():
            for p_swa, p_model in zip(average_model.parameters(), model.parameters()):
                current = p_model.detach().to(p_swa.device)
                p_swa.copy_(current if n_averaged == 0 else
                            avg_fn(p_swa.detach(), current, ember.tensor(n_averaged)))

    @staticmethod
    def transfer_weights(source, destination):
        with ember.no_grad():
            for src, dst in zip(source.parameters(), destination.parameters()):
                dst.copy_(src.to(dst.device))

    def _reset_batch_norm(self, pl_module):
        """Fresh statistics, accumulated as a plain mean over the extra epoch (momentum None,
        as `torch.optim.swa_utils.update_bn`)."""
        self.momenta = {}
        for module in pl_module.modules():
            if isinstance(module, _BatchNorm) and module.track_running_stats:
                module.reset_running_stats()
                self.momenta[module] = module.momentum
                module.momentum = None

    def state_dict(self):
        return {"n_averaged": self.n_averaged, "latest_update_epoch": self._latest_update_epoch,
                "scheduler_state": None if self._swa_scheduler is None
                else self._swa_scheduler.state_dict(),
                "average_model_state": None if self._average_model is None
                else self._average_model.state_dict()}

    def load_state_dict(self, state_dict):
        self.n_averaged = state_dict["n_averaged"]
        self._latest_update_epoch = state_dict["latest_update_epoch"]
        self._scheduler_state = state_dict["scheduler_state"]
        if self._average_model is not None and state_dict["average_model_state"] is not None:
            self._average_model.load_state_dict(state_dict["average_model_state"])
