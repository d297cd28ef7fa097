"""`ModelCheckpoint`: save the trainer's state, keeping the best `save_top_k` by a metric."""
import math
import os
import re

from .callback import Callback

_FIELD = re.compile(r"\{([^{}:]+)(:[^{}]*)?\}")


class ModelCheckpoint(Callback):
    """Saves a checkpoint after validation (or at the end of each training epoch when there is
    no validation), every `every_n_epochs` epochs or `every_n_train_steps` steps.

    `filename` is a template such as `"{epoch}-{val_loss:.2f}"` (fields are the epoch, the step
    and any logged metric; `auto_insert_metric_name` writes `epoch=3-val_loss=0.12`). Files are
    written atomically by `ember.save`; files that fall out of the top k are deleted.
    """

    _monitoring = True
    CHECKPOINT_EQUALS_CHAR = "="
    CHECKPOINT_NAME_LAST = "last"
    FILE_EXTENSION = ".ckpt"

    def __init__(self, dirpath=None, filename=None, monitor=None, verbose=False, save_last=None,
                 save_top_k=1, save_weights_only=False, mode="min", auto_insert_metric_name=True,
                 every_n_train_steps=None, every_n_epochs=None, save_on_train_epoch_end=None,
                 enable_version_counter=True):
        if mode not in ("min", "max"):
            raise ValueError(f"ModelCheckpoint: mode must be 'min' or 'max', got {mode!r}")
        if save_top_k < -1:
            raise ValueError(f"ModelCheckpoint: save_top_k must be >= -1, got {save_top_k}")
        if monitor is None and save_top_k not in (0, 1, -1):
            raise ValueError("ModelCheckpoint: save_top_k > 1 needs a `monitor` to rank by")
        self.dirpath, self.filename, self.monitor = dirpath, filename, monitor
        self.verbose, self.save_last, self.save_top_k = verbose, save_last, save_top_k
        self.save_weights_only, self.mode = save_weights_only, mode
        self.auto_insert_metric_name = auto_insert_metric_name
        self.every_n_train_steps = every_n_train_steps or 0
        self.every_n_epochs = 1 if every_n_epochs is None and not self.every_n_train_steps \
            else (every_n_epochs or 0)
        self.save_on_train_epoch_end = save_on_train_epoch_end
        self.best_k_models = {}  # path -> score
        self.best_model_path, self.best_model_score = "", None
        self.kth_best_model_path, self.kth_value = "", None
        self.last_model_path = ""
        self._last_global_step_saved = -1

    @property
    def state_key(self):
        return f"ModelCheckpoint{{'monitor': {self.monitor!r}, 'mode': {self.mode!r}}}"

    def state_dict(self):
        return {"monitor": self.monitor, "best_model_score": self.best_model_score,
                "best_model_path": self.best_model_path, "best_k_models": dict(self.best_k_models),
                "kth_best_model_path": self.kth_best_model_path, "kth_value": self.kth_value,
                "last_model_path": self.last_model_path, "dirpath": self.dirpath}

    def load_state_dict(self, state_dict):
        if state_dict.get("dirpath") == self.dirpath:
            self.best_k_models = dict(state_dict["best_k_models"])
            self.kth_best_model_path = state_dict["kth_best_model_path"]
            self.kth_value = state_dict["kth_value"]
            self.last_model_path = state_dict["last_model_path"]
        self.best_model_score = state_dict["best_model_score"]
        self.best_model_path = state_dict["best_model_path"]

    def setup(self, trainer, pl_module, stage):
        if self.dirpath is None:
            root = trainer.log_dir if trainer.logger is not None else trainer.default_root_dir
            self.dirpath = os.path.join(root, "checkpoints")

    # --- when to save --------------------------------------------------------------------
    def _save_at_train_epoch_end(self, trainer):
        if self.save_on_train_epoch_end is not None:
            return self.save_on_train_epoch_end
        return not trainer._has_validation() or trainer._val_at_epoch_end()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        n = self.every_n_train_steps
        if n and trainer.global_step % n == 0 and trainer.global_step > 0:
            self._save(trainer)

    def on_train_epoch_end(self, trainer, pl_module):
        if self._epoch_due(trainer) and self._save_at_train_epoch_end(trainer):
            self._save(trainer)

    def on_validation_end(self, trainer, pl_module):
        if trainer.sanity_checking or trainer.state_fn != "fit":
            return
        if self._save_at_train_epoch_end(trainer) or not self._epoch_due(trainer):
            return
        self._save(trainer)

    def _epoch_due(self, trainer):
        n = self.every_n_epochs
        return bool(n) and (trainer.current_epoch + 1) % n == 0 and not trainer.fast_dev_run

    # --- saving --------------------------------------------------------------------------
    def _save(self, trainer):
        if trainer.fast_dev_run or trainer.global_step == self._last_global_step_saved:
            return
        self._last_global_step_saved = trainer.global_step
        metrics = dict(trainer.callback_metrics, epoch=trainer.current_epoch,
                       step=trainer.global_step)
        if self.monitor is not None and self.save_top_k != 0:
            if self.monitor not in metrics:
                raise RuntimeError(
                    f"ModelCheckpoint(monitor={self.monitor!r}): the metric was never logged; "
                    f"logged metrics: {sorted(trainer.callback_metrics)}")
            self._save_top_k(trainer, float(metrics[self.monitor]), metrics)
        elif self.save_top_k != 0:
            path = self.format_checkpoint_name(metrics)
            previous = self.best_model_path
            self._write(trainer, path)
            self.best_model_path = path
            if self.save_top_k == 1 and previous and previous != path:
                _remove(previous)
        if self.save_last:
            path = self.format_checkpoint_name(metrics, self.CHECKPOINT_NAME_LAST)
            self._write(trainer, path)
            self.last_model_path = path

    def _better(self, a, b):
        return a < b if self.mode == "min" else a > b

    def _save_top_k(self, trainer, score, metrics):
        if math.isnan(score):
            score = math.inf if self.mode == "min" else -math.inf
        full = self.save_top_k != -1 and len(self.best_k_models) >= self.save_top_k
        if full and not self._better(score, self.kth_value):
            return
        path = self.format_checkpoint_name(metrics)
        if full:
            dropped = self.kth_best_model_path
            del self.best_k_models[dropped]
            if dropped != path:
                _remove(dropped)
        self.best_k_models[path] = score
        pick_worst = max if self.mode == "min" else min
        pick_best = min if self.mode == "min" else max
        self.kth_best_model_path = pick_worst(self.best_k_models, key=self.best_k_models.get)
        self.kth_value = self.best_k_models[self.kth_best_model_path]
        self.best_model_path = pick_best(self.best_k_models, key=self.best_k_models.get)
        self.best_model_score = self.best_k_models[self.best_model_path]
        if self.verbose:
            print(f"Epoch {trainer.current_epoch}, step {trainer.global_step}: {self.monitor} "
                  f"= {score:.6g}, saving {path}")
        self._write(trainer, path)

    def _write(self, trainer, path):
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        trainer.save_checkpoint(path, weights_only=self.save_weights_only)

    def format_checkpoint_name(self, metrics, filename=None):
        """The file path for `metrics` under the template, e.g. `epoch=3-val_loss=0.12.ckpt`."""
        template = filename or self.filename or "{epoch}-{step}"

        def field(match):
            name, spec = match.group(1), match.group(2) or ""
            value = metrics.get(name, 0)
            if hasattr(value, "item"):  # logged metrics are 0-dim tensors
                value = value.item()
            text = format(value, spec[1:]) if spec else str(value)
            prefix = name + self.CHECKPOINT_EQUALS_CHAR if self.auto_insert_metric_name else ""
            return prefix + text

        name = _FIELD.sub(field, template)
        return os.path.join(self.dirpath, name + self.FILE_EXTENSION)


def _remove(path):
    if path and os.path.exists(path):
        os.remove(path)
