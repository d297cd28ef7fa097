"""`LightningDataModule`: the data side of a run (download, split, dataloaders) in one place."""


class LightningDataModule:
    """Subclass it and define `setup(stage)` and the `*_dataloader` methods."""

    def __init__(self):
        self.trainer = None

    def prepare_data(self): pass
    def setup(self, stage): pass
    def teardown(self, stage): pass
    def train_dataloader(self): return None
    def val_dataloader(self): return None
    def test_dataloader(self): return None
    def predict_dataloader(self): return None

    def state_dict(self):
        """Extra state saved in checkpoints; restored with `load_state_dict`."""
        return {}

    def load_state_dict(self, state_dict):
        pass

    def on_before_batch_transfer(self, batch, dataloader_idx):
        return batch

    def on_after_batch_transfer(self, batch, dataloader_idx):
        return batch
