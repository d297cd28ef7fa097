"""`TensorBoardLogger`: metrics and hyperparameters as TensorBoard event files under
`<save_dir>/<name>/version_<n>/`, written by tensorboardX (the optional extra
`ember-lightning[tensorboard]`); hparams.yaml beside them as Lightning writes it."""
import os

from .csv_logs import to_yaml
from .logger import Logger, next_version


def _summary_writer():
    try:
        from tensorboardX import SummaryWriter
    except ImportError as e:
        raise ModuleNotFoundError(
            "TensorBoardLogger writes event files with tensorboardX, which is not installed: "
            "pip install 'ember-lightning[tensorboard]' (or pip install tensorboardX)") from e
    return SummaryWriter


class TensorBoardLogger(Logger):
    NAME_HPARAMS_FILE = "hparams.yaml"

    def __init__(self, save_dir, name="lightning_logs", version=None, log_graph=False,
                 default_hp_metric=True, prefix="", sub_dir=None, **kwargs):
        self._writer_class = _summary_writer()  # fail at construction, not mid-run
        self._save_dir, self._name, self._version = os.fspath(save_dir), name or "", version
        self._sub_dir = None if sub_dir is None else os.fspath(sub_dir)
        self._default_hp_metric, self._prefix, self._kwargs = default_hp_metric, prefix, kwargs
        self.hparams, self._experiment = {}, None

    @property
    def name(self):
        return self._name

    @property
    def save_dir(self):
        return self._save_dir

    @property
    def root_dir(self):
        return os.path.join(self._save_dir, self._name)

    @property
    def version(self):
        if self._version is None:
            self._version = next_version(self.root_dir)
        return self._version

    @property
    def log_dir(self):
        version = self.version if isinstance(self.version, str) else f"version_{self.version}"
        path = os.path.join(self.root_dir, version)
        return os.path.join(path, self._sub_dir) if self._sub_dir else path

    @property
    def experiment(self):
        """The tensorboardX `SummaryWriter` (created on first use)."""
        if self._experiment is None:
            os.makedirs(self.log_dir, exist_ok=True)
            self._experiment = self._writer_class(logdir=self.log_dir, **self._kwargs)
        return self._experiment

    def log_metrics(self, metrics, step=None):
        for key, value in metrics.items():
            tag = f"{self._prefix}-{key}" if self._prefix else key
            if isinstance(value, dict):
                self.experiment.add_scalars(tag, {k: float(v) for k, v in value.items()}, step)
            else:
                self.experiment.add_scalar(tag, float(value), step)

    def log_hyperparams(self, params, metrics=None):
        """hparams.yaml, and the hyperparameters in TensorBoard's HPARAMS tab (with
        `hp_metric` = -1 until the user logs it, Lightning's `default_hp_metric`)."""
        from tensorboardX.summary import hparams

        self.hparams.update(dict(params or {}))
        os.makedirs(self.log_dir, exist_ok=True)
        with open(os.path.join(self.log_dir, self.NAME_HPARAMS_FILE), "w") as f:
            f.write(to_yaml(self.hparams) + "\n" if self.hparams else "{}\n")
        if metrics is None and self._default_hp_metric:
            metrics = {"hp_metric": -1}
        if not self.hparams or not metrics:
            return
        flat = {k: v if isinstance(v, (int, float, str, bool)) else str(v)
                for k, v in self.hparams.items()}
        writer = self.experiment._get_file_writer()
        for summary in hparams(flat, metrics):
            writer.add_summary(summary)
        self.log_metrics(metrics, 0)

    def save(self):
        if self._experiment is not None:
            self._experiment.flush()

    def finalize(self, status):
        if self._experiment is not None:
            self._experiment.flush()
            self._experiment.close()
            self._experiment = None
