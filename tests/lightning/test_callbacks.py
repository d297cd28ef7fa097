import csv
import os

import pytest

from _models import LinearModel, loader
from emberlightning import Trainer
from emberlightning.callbacks import EarlyStopping, LambdaCallback, ModelCheckpoint
from emberlightning.loggers import CSVLogger

QUIET = dict(enable_progress_bar=False, enable_model_summary=False)

# Lightning's documented hook order for fit (module hooks), one epoch with one train batch.
FIT_ORDER = [
    "setup", "configure_model", "configure_optimizers", "on_fit_start",
    "on_validation_model_eval", "on_validation_start", "on_validation_epoch_start",
    "on_validation_batch_start", "validation_step", "on_validation_batch_end",
    "on_validation_epoch_end", "on_validation_end", "on_validation_model_train",
    "on_train_start", "on_train_epoch_start", "on_train_batch_start", "training_step",
    "on_before_zero_grad", "optimizer_zero_grad", "on_before_backward", "backward",
    "on_after_backward", "on_before_optimizer_step", "configure_gradient_clipping",
    "optimizer_step", "on_train_batch_end",
    "on_validation_model_eval", "on_validation_start", "on_validation_epoch_start",
    "on_validation_batch_start", "validation_step", "on_validation_batch_end",
    "on_validation_epoch_end", "on_validation_end", "on_validation_model_train",
    "on_train_epoch_end", "on_train_end", "on_fit_end", "teardown"]


def test_hook_order_matches_lightning():
    calls = []

    class Recorder(LinearModel):
        pass

    for name in set(FIT_ORDER):
        original = getattr(LinearModel, name)

        def wrapper(self, *args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(self, *args, **kwargs)
        setattr(Recorder, name, wrapper)

    Trainer(max_epochs=1, limit_train_batches=1, limit_val_batches=1, num_sanity_val_steps=1,
            logger=False, enable_checkpointing=False, **QUIET).fit(Recorder(), loader(), loader())
    assert calls == FIT_ORDER


def test_early_stopping_and_missing_metric():
    class Flat(LinearModel):
        def validation_step(self, batch, batch_idx):
            self.log("val_loss", 1.0)

    stopper = EarlyStopping(monitor="val_loss", patience=2)
    trainer = Trainer(max_epochs=20, logger=False, enable_checkpointing=False,
                      callbacks=[stopper], **QUIET)
    trainer.fit(Flat(), loader(), loader())
    assert trainer.should_stop and trainer.current_epoch == 3 and stopper.wait_count == 2
    with pytest.raises(RuntimeError, match="'nope'.*val_loss"):
        Trainer(max_epochs=2, logger=False, enable_checkpointing=False,
                callbacks=[EarlyStopping(monitor="nope")], **QUIET).fit(LinearModel(), loader(),
                                                                        loader())


def test_model_checkpoint_top_k_and_csv_logger(tmp_path):
    checkpoint = ModelCheckpoint(monitor="val_loss", save_top_k=2, save_last=True,
                                 filename="{epoch}-{val_loss:.4f}")
    seen = []
    trainer = Trainer(max_epochs=4, default_root_dir=tmp_path, **QUIET,
                      callbacks=[checkpoint, LambdaCallback(
                          on_train_epoch_end=lambda t, m: seen.append(t.current_epoch))])
    trainer.fit(LinearModel(), loader(), loader())
    assert seen == [0, 1, 2, 3]
    files = sorted(os.listdir(checkpoint.dirpath))
    assert len(files) == 3 and "last.ckpt" in files and files[0].startswith("epoch=")
    assert checkpoint.best_model_path.endswith(".ckpt") and checkpoint.best_model_score < 10
    restored = LinearModel.load_from_checkpoint(checkpoint.best_model_path)
    assert restored.hparams.lr == 0.1
    log_dir = trainer.logger.log_dir
    assert log_dir.endswith(os.path.join("lightning_logs", "version_0"))
    with open(os.path.join(log_dir, "metrics.csv")) as f:
        rows = list(csv.DictReader(f))
    assert {"val_loss", "train_loss_epoch", "epoch", "step"} <= set(rows[0])
    assert open(os.path.join(log_dir, "hparams.yaml")).read() == "lr: 0.1\n"
    assert CSVLogger(tmp_path).version == 1
