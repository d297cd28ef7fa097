"""Small modules shared by the lightning tests."""
import ember
import ember.nn.functional as F
from ember.utils.data import DataLoader, TensorDataset
from emberlightning import LightningModule


def regression_data(n=64, seed=0):
    g = ember.Generator().manual_seed(seed)
    x = ember.randn(n, 4, generator=g)
    y = x @ ember.tensor([[1.0], [-2.0], [0.5], [3.0]]) + 0.1
    return TensorDataset(x, y)


def loader(n=64, batch_size=8, shuffle=False):
    return DataLoader(regression_data(n), batch_size=batch_size, shuffle=shuffle)


class LinearModel(LightningModule):
    def __init__(self, lr=0.1):
        super().__init__()
        self.save_hyperparameters()
        self.layer = ember.nn.Linear(4, 1)

    def forward(self, x):
        return self.layer(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.mse_loss(self(x), y)
        self.log("train_loss", loss, on_step=True, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", F.mse_loss(self(x), y))

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.log("test_loss", F.mse_loss(self(x), y))

    def configure_optimizers(self):
        return ember.optim.SGD(self.parameters(), lr=self.hparams.lr)
