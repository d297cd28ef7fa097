"""What `self.log` records and how Lightning turns it into step and epoch values.

Each stage (train, validate, test) keeps its own epoch accumulators, so a validation run in the
middle of a training epoch leaves the training means intact. A metric logged with both
`on_step` and `on_epoch` reaches the loggers as `<name>_step` and `<name>_epoch`; callbacks see
`<name>` as its latest value (the step value during the epoch, the epoch value after it).

As in Lightning, `callback_metrics`, `logged_metrics` and `progress_bar_metrics` hold 0-dim
ember tensors (the default float dtype); the loggers receive plain floats.
"""
import contextlib
import math

import ember

_REDUCERS = {"mean": "mean", "avg": "mean", "sum": "sum", "max": "max", "min": "min"}

# Hooks where Lightning refuses `self.log` (its _FxValidator entries set to None).
NO_LOG = frozenset({
    "lr_scheduler_step", "on_fit_start", "on_fit_end", "on_sanity_check_start",
    "on_sanity_check_end", "on_train_end", "on_validation_end", "on_test_end",
    "on_predict_start", "on_predict_end", "on_predict_epoch_start", "on_predict_epoch_end",
    "on_before_batch_transfer", "transfer_batch_to_device", "on_after_batch_transfer",
    "on_predict_batch_start", "on_predict_batch_end", "on_exception", "on_save_checkpoint",
    "on_load_checkpoint", "setup", "teardown", "configure_model", "predict_step",
    "configure_optimizers", "train_dataloader", "val_dataloader", "test_dataloader",
    "predict_dataloader", "prepare_data", "on_validation_model_eval", "on_test_model_eval",
    "on_validation_model_train", "on_test_model_train", "on_predict_model_eval"})


def as_tensor(value):
    return ember.tensor(float(value))


def _as_float(name, value):
    if isinstance(value, ember.Tensor):
        if value.numel() != 1:
            raise ValueError(f"self.log({name!r}, ...): the value must be a scalar, got a "
                             f"tensor of shape {tuple(value.shape)}")
        return float(value.detach().item())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"self.log({name!r}, ...): the value must be a number or a one-element "
                    f"tensor, got {type(value).__name__}")


class _Entry:
    __slots__ = ("on_step", "on_epoch", "prog_bar", "logger", "reduce_fx", "values", "sizes")

    def __init__(self, on_step, on_epoch, prog_bar, logger, reduce_fx):
        self.on_step, self.on_epoch = on_step, on_epoch
        self.prog_bar, self.logger, self.reduce_fx = prog_bar, logger, reduce_fx
        self.values, self.sizes = [], []

    def reduce(self):
        fx = self.reduce_fx
        if callable(fx):
            out = fx(ember.tensor(self.values, dtype=ember.float64))
            return _as_float("reduce_fx", out)
        if fx == "mean":
            return sum(v * n for v, n in zip(self.values, self.sizes)) / sum(self.sizes)
        if fx == "sum":
            return sum(self.values)
        return max(self.values) if fx == "max" else min(self.values)


class MetricStore:
    """The trainer's record of logged values: `callback_metrics`, `logged_metrics`, and
    `progress_bar_metrics` as Lightning exposes them."""

    def __init__(self):
        self.callback_metrics, self.logged_metrics, self.progress_bar_metrics = {}, {}, {}
        self._epoch = {}  # stage -> {name: _Entry}
        self._pending_step = {}  # values logged on_step this batch, for the loggers
        self.stage, self.in_step, self.batch_size = "train", False, 1
        self.fx = None  # the hook running now, when it is one that may not log

    @contextlib.contextmanager
    def inside(self, fx):
        """Mark the code run inside as hook `fx` (so `self.log` there is checked)."""
        previous, self.fx = self.fx, fx
        try:
            yield
        finally:
            self.fx = previous

    def begin(self, stage, in_step, batch_size=1):
        """Say where the next `self.log` calls come from (a step hook or an epoch hook)."""
        self.stage, self.in_step, self.batch_size = stage, in_step, batch_size

    def log(self, name, value, prog_bar, logger, on_step, on_epoch, reduce_fx, batch_size):
        if self.fx in NO_LOG:
            raise RuntimeError(f"You can't `self.log()` inside `{self.fx}` (logging {name!r}); "
                               "log from a step or epoch hook, or write to the logger directly")
        train_step = self.stage == "train" and self.in_step
        on_step = train_step if on_step is None else on_step
        on_epoch = (not train_step) if on_epoch is None else on_epoch
        if on_step and not self.in_step:
            raise ValueError(f"self.log({name!r}, on_step=True) is not allowed in an epoch-level "
                             "hook: there is no current step")
        if not callable(reduce_fx) and reduce_fx not in _REDUCERS:
            raise ValueError(f"self.log({name!r}): reduce_fx must be one of {sorted(_REDUCERS)} "
                             f"or a callable, got {reduce_fx!r}")
        reduce_fx = reduce_fx if callable(reduce_fx) else _REDUCERS[reduce_fx]
        logger = True if logger is None else logger
        value = _as_float(name, value)
        entries = self._epoch.setdefault(self.stage, {})
        entry = entries.get(name)
        if entry is None:
            entry = entries[name] = _Entry(on_step, on_epoch, prog_bar, logger, reduce_fx)
        if on_step:
            step_name = f"{name}_step" if on_epoch else name
            self._publish(name, step_name, value, entry)
            if logger:
                self._pending_step[step_name] = value
        if on_epoch:
            entry.values.append(value)
            entry.sizes.append(self.batch_size if batch_size is None else batch_size)

    def _publish(self, name, full_name, value, entry):
        value = as_tensor(value)
        self.callback_metrics[full_name] = value
        self.callback_metrics[name] = value
        if entry.prog_bar:
            self.progress_bar_metrics[full_name] = value

    def take_step_metrics(self):
        """The values logged on_step since the last call (for the loggers)."""
        pending, self._pending_step = self._pending_step, {}
        return pending

    def end_epoch(self, stage):
        """Reduce the stage's epoch accumulators; returns the values meant for the loggers."""
        for_logger = {}
        for name, entry in self._epoch.pop(stage, {}).items():
            if not entry.on_epoch or not entry.values:
                continue
            value = entry.reduce()
            epoch_name = f"{name}_epoch" if entry.on_step else name
            self._publish(name, epoch_name, value, entry)
            if entry.logger:
                for_logger[epoch_name] = value
        return for_logger

    def drop_stage(self, stage):
        self._epoch.pop(stage, None)

    def snapshot(self):
        return (dict(self.callback_metrics), dict(self.logged_metrics),
                dict(self.progress_bar_metrics))

    def restore(self, snapshot):
        self.callback_metrics, self.logged_metrics, self.progress_bar_metrics = snapshot


def is_finite(value):
    return not (math.isnan(value) or math.isinf(value))
