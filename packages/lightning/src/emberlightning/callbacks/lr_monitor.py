"""`LearningRateMonitor`: logs each optimizer's learning rate (and momentum if asked)."""
from .._metrics import as_tensor
from .callback import Callback


class LearningRateMonitor(Callback):
    def __init__(self, logging_interval=None, log_momentum=False, log_weight_decay=False):
        if logging_interval not in (None, "step", "epoch"):
            raise ValueError("LearningRateMonitor: logging_interval must be 'step', 'epoch' or "
                             f"None, got {logging_interval!r}")
        self.logging_interval = logging_interval
        self.log_momentum, self.log_weight_decay = log_momentum, log_weight_decay

    def _values(self, trainer):
        out = {}
        for i, optimizer in enumerate(trainer.optimizers):
            name = f"lr-{type(optimizer).__name__}" + (f"-{i}" if len(trainer.optimizers) > 1
                                                        else "")
            for j, group in enumerate(optimizer.param_groups):
                suffix = f"/pg{j + 1}" if len(optimizer.param_groups) > 1 else ""
                out[name + suffix] = group["lr"]
                if self.log_momentum:
                    momentum = group.get("momentum", group.get("betas", (0.0,))[0])
                    out[f"{name}-momentum{suffix}"] = momentum
                if self.log_weight_decay:
                    out[f"{name}-weight_decay{suffix}"] = group.get("weight_decay", 0.0)
        return out

    def _log(self, trainer):
        values = self._values(trainer)
        trainer.callback_metrics.update({k: as_tensor(v) for k, v in values.items()})
        for logger in trainer.loggers:
            logger.log_metrics(values, step=trainer.global_step)

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if self.logging_interval == "step" or (self.logging_interval is None and any(
                c["interval"] == "step" for c in trainer.lr_scheduler_configs)):
            if (trainer.global_step + 1) % trainer.log_every_n_steps == 0:
                self._log(trainer)

    def on_train_epoch_start(self, trainer, pl_module):
        if self.logging_interval == "epoch" or (self.logging_interval is None and not any(
                c["interval"] == "step" for c in trainer.lr_scheduler_configs)):
            self._log(trainer)
