import numpy as np
import pytest

import ember
import ember.nn.functional as F
from _models import LinearModel, loader
from emberlightning import Trainer, seed_everything
from emberlightning.callbacks import ModelCheckpoint

QUIET = dict(enable_progress_bar=False, enable_model_summary=False, logger=False,
             enable_checkpointing=False)


def weights(model):
    return [p.detach().numpy().copy() for p in model.parameters()]


def test_matches_hand_written_loop():
    seed_everything(0)
    model = LinearModel()
    reference = LinearModel()
    reference.load_state_dict(model.state_dict())
    Trainer(max_epochs=2, num_sanity_val_steps=0, **QUIET).fit(model, loader())
    optimizer = ember.optim.SGD(reference.parameters(), lr=0.1)
    for _ in range(2):
        for x, y in loader():
            optimizer.zero_grad()
            F.mse_loss(reference(x), y).backward()
            optimizer.step()
    for a, b in zip(weights(model), weights(reference)):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_accumulation_equals_larger_batch():
    seed_everything(0)
    a, b = LinearModel(), LinearModel()
    b.load_state_dict(a.state_dict())
    Trainer(max_epochs=1, accumulate_grad_batches=4, **QUIET).fit(a, loader(batch_size=8))
    Trainer(max_epochs=1, **QUIET).fit(b, loader(batch_size=32))
    for x, y in zip(weights(a), weights(b)):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("algorithm", ["norm", "value"])
def test_gradient_clipping(algorithm):
    seen = []

    class Probe(LinearModel):
        def on_before_optimizer_step(self, optimizer):
            seen.append("before")

        def optimizer_step(self, epoch, batch_idx, optimizer, optimizer_closure=None):
            grads = [p.grad.numpy() for p in self.parameters()]
            if algorithm == "norm":
                seen.append(np.sqrt(sum((g ** 2).sum() for g in grads)))
            else:
                seen.append(max(np.abs(g).max() for g in grads))
            super().optimizer_step(epoch, batch_idx, optimizer, optimizer_closure)

    Trainer(max_steps=3, gradient_clip_val=0.01, gradient_clip_algorithm=algorithm,
            **QUIET).fit(Probe(), loader())
    values = [v for v in seen if v != "before"]
    assert len(values) == 3 and all(v <= 0.01 + 1e-6 for v in values)


def test_fast_dev_run_and_limits():
    model = LinearModel()
    trainer = Trainer(fast_dev_run=2, enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(model, loader(), loader())
    assert trainer.global_step == 2 and trainer.logger is None
    trainer = Trainer(max_epochs=2, limit_train_batches=3, limit_val_batches=0.25, **QUIET)
    trainer.fit(LinearModel(), loader(), loader())
    assert trainer.global_step == 6 and trainer.num_val_batches == [2]
    trainer.test(model, loader(), )
    assert "test_loss" in trainer.callback_metrics


def test_logging_aggregation_weighted_by_batch_size():
    class Logs(LinearModel):
        def training_step(self, batch, batch_idx):
            self.log("value", float(batch_idx), on_step=True, on_epoch=True)
            self.log("total", 1.0, on_step=False, on_epoch=True, reduce_fx="sum")
            return super().training_step(batch, batch_idx)

    trainer = Trainer(max_epochs=1, **QUIET)
    trainer.fit(Logs(), loader(n=20, batch_size=8))  # batches of 8, 8, 4
    metrics = trainer.callback_metrics
    assert metrics["value_step"] == 2.0
    assert metrics["value_epoch"] == pytest.approx((0 * 8 + 1 * 8 + 2 * 4) / 20)
    assert metrics["total"] == 3.0
    assert "value_epoch" in trainer.logged_metrics


def test_checkpoint_resume_reaches_same_weights(tmp_path):
    def run(max_epochs, ckpt_path=None, dirpath=tmp_path):
        seed_everything(1)
        model = LinearModel(lr=0.05)
        checkpoint = ModelCheckpoint(dirpath=dirpath, save_last=True)
        trainer = Trainer(max_epochs=max_epochs, logger=False, enable_progress_bar=False,
                          enable_model_summary=False, callbacks=[checkpoint])
        trainer.fit(model, loader(shuffle=True), ckpt_path=ckpt_path)
        return model, trainer

    full, _ = run(4, dirpath=tmp_path / "full")
    run(2, dirpath=tmp_path / "part")
    resumed, trainer = run(4, ckpt_path=tmp_path / "part" / "last.ckpt",
                           dirpath=tmp_path / "part")
    assert trainer.current_epoch == 4
    for a, b in zip(weights(full), weights(resumed)):
        np.testing.assert_array_equal(a, b)


def test_training_step_returning_none_skips_and_bad_return_errors():
    class Skips(LinearModel):
        def training_step(self, batch, batch_idx):
            return None if batch_idx % 2 else super().training_step(batch, batch_idx)

    trainer = Trainer(max_epochs=1, **QUIET)
    trainer.fit(Skips(), loader())
    assert trainer.global_step == 4

    class Bad(LinearModel):
        def training_step(self, batch, batch_idx):
            return "loss"

    with pytest.raises(TypeError, match="training_step must return"):
        Trainer(max_epochs=1, **QUIET).fit(Bad(), loader())


def test_precision_settings():
    model = LinearModel()
    Trainer(max_steps=1, precision="64-true", **QUIET).fit(model, loader())
    assert model.layer.weight.dtype == ember.float64
    with pytest.raises(ValueError, match="precision must be one of"):
        Trainer(precision="8-true")


@pytest.mark.parametrize("precision,dtype", [("bf16-mixed", "bfloat16"),
                                             ("16-mixed", "float16")])
def test_mixed_precision(precision, dtype):
    seen = {}

    class Probe(LinearModel):
        def training_step(self, batch, batch_idx):
            x, y = batch
            out = self.layer(x)
            seen["out"] = out.dtype
            loss = F.mse_loss(out, y)
            seen["loss"] = loss.dtype
            return loss

        def on_before_optimizer_step(self, optimizer):
            seen["grad"] = self.layer.weight.grad.dtype

    seed_everything(0)
    model = Probe()
    trainer = Trainer(max_epochs=3, precision=precision, num_sanity_val_steps=0, **QUIET)
    trainer.fit(model, loader())
    assert seen == {"out": getattr(ember, dtype), "loss": ember.float32, "grad": ember.float32}
    assert model.layer.weight.dtype is ember.float32
    assert (trainer.scaler is not None) == (precision == "16-mixed")
    x, y = next(iter(loader()))
    assert F.mse_loss(model(x), y).item() < 0.5
