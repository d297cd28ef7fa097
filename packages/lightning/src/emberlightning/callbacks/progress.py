"""`TQDMProgressBar`: a one-line progress bar on stderr, or one summary line per epoch when
stderr is not a terminal (logs and CI stay readable)."""
import sys
import time

from .callback import Callback


def _format_metrics(metrics):
    return ", ".join(f"{k}={float(v):.4g}" for k, v in metrics.items())


class TQDMProgressBar(Callback):
    def __init__(self, refresh_rate=1, leave=False, stream=None):
        self.refresh_rate, self.leave = refresh_rate, leave
        self._stream = stream
        self._start = 0.0

    @property
    def stream(self):
        return self._stream or sys.stderr

    @property
    def interactive(self):
        return getattr(self.stream, "isatty", lambda: False)()

    def _bar(self, label, done, total, metrics):
        if not self.interactive or done % self.refresh_rate and done != total:
            return
        elapsed = time.perf_counter() - self._start
        width = 25
        filled = int(width * done / total) if total else 0
        rate = done / elapsed if elapsed > 0 else 0.0
        text = (f"\r{label}: {done}/{total} [{'#' * filled}{'.' * (width - filled)}] "
                f"{elapsed:.1f}s {rate:.1f}it/s {_format_metrics(metrics)}")
        self.stream.write(text[:200].ljust(120))
        self.stream.flush()

    def on_train_epoch_start(self, trainer, pl_module):
        self._start = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        self._bar(f"Epoch {trainer.current_epoch}", batch_idx + 1, trainer.num_training_batches,
                  trainer.progress_bar_metrics)

    def on_train_epoch_end(self, trainer, pl_module):
        line = (f"Epoch {trainer.current_epoch}: {trainer.num_training_batches} batches "
                f"in {time.perf_counter() - self._start:.1f}s  "
                f"{_format_metrics(trainer.progress_bar_metrics)}")
        self.stream.write(("\r" + line.ljust(120) if self.interactive else line) + "\n")
        self.stream.flush()

    def on_test_start(self, trainer, pl_module):
        self._start = time.perf_counter()

    def on_test_batch_end(self, trainer, pl_module, outputs, batch, batch_idx,
                          dataloader_idx=0):
        self._bar("Testing", batch_idx + 1, trainer.num_test_batches[dataloader_idx],
                  trainer.progress_bar_metrics)

    def on_test_end(self, trainer, pl_module):
        if self.interactive:
            self.stream.write("\r" + " " * 120 + "\r")
            self.stream.flush()
