"""`Logger`: the interface the trainer writes metrics and hyperparameters through."""
import os


def next_version(root_dir):
    """Lightning's versioned directories: one past the highest `version_<n>` in `root_dir`."""
    if not os.path.isdir(root_dir):
        return 0
    found = [int(d[len("version_"):]) for d in os.listdir(root_dir)
             if d.startswith("version_") and d[len("version_"):].isdigit()]
    return max(found) + 1 if found else 0


class Logger:
    @property
    def name(self):
        return ""

    @property
    def version(self):
        return None

    @property
    def save_dir(self):
        return None

    @property
    def log_dir(self):
        return self.save_dir

    def log_metrics(self, metrics, step=None):
        raise NotImplementedError

    def log_hyperparams(self, params):
        raise NotImplementedError

    def save(self):
        pass

    def finalize(self, status):
        self.save()
