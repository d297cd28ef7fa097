"""`GradientAccumulationScheduler`: change `accumulate_grad_batches` at given epochs."""
from .callback import Callback


class GradientAccumulationScheduler(Callback):
    """`scheduling={epoch: factor}`: from each epoch key on (0-based), accumulate `factor`
    batches per optimizer step; before the first key, 1."""

    def __init__(self, scheduling):
        if not isinstance(scheduling, dict) or not scheduling:
            raise TypeError("GradientAccumulationScheduler: scheduling must be a non-empty dict "
                            f"{{epoch: factor}}, got {scheduling!r}")
        for epoch, factor in scheduling.items():
            if not isinstance(epoch, int) or epoch < 0:
                raise ValueError("GradientAccumulationScheduler: epochs must be integers >= 0, "
                                 f"got {epoch!r}")
            if not isinstance(factor, int) or factor < 1:
                raise ValueError("GradientAccumulationScheduler: accumulation factors must be "
                                 f"integers >= 1, got {factor!r} for epoch {epoch}")
        self.scheduling = dict(scheduling)
        self.scheduling.setdefault(0, 1)
        self.epochs = sorted(self.scheduling)

    def going_to_accumulate_grad_batches(self):
        return any(v > 1 for v in self.scheduling.values())

    def get_accumulate_grad_batches(self, epoch):
        return self.scheduling[max(e for e in self.epochs if e <= epoch)]

    def on_train_start(self, trainer, pl_module):
        if not pl_module.automatic_optimization and self.going_to_accumulate_grad_batches():
            raise RuntimeError("GradientAccumulationScheduler needs automatic optimisation; "
                               "accumulate by hand in a manual training_step")
        if trainer.accumulate_grad_batches != 1:
            raise ValueError("You have set `accumulate_grad_batches` and are using the "
                             "`GradientAccumulationScheduler` callback. Either remove "
                             "`accumulate_grad_batches` from the Trainer or remove the callback.")

    def on_train_epoch_start(self, trainer, pl_module):
        trainer.accumulate_grad_batches = self.get_accumulate_grad_batches(trainer.current_epoch)
