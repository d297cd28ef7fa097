"""`Timer`: track the time spent in training / validation / testing and stop training once a
duration is used up (`Trainer(max_time=...)` adds one)."""
import re
import time
from datetime import timedelta

from .callback import Callback

_STAGES = ("train", "sanity_check", "validate", "test", "predict")


def parse_duration(duration):
    """Seconds from "DD:HH:MM:SS", a dict of `timedelta` keywords, a timedelta or a number."""
    if duration is None or isinstance(duration, (int, float)):
        return None if duration is None else float(duration)
    if isinstance(duration, timedelta):
        return duration.total_seconds()
    if isinstance(duration, dict):
        return timedelta(**duration).total_seconds()
    match = re.fullmatch(r"(\d+):(\d\d):(\d\d):(\d\d)", str(duration).strip())
    if not match:
        raise ValueError(f"Timer(duration={duration!r}) is not a valid duration; expected the "
                         "format DD:HH:MM:SS, e.g. '00:12:00:00'")
    days, hours, minutes, seconds = (int(x) for x in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes,
                     seconds=seconds).total_seconds()


class Timer(Callback):
    """`Timer(duration="00:12:00:00", interval="step")` stops training (through
    `trainer.should_stop`, so `min_epochs`/`min_steps` still hold) once the training time
    reaches `duration`, checked after every step or every epoch. The elapsed training time is
    saved in checkpoints, so a resumed run keeps counting."""

    def __init__(self, duration=None, interval="step", verbose=True):
        if interval not in ("step", "epoch"):
            raise ValueError(f"Unsupported parameter value `Timer(interval={interval!r})`. "
                             "Possible values are: 'step', 'epoch'.")
        self._duration = parse_duration(duration)
        self._interval, self._verbose = interval, verbose
        self._start_time = dict.fromkeys(_STAGES)
        self._end_time = dict.fromkeys(_STAGES)
        self._offset = 0.0

    @staticmethod
    def _stage(stage):
        if stage not in _STAGES:
            raise ValueError(f"Timer: stage must be one of {_STAGES}, got {stage!r}")
        return stage

    def start_time(self, stage="train"):
        return self._start_time[self._stage(stage)]

    def end_time(self, stage="train"):
        return self._end_time[self._stage(stage)]

    def time_elapsed(self, stage="train"):
        start, end = self.start_time(stage), self.end_time(stage)
        offset = self._offset if stage == "train" else 0.0
        if start is None:
            return offset
        return (time.monotonic() if end is None else end) - start + offset

    def time_remaining(self, stage="train"):
        return None if self._duration is None else self._duration - self.time_elapsed(stage)

    def _start(self, stage):
        self._start_time[stage], self._end_time[stage] = time.monotonic(), None

    def _end(self, stage):
        self._end_time[stage] = time.monotonic()

    def on_train_start(self, trainer, pl_module): self._start("train")
    def on_train_end(self, trainer, pl_module): self._end("train")
    def on_test_start(self, trainer, pl_module): self._start("test")
    def on_test_end(self, trainer, pl_module): self._end("test")

    def on_validation_start(self, trainer, pl_module):
        self._start("sanity_check" if trainer.sanity_checking else "validate")

    def on_validation_end(self, trainer, pl_module):
        self._end("sanity_check" if trainer.sanity_checking else "validate")

    def on_fit_start(self, trainer, pl_module):
        # A restored timer may already be used up, whatever the interval.
        if self._duration is not None:
            self._check(trainer)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if self._interval == "step" and self._duration is not None:
            self._check(trainer)

    def on_train_epoch_end(self, trainer, pl_module):
        if self._interval == "epoch" and self._duration is not None:
            self._check(trainer)

    def _check(self, trainer):
        if self.time_elapsed("train") >= self._duration:
            trainer.should_stop = True
            if self._verbose:
                elapsed = timedelta(seconds=int(self.time_elapsed("train")))
                print(f"Time limit reached. Elapsed time is {elapsed}. Signaling Trainer to "
                      "stop.")

    def state_dict(self):
        return {"time_elapsed": {stage: self.time_elapsed(stage) for stage in _STAGES}}

    def load_state_dict(self, state_dict):
        self._offset = state_dict.get("time_elapsed", {}).get("train", 0.0)
