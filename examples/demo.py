"""Train a small CNN on the bundled handwritten digits with emberlightning's Trainer (CPU).

    python examples/demo.py [--out DIR] [--max-epochs N]

Progress on stderr, checkpoints, early stopping and CSV metrics under `demo_runs/` (or --out),
then the test accuracy and a few predictions next to their labels. No network needed.
"""
import argparse
import os
import time

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.utils.data import DataLoader, random_split
from emberlightning import LightningModule, Trainer, seed_everything
from emberlightning.callbacks import EarlyStopping, ModelCheckpoint
from emberlightning.loggers import CSVLogger
from embervision.datasets import Digits

SHADES = " .:-=+*#%@"


class DigitsCNN(LightningModule):
    def __init__(self, lr=5e-3):
        super().__init__()
        self.save_hyperparameters()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),    # (B, 16, 8, 8)
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),   # (B, 32, 8, 8)
            nn.MaxPool2d(2))                              # (B, 32, 4, 4)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.25), nn.Linear(32 * 16, 10))

    def forward(self, x):
        return self.classifier(self.features(x))

    def _shared_step(self, batch, stage):
        images, labels = batch
        logits = self(images)
        loss = F.cross_entropy(logits, labels)
        accuracy = (logits.argmax(dim=1) == labels).float().mean()
        self.log(f"{stage}_loss", loss, prog_bar=True)
        self.log(f"{stage}_acc", accuracy, prog_bar=stage != "train")
        return loss

    def training_step(self, batch, batch_idx):
        return self._shared_step(batch, "train")

    def validation_step(self, batch, batch_idx):
        self._shared_step(batch, "val")

    def test_step(self, batch, batch_idx):
        self._shared_step(batch, "test")

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        return self(batch[0]).argmax(dim=1)

    def configure_optimizers(self):
        optimizer = ember.optim.Adam(self.parameters(), lr=self.hparams.lr)
        scheduler = ember.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler,
                                                         "interval": "epoch"}}


def ascii_digit(image):
    """An 8x8 image in [0, 1] as 8 lines of characters, darker for more ink."""
    rows = image.reshape(8, 8).tolist()
    return ["".join(SHADES[min(int(v * len(SHADES)), len(SHADES) - 1)] * 2 for v in row)
            for row in rows]


def main(out="demo_runs", max_epochs=15, quiet=False):
    started = time.perf_counter()
    seed_everything(0)
    full_train = Digits(train=True)
    train_set, val_set = random_split(full_train, [1293, 144],
                                      generator=ember.Generator().manual_seed(0))
    test_set = Digits(train=False)
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=144)
    test_loader = DataLoader(test_set, batch_size=180)

    model = DigitsCNN()
    logger = CSVLogger(out, name="digits")
    checkpoint = ModelCheckpoint(monitor="val_acc", mode="max", save_top_k=2, save_last=True,
                                 filename="digits-{epoch:02d}-{val_acc:.3f}")
    early_stopping = EarlyStopping(monitor="val_loss", mode="min", patience=3, min_delta=1e-3)
    trainer = Trainer(max_epochs=max_epochs, accelerator="cpu", logger=logger,
                      callbacks=[checkpoint, early_stopping], log_every_n_steps=10,
                      enable_progress_bar=not quiet, enable_model_summary=not quiet)
    trainer.fit(model, train_loader, val_loader)

    best = DigitsCNN.load_from_checkpoint(checkpoint.best_model_path)
    results = trainer.test(best, test_loader)
    accuracy = results[0]["test_acc"]
    predictions = ember.cat(trainer.predict(best, DataLoader(test_set, batch_size=8),
                                            return_predictions=True)[:1])
    if not quiet:
        print(f"\nTrained {trainer.current_epoch} epochs "
              f"({early_stopping.stopping_reason or 'max_epochs reached'})")
        print(f"Best checkpoint: {checkpoint.best_model_path} "
              f"(val_acc={checkpoint.best_model_score:.4f})")
        print(f"Metrics: {os.path.join(logger.log_dir, 'metrics.csv')}")
        print(f"\nTest accuracy: {accuracy:.4f} on {len(test_set)} images "
              f"({time.perf_counter() - started:.1f}s in all)\n")
        images = [test_set[i][0] for i in range(4)]
        drawings = [ascii_digit(img.numpy()) for img in images]
        for line in zip(*drawings):
            print("   ".join(line))
        print("   ".join(f"pred {int(predictions[i])} / label {test_set[i][1]}".ljust(16)
                         for i in range(4)))
        print("\nFirst 8 test images: predicted", predictions.tolist(),
              "\n                      labels   ", [test_set[i][1] for i in range(8)])
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo_runs", help="where logs and checkpoints go")
    parser.add_argument("--max-epochs", type=int, default=15)
    args = parser.parse_args()
    main(args.out, args.max_epochs)
