"""`CSVLogger`: metrics to `<save_dir>/<name>/version_<n>/metrics.csv` and hyperparameters to
`hparams.yaml` beside it, the layout Lightning's CSVLogger writes."""
import csv
import os

from .logger import Logger, next_version


def _yaml_scalar(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    return text if text and text.replace("_", "").replace("-", "").replace(".", "").isalnum() \
        and text.lower() not in ("true", "false", "null", "yes", "no") else repr(text)


def to_yaml(data, indent=0):
    """Simple YAML for dicts, lists and scalars (what hyperparameters are); no PyYAML needed."""
    pad = "  " * indent
    lines = []
    for key, value in data.items():
        if isinstance(value, dict) and value:
            lines.append(f"{pad}{key}:")
            lines.append(to_yaml(value, indent + 1))
        elif isinstance(value, (list, tuple)) and value:
            lines.append(f"{pad}{key}:")
            lines += [f"{pad}- {_yaml_scalar(v)}" for v in value]
        else:
            lines.append(f"{pad}{key}: {_yaml_scalar(value if value != {} else None)}")
    return "\n".join(lines)


class CSVLogger(Logger):
    NAME_HPARAMS_FILE = "hparams.yaml"
    NAME_METRICS_FILE = "metrics.csv"

    def __init__(self, save_dir, name="lightning_logs", version=None, prefix="",
                 flush_logs_every_n_steps=100):
        self._save_dir, self._name, self._version = os.fspath(save_dir), name or "", version
        self.prefix, self.flush_every = prefix, flush_logs_every_n_steps
        self.hparams, self.metrics, self._keys = {}, [], []

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
        return os.path.join(self.root_dir, version)

    def log_hyperparams(self, params):
        self.hparams.update(dict(params or {}))
        os.makedirs(self.log_dir, exist_ok=True)
        with open(os.path.join(self.log_dir, self.NAME_HPARAMS_FILE), "w") as f:
            f.write(to_yaml(self.hparams) + "\n" if self.hparams else "{}\n")

    def log_metrics(self, metrics, step=None):
        row = {(self.prefix + "-" + k if self.prefix else k): v for k, v in metrics.items()}
        row["step"] = step
        self.metrics.append(row)
        if len(self.metrics) % self.flush_every == 0:
            self.save()

    def save(self):
        """Rewrite metrics.csv with every row so far (columns may grow as new keys appear)."""
        os.makedirs(self.log_dir, exist_ok=True)
        for row in self.metrics:
            self._keys += [k for k in row if k not in self._keys]
        keys = sorted(self._keys, key=lambda k: (k == "step", k))
        with open(os.path.join(self.log_dir, self.NAME_METRICS_FILE), "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=keys)
            writer.writeheader()
            writer.writerows(self.metrics)
