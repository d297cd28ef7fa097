"""Trainer loop features: validation scheduling, overfit_batches, sanity steps, limits,
reloading dataloaders, min_epochs, predict, ckpt_path="best", metrics as tensors, self.log
checks, hook order of validate/test/predict, and a mid-epoch resume."""
import numpy as np
import pytest

import ember
from _models import LinearModel, loader
from emberlightning import Trainer, seed_everything
from emberlightning.callbacks import Callback, EarlyStopping, ModelCheckpoint

QUIET = dict(enable_progress_bar=False, enable_model_summary=False, logger=False,
             enable_checkpointing=False)


class CountValidation(Callback):
    def __init__(self):
        self.at = []

    def on_validation_start(self, trainer, pl_module):
        if not trainer.sanity_checking:
            self.at.append(trainer.global_step)


@pytest.mark.parametrize("interval,every_n,expected", [
    (0.25, 1, [2, 4, 6, 8, 10, 12, 14, 16]), (3, 1, [3, 6, 11, 14]),
    (5, None, [5, 10, 15])])
def test_val_check_interval(interval, every_n, expected):
    counter = CountValidation()
    Trainer(max_epochs=2, val_check_interval=interval, check_val_every_n_epoch=every_n,
            num_sanity_val_steps=0, callbacks=[counter], **QUIET).fit(LinearModel(), loader(),
                                                                      loader())
    assert counter.at == expected


def test_overfit_batches_trains_and_validates_on_the_same_fixed_batches():
    seen = {"train": [], "val": []}

    class Records(LinearModel):
        def training_step(self, batch, batch_idx):
            seen["train"].append(batch[0].numpy().copy())
            return super().training_step(batch, batch_idx)

        def validation_step(self, batch, batch_idx):
            seen["val"].append(batch[0].numpy().copy())

    trainer = Trainer(max_epochs=2, overfit_batches=2, num_sanity_val_steps=0, **QUIET)
    trainer.fit(Records(), loader(shuffle=True), loader())
    assert trainer.num_training_batches == 2 and trainer.num_val_batches == [2]
    first = [x for x, _ in loader()][:2]
    for got in (seen["train"], seen["val"]):
        assert len(got) == 4
        for a, b in zip(got, first + first):
            np.testing.assert_array_equal(a, b.numpy())


@pytest.mark.parametrize("steps,expected", [(-1, 8), (3, 3), (0, 0)])
def test_num_sanity_val_steps(steps, expected):
    count = []

    class Counts(LinearModel):
        def validation_step(self, batch, batch_idx):
            if self.trainer.sanity_checking:
                count.append(batch_idx)

    Trainer(max_epochs=1, limit_train_batches=1, num_sanity_val_steps=steps,
            **QUIET).fit(Counts(), loader(), loader())
    assert len(count) == expected


def test_float_limits_and_too_small_fraction():
    trainer = Trainer(max_epochs=1, limit_train_batches=0.5, **QUIET)
    trainer.fit(LinearModel(), loader())
    assert trainer.global_step == 4
    with pytest.raises(ValueError, match="limit_train_batches=0.05 of 8 batches"):
        Trainer(max_epochs=1, limit_train_batches=0.05, **QUIET).fit(LinearModel(), loader())


def test_reload_dataloaders_every_n_epochs():
    calls = []

    class Reloads(LinearModel):
        def train_dataloader(self):
            calls.append(self.current_epoch)
            return loader(n=8 * (len(calls) + 1))

    trainer = Trainer(max_epochs=4, reload_dataloaders_every_n_epochs=2, **QUIET)
    trainer.fit(Reloads())
    assert calls == [0, 2] and trainer.global_step == 2 * 2 + 2 * 3


def test_min_epochs_outlasts_early_stopping():
    class Flat(LinearModel):
        def validation_step(self, batch, batch_idx):
            self.log("val_loss", 1.0)

    trainer = Trainer(max_epochs=10, min_epochs=5, limit_train_batches=1,
                      callbacks=[EarlyStopping("val_loss", patience=1)], **QUIET)
    trainer.fit(Flat(), loader(), loader())
    assert trainer.should_stop and trainer.current_epoch == 5


class Predicts(LinearModel):
    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        return self(batch[0])


def test_predict_returns_lists():
    trainer = Trainer(**QUIET)
    out = trainer.predict(Predicts(), loader(n=20))
    assert isinstance(out, list) and [o.shape[0] for o in out] == [8, 8, 4]
    out = trainer.predict(Predicts(), [loader(n=8), loader(n=16)])
    assert [len(o) for o in out] == [1, 2]


