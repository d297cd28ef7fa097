"""`EarlyStopping`: stop training when a monitored metric stops improving."""
import math

from .callback import Callback


class EarlyStopping(Callback):
    """Stops after `patience` checks without an improvement larger than `min_delta`.

    Checks run after each validation (or at the end of each training epoch with
    `check_on_train_epoch_end=True`, or when there is no validation at all).
    """

    _monitoring = True

    def __init__(self, monitor, min_delta=0.0, patience=3, verbose=False, mode="min",
                 strict=True, check_finite=True, stopping_threshold=None,
                 divergence_threshold=None, check_on_train_epoch_end=None,
                 log_rank_zero_only=False):
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        self.monitor, self.mode, self.patience, self.verbose = monitor, mode, patience, verbose
        self.min_delta = abs(min_delta) if mode == "max" else -abs(min_delta)
        self.strict, self.check_finite = strict, check_finite
        self.stopping_threshold, self.divergence_threshold = (stopping_threshold,
                                                              divergence_threshold)
        self.check_on_train_epoch_end = check_on_train_epoch_end
        self.wait_count, self.stopped_epoch = 0, 0
        self.best_score = math.inf if mode == "min" else -math.inf
        self.stopping_reason = None

    @property
    def state_key(self):
        return f"EarlyStopping{{'monitor': {self.monitor!r}, 'mode': {self.mode!r}}}"

    def state_dict(self):
        return {"wait_count": self.wait_count, "stopped_epoch": self.stopped_epoch,
                "best_score": self.best_score, "patience": self.patience}

    def load_state_dict(self, state_dict):
        self.wait_count, self.stopped_epoch = state_dict["wait_count"], state_dict["stopped_epoch"]
        self.best_score, self.patience = state_dict["best_score"], state_dict["patience"]

    def _better(self, current, reference):
        return current < reference if self.mode == "min" else current > reference

    def _on_train_epoch_end_check(self, trainer):
        if self.check_on_train_epoch_end is None:
            return not trainer._has_validation()
        return self.check_on_train_epoch_end

    def on_train_epoch_end(self, trainer, pl_module):
        if self._on_train_epoch_end_check(trainer):
            self._check(trainer)

    def on_validation_end(self, trainer, pl_module):
        if not trainer.sanity_checking and not self._on_train_epoch_end_check(trainer):
            self._check(trainer)

    def _check(self, trainer):
        if self.monitor not in trainer.callback_metrics:
            if self.strict:
                raise RuntimeError(
                    f"EarlyStopping: the monitored metric {self.monitor!r} was never logged; "
                    f"logged metrics: {sorted(trainer.callback_metrics)}")
            return
        current = float(trainer.callback_metrics[self.monitor])
        stop, reason = False, None
        if self.check_finite and not math.isfinite(current):
            stop, reason = True, f"{self.monitor} = {current} is not finite"
        elif self.stopping_threshold is not None and self._better(current,
                                                                  self.stopping_threshold):
            stop, reason = True, (f"{self.monitor} = {current} reached the stopping threshold "
                                  f"{self.stopping_threshold}")
        elif self.divergence_threshold is not None and self._better(self.divergence_threshold,
                                                                    current):
            stop, reason = True, (f"{self.monitor} = {current} diverged past "
                                  f"{self.divergence_threshold}")
        elif self._better(current - self.min_delta, self.best_score):
            self.best_score, self.wait_count = current, 0
        else:
            self.wait_count += 1
            if self.wait_count >= self.patience:
                stop, reason = True, (f"{self.monitor} did not improve in the last "
                                      f"{self.wait_count} checks; best {self.best_score:.6g}")
        if stop:
            trainer.should_stop = True
            self.stopped_epoch, self.stopping_reason = trainer.current_epoch, reason
            if self.verbose:
                print(f"EarlyStopping: {reason}; stopping.")
