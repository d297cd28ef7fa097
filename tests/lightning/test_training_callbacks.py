"""Timer, GradientAccumulationScheduler, StochasticWeightAveraging, LearningRateMonitor and
ReduceLROnPlateau through the Trainer."""
import csv
import os
import time
from datetime import timedelta

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from _models import LinearModel, loader
from emberlightning import Trainer, seed_everything
from emberlightning.callbacks import (GradientAccumulationScheduler, LambdaCallback,
                                      LearningRateMonitor, StochasticWeightAveraging, Timer)

QUIET = dict(enable_progress_bar=False, enable_model_summary=False, logger=False,
             enable_checkpointing=False, num_sanity_val_steps=0)


def weights(model):
    return [p.detach().numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("duration,seconds", [("00:12:00:00", 12 * 3600),
                                              ({"minutes": 2}, 120),
                                              (timedelta(seconds=5), 5)])
def test_timer_parses_durations(duration, seconds):
    assert Timer(duration).time_remaining() == seconds
    with pytest.raises(ValueError, match="DD:HH:MM:SS"):
        Timer("12 hours")
    with pytest.raises(ValueError, match="interval"):
        Timer(interval="batch")


def test_timer_stops_training_and_keeps_its_state():
    class Slow(LinearModel):
        def training_step(self, batch, batch_idx):
            time.sleep(0.01)
            return super().training_step(batch, batch_idx)

    timer = Timer(duration=timedelta(seconds=0.08), verbose=False)
    trainer = Trainer(max_epochs=5, callbacks=[timer], **QUIET)
    trainer.fit(Slow(), loader())
    assert trainer.should_stop and 3 <= trainer.global_step < 20
    assert timer.time_elapsed("train") >= 0.08 and timer.time_remaining() <= 0
    assert timer.start_time("validate") is None
    restored = Timer(duration={"seconds": 1})
    restored.load_state_dict(timer.state_dict())
    assert restored.time_elapsed() == pytest.approx(timer.time_elapsed(), abs=1e-6)
    # Trainer(max_time=...) installs a Timer with the same duration.
    trainer = Trainer(max_time={"seconds": 0.05}, callbacks=[], **QUIET)
    assert any(isinstance(c, Timer) for c in trainer.callbacks)


def test_gradient_accumulation_scheduler_equals_manual_accumulation():
    seed_everything(0)
    model = LinearModel()
    reference = LinearModel()
    reference.load_state_dict(model.state_dict())
    seen = []
    Trainer(max_epochs=3, callbacks=[
        GradientAccumulationScheduler({1: 2, 2: 4}),
        LambdaCallback(on_train_epoch_start=lambda t, m: seen.append(t.accumulate_grad_batches))],
        **QUIET).fit(model, loader())
    assert seen == [1, 2, 4]
    optimizer = ember.optim.SGD(reference.parameters(), lr=0.1)
    for factor in (1, 2, 4):
        for i, (x, y) in enumerate(loader()):
            (F.mse_loss(reference(x), y) / factor).backward()
            if (i + 1) % factor == 0:
                optimizer.step()
                optimizer.zero_grad()
    for a, b in zip(weights(model), weights(reference)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="factors must be integers >= 1"):
        GradientAccumulationScheduler({0: 0})
    with pytest.raises(ValueError, match="Either remove"):
        Trainer(max_epochs=1, accumulate_grad_batches=2, callbacks=[
            GradientAccumulationScheduler({0: 2})], **QUIET).fit(LinearModel(), loader())


def test_swa_swaps_in_the_average_of_the_epoch_start_weights():
    seed_everything(0)
    starts = []
    swa = StochasticWeightAveraging(swa_lrs=0.02, swa_epoch_start=2, annealing_epochs=1)
    model = LinearModel()
    trainer = Trainer(max_epochs=4, callbacks=[
        LambdaCallback(on_train_epoch_start=lambda t, m: starts.append(weights(m))), swa],
        **QUIET)
    trainer.fit(model, loader())
    # swa_epoch_start=2 (1-based): the weights at the start of epochs 1, 2, 3 are averaged.
    expected = [np.mean([s[i] for s in starts[1:]], axis=0) for i in range(2)]
    for a, b in zip(weights(model), expected):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert swa.n_averaged == 3
    lr = trainer.optimizers[0].param_groups[0]["lr"]
    assert lr == pytest.approx(0.02)  # annealed to swa_lrs within one epoch


def test_swa_recomputes_batch_norm_statistics_for_the_average():
    class WithBatchNorm(LinearModel):
        def __init__(self):
            super().__init__()
            self.norm = ember.nn.BatchNorm1d(4)

        def forward(self, x):
            return self.layer(self.norm(x))

    seed_everything(0)
    model = WithBatchNorm()
    trainer = Trainer(max_epochs=3, callbacks=[StochasticWeightAveraging(swa_lrs=0.05)],
                      **QUIET)
    trainer.fit(model, loader())
    assert trainer.max_epochs == 3 and trainer.current_epoch == 4
    assert trainer.global_step == 3 * 8  # the BatchNorm epoch takes no optimizer steps
    x = ember.cat([x for x, _ in loader()])
    np.testing.assert_allclose(model.norm.running_mean.numpy(), x.numpy().mean(0), rtol=1e-5,
                               atol=1e-6)
    assert model.norm.momentum == 0.1


class Scheduled(LinearModel):
    def __init__(self, plateau=False):
        super().__init__()
        self.plateau = plateau

    def validation_step(self, batch, batch_idx):
        self.log("val_loss", 1.0)  # never improves

    def configure_optimizers(self):
        optimizer = ember.optim.SGD(self.parameters(), lr=0.1, momentum=0.9)
        if self.plateau:
            plateau = ember.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5,
                                                                 patience=0)
            return {"optimizer": optimizer,
                    "lr_scheduler": {"scheduler": plateau, "monitor": self.plateau}}
        return [optimizer], [ember.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)]


def test_learning_rate_monitor_logs_each_epoch(tmp_path):
    trainer = Trainer(max_epochs=3, default_root_dir=tmp_path, limit_train_batches=2,
                      callbacks=[LearningRateMonitor(log_momentum=True)],
                      enable_progress_bar=False, enable_model_summary=False,
                      enable_checkpointing=False)
    trainer.fit(Scheduled(), loader())
    with open(os.path.join(trainer.logger.log_dir, "metrics.csv")) as f:
        rows = [r for r in csv.DictReader(f) if r["lr-SGD"]]
    assert [float(r["lr-SGD"]) for r in rows] == [0.1, 0.05, 0.025]
    assert [float(r["lr-SGD-momentum"]) for r in rows] == [0.9] * 3
    assert isinstance(trainer.callback_metrics["lr-SGD"], ember.Tensor)


def test_reduce_lr_on_plateau_follows_its_monitor():
    trainer = Trainer(max_epochs=3, limit_train_batches=2, **QUIET)
    trainer.fit(Scheduled(plateau="val_loss"), loader(), loader())
    assert trainer.optimizers[0].param_groups[0]["lr"] == pytest.approx(0.025)
    with pytest.raises(RuntimeError, match="'nope', which was never logged"):
        Trainer(max_epochs=1, limit_train_batches=2, **QUIET).fit(
            Scheduled(plateau="nope"), loader(), loader())