def test_ckpt_path_best_for_validate_and_test(tmp_path):
    checkpoint = ModelCheckpoint(dirpath=tmp_path, monitor="val_loss", save_top_k=1)
    trainer = Trainer(max_epochs=3, callbacks=[checkpoint], enable_progress_bar=False,
                      enable_model_summary=False, logger=False)
    model = LinearModel(lr=0.5)  # diverges: the best checkpoint is an early one
    trainer.fit(model, loader(), loader())
    best = LinearModel.load_from_checkpoint(checkpoint.best_model_path)
    expected = Trainer(**QUIET).test(best, loader())[0]["test_loss"]
    assert trainer.test(ckpt_path="best", dataloaders=loader())[0]["test_loss"] == \
        pytest.approx(expected)
    assert trainer.validate(model, loader(), ckpt_path="best")[0]["val_loss"] == \
        pytest.approx(expected)
    assert trainer.test(dataloaders=loader())[0]["test_loss"] == pytest.approx(expected)


def test_metrics_are_tensors_and_log_checks():
    class Logs(LinearModel):
        def on_train_epoch_end(self):
            self.log("epoch_value", 2.0)

    trainer = Trainer(max_epochs=1, **QUIET)
    trainer.fit(Logs(), loader())
    for metrics in (trainer.callback_metrics, trainer.logged_metrics):
        assert all(isinstance(v, ember.Tensor) and v.dim() == 0 for v in metrics.values())
    assert float(trainer.callback_metrics["epoch_value"]) == 2.0

    class Vector(LinearModel):
        def training_step(self, batch, batch_idx):
            self.log("per_sample", batch[1][:, 0])
            return super().training_step(batch, batch_idx)

    with pytest.raises(ValueError, match=r"'per_sample'.*scalar.*\(8,\)"):
        Trainer(max_steps=1, **QUIET).fit(Vector(), loader())

    class FitStart(LinearModel):
        def on_fit_start(self):
            self.log("x", 1.0)

    with pytest.raises(RuntimeError, match="inside `on_fit_start`.*'x'"):
        Trainer(max_steps=1, **QUIET).fit(FitStart(), loader())


def _record(hooks):
    calls = []

    class Recorder(LinearModel):
        pass

    for name in hooks:
        original = getattr(LinearModel, name)

        def wrapper(self, *args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(self, *args, **kwargs)
        setattr(Recorder, name, wrapper)
    return Recorder(), calls


@pytest.mark.parametrize("verb,noun", [("validate", "validation"), ("test", "test"),
                                       ("predict", "predict")])
def test_hook_order_for_evaluation_matches_lightning(verb, noun):
    step = f"{noun}_step"
    batch = ["on_before_batch_transfer", "transfer_batch_to_device", "on_after_batch_transfer",
             f"on_{noun}_batch_start", step, f"on_{noun}_batch_end"]
    expected = ["prepare_data", "setup", "configure_model", f"on_{noun}_model_eval",
                f"on_{noun}_start", f"on_{noun}_epoch_start", *batch,
                f"on_{noun}_epoch_end", f"on_{noun}_end"]
    if verb != "predict":
        expected.append(f"on_{noun}_model_train")
    expected.append("teardown")
    model, calls = _record(set(expected))
    model.predict_step = lambda batch, batch_idx: calls.append("predict_step")
    getattr(Trainer(**QUIET), verb)(model, loader(n=8))
    assert calls == expected


def test_mid_epoch_resume_matches_uninterrupted_run(tmp_path):
    class Scheduled(LinearModel):
        def configure_optimizers(self):
            optimizer = ember.optim.SGD(self.parameters(), lr=0.05, momentum=0.9)
            return [optimizer], [ember.optim.lr_scheduler.StepLR(optimizer, 1, gamma=0.7)]

    def run(dirpath, ckpt_path=None, **kwargs):
        seed_everything(3)
        model = Scheduled()
        checkpoint = ModelCheckpoint(dirpath=dirpath, every_n_train_steps=3, save_top_k=-1)
        trainer = Trainer(max_epochs=3, callbacks=[checkpoint], logger=False,
                          enable_progress_bar=False, enable_model_summary=False,
                          num_sanity_val_steps=0, **kwargs)
        trainer.fit(model, loader(shuffle=True), ckpt_path=ckpt_path)
        return model, trainer

    full, _ = run(tmp_path / "full")
    run(tmp_path / "part", max_steps=11)  # stops in the middle of epoch 1
    resumed, trainer = run(tmp_path / "part", ckpt_path=tmp_path / "part" / "epoch=1-step=9.ckpt")
    assert trainer.global_step == 24 and trainer.current_epoch == 3
    for a, b in zip(full.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
