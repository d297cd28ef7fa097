"""`Logger`: the interface the trainer writes metrics and hyperparameters through."""


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
