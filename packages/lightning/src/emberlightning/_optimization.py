"""The Trainer's optimisation plumbing: `configure_optimizers` parsed into optimizers and
scheduler configs, schedulers stepped by interval, and the precision-aware backward and
pre-step hooks (GradScaler under float16). A mixin so that trainer.py keeps the loops."""
import contextlib

import ember


def as_list(loaders):
    if loaders is None:
        return []
    return list(loaders) if isinstance(loaders, (list, tuple)) else [loaders]


class OptimizationMixin:
    """Methods of `Trainer` (they read its `lightning_module`, `scaler`, `autocast_dtype`,
    `device`, gradient-clipping settings and `_hook`)."""

    def _configure_optimizers(self):
        with self._metrics.inside("configure_optimizers"):
            config = self.lightning_module.configure_optimizers()
        optimizers, schedulers = [], []
        if isinstance(config, dict):
            optimizers, schedulers = [config["optimizer"]], as_list(config.get("lr_scheduler"))
        elif isinstance(config, (list, tuple)) and len(config) == 2 and isinstance(
                config[0], (list, tuple)):
            optimizers, schedulers = list(config[0]), as_list(config[1])
        elif isinstance(config, (list, tuple)) and config and isinstance(config[0], dict):
            for d in config:
                optimizers.append(d["optimizer"])
                schedulers += as_list(d.get("lr_scheduler"))
        else:
            optimizers = as_list(config)
        if not optimizers or not all(isinstance(o, ember.optim.Optimizer) for o in optimizers):
            raise TypeError("configure_optimizers must return an optimizer, a list of them, "
                            "(optimizers, schedulers) or a dict with 'optimizer'; got "
                            f"{config!r}")
        if self.lightning_module.automatic_optimization and len(optimizers) > 1:
            raise RuntimeError("Automatic optimisation supports one optimizer; set "
                               "`self.automatic_optimization = False` to use several")
        self.optimizers = optimizers
        self.lr_scheduler_configs = [self._scheduler_config(s) for s in schedulers]

    @staticmethod
    def _scheduler_config(scheduler):
        config = dict(scheduler) if isinstance(scheduler, dict) else {"scheduler": scheduler}
        config.setdefault("interval", "epoch")
        config.setdefault("frequency", 1)
        config.setdefault("monitor", None)
        config.setdefault("strict", True)
        if config["interval"] not in ("epoch", "step"):
            raise ValueError(f"lr_scheduler interval must be 'epoch' or 'step', got "
                             f"{config['interval']!r}")
        plateau = isinstance(config["scheduler"], ember.optim.lr_scheduler.ReduceLROnPlateau)
        if plateau and config["monitor"] is None:
            raise ValueError("ReduceLROnPlateau needs a 'monitor' in its lr_scheduler config, "
                             "e.g. {'scheduler': ..., 'monitor': 'val_loss'}")
        config["reduce_on_plateau"] = plateau
        return config

    def _step_schedulers(self, interval, count):
        for config in self.lr_scheduler_configs:
            if config["interval"] != interval or count % config["frequency"]:
                continue
            metric = None
            if config["reduce_on_plateau"]:
                key = config["monitor"]
                if key not in self.callback_metrics:
                    if config["strict"]:
                        raise RuntimeError(
                            f"ReduceLROnPlateau monitors {key!r}, which was never logged; "
                            f"logged metrics: {sorted(self.callback_metrics)}")
                    continue
                metric = self.callback_metrics[key]
            self.lightning_module.lr_scheduler_step(config["scheduler"], metric)

    def _precision(self):
        """The autocast region of a step under mixed precision (else nothing)."""
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return ember.autocast(self.device.type, dtype=self.autocast_dtype)

    def _backward(self, loss, *args, **kwargs):
        self._hook("on_before_backward", loss)
        if self.scaler is not None:
            loss = self.scaler.scale(loss)
        self.lightning_module.backward(loss, *args, **kwargs)
        self._hook("on_after_backward")

    def _before_optimizer_step(self, optimizer):
        if self.scaler is not None and self.lightning_module.automatic_optimization:
            self.scaler.unscale_(optimizer)  # hooks and clipping see the true gradients
        self._hook("on_before_optimizer_step", optimizer)
        if self.lightning_module.automatic_optimization:
            self.lightning_module.configure_gradient_clipping(
                optimizer, self.gradient_clip_val, self.gradient_clip_algorithm)


class ScaledStep:
    """The optimizer as `optimizer_step` sees it under float16 mixed precision: `step` goes
    through the GradScaler (skipped on inf/NaN gradients, then the scale is updated)."""

    def __init__(self, optimizer, scaler):
        self.optimizer, self.scaler = optimizer, scaler

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        self.scaler.step(self.optimizer)
        self.scaler.update()
        return loss

    def __getattr__(self, name):
        return getattr(self.optimizer, name)
