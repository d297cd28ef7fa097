"""Checkpoint save / restore for the `Trainer`, and the loop position a checkpoint records.

A checkpoint holds the module's weights, optimizer / scheduler / scaler states, callback
states, RNG states and the loop position (epoch, batch index, the RNG state at the start of
the epoch), so a run resumed mid-epoch draws the same shuffle and continues to the same weights.
"""
import os
import random

import numpy as np

import ember


def rng_state():
    return {"python": random.getstate(), "numpy": [x.tolist() if hasattr(x, "tolist") else x
                                                   for x in np.random.get_state()],
            "ember": ember.random.get_rng_state()}


def set_rng_state(state):
    random.setstate(state["python"])
    kind, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((kind, np.array(keys, dtype=np.uint32), pos, has_gauss, gauss))
    ember.random.set_rng_state(state["ember"])


def save(trainer, filepath, weights_only=False):
    """Write the run's state to `filepath` atomically (through `ember.save`)."""
    model = trainer.lightning_module
    checkpoint = {"epoch": trainer.current_epoch, "global_step": trainer.global_step,
                  "ember_lightning_version": "0.1.0", "state_dict": model.state_dict(),
                  "hyper_parameters": dict(model.hparams),
                  "loops": {"batch_idx": trainer._batch_idx,
                            "batches_that_stepped": trainer._batches_that_stepped,
                            "epoch_done": trainer._batch_idx >= trainer.num_training_batches,
                            "epoch_start_rng": trainer._epoch_start_rng}}
    if not weights_only:
        checkpoint["optimizer_states"] = [o.state_dict() for o in trainer.optimizers]
        if trainer.scaler is not None:
            checkpoint["MixedPrecision"] = trainer.scaler.state_dict()  # Lightning's key
        checkpoint["lr_schedulers"] = [c["scheduler"].state_dict()
                                       for c in trainer.lr_scheduler_configs]
        checkpoint["callbacks"] = {c.state_key: c.state_dict() for c in trainer.callbacks}
        checkpoint["rng_states"] = rng_state()
        if trainer.datamodule is not None:
            checkpoint["datamodule_state"] = trainer.datamodule.state_dict()
        for callback in trainer.callbacks:
            callback.on_save_checkpoint(trainer, model, checkpoint)
        model.on_save_checkpoint(checkpoint)
    os.makedirs(os.path.dirname(os.path.abspath(filepath)), exist_ok=True)
    ember.save(checkpoint, filepath)


def resolve(trainer, ckpt_path):
    """The file behind `ckpt_path` ("last" and "best" ask the ModelCheckpoint callback)."""
    if ckpt_path not in ("last", "best"):
        return os.fspath(ckpt_path)
    callback = trainer.checkpoint_callback
    path = None
    if callback is not None:
        path = callback.last_model_path if ckpt_path == "last" else callback.best_model_path
        if not path and ckpt_path == "last" and callback.dirpath and \
                os.path.isdir(callback.dirpath):
            found = [os.path.join(callback.dirpath, f) for f in os.listdir(callback.dirpath)
                     if f.endswith(".ckpt")]
            path = max(found, key=os.path.getmtime) if found else None
    if not path:
        raise FileNotFoundError(f"ckpt_path={ckpt_path!r}: no such checkpoint was saved by a "
                                "ModelCheckpoint callback")
    return path


def load_weights(trainer, ckpt_path):
    """Load only the module's weights (validate / test / predict)."""
    checkpoint = ember.load(resolve(trainer, ckpt_path), weights_only=False)
    trainer.lightning_module.load_state_dict(checkpoint["state_dict"])


def load(trainer, ckpt_path):
    """Restore everything but the loop position (see `restore_loop`) for a resumed fit."""
    checkpoint = ember.load(resolve(trainer, ckpt_path), weights_only=False)
    model = trainer.lightning_module
    model.on_load_checkpoint(checkpoint)
    model.load_state_dict(checkpoint["state_dict"])
    for optimizer, state in zip(trainer.optimizers, checkpoint.get("optimizer_states", [])):
        optimizer.load_state_dict(state)
    if trainer.scaler is not None and checkpoint.get("MixedPrecision"):
        trainer.scaler.load_state_dict(checkpoint["MixedPrecision"])
    for config, state in zip(trainer.lr_scheduler_configs, checkpoint.get("lr_schedulers", [])):
        config["scheduler"].load_state_dict(state)
    states = checkpoint.get("callbacks", {})
    for callback in trainer.callbacks:
        if callback.state_key in states:
            callback.load_state_dict(states[callback.state_key])
        callback.on_load_checkpoint(trainer, model, checkpoint)
    if trainer.datamodule is not None and "datamodule_state" in checkpoint:
        trainer.datamodule.load_state_dict(checkpoint["datamodule_state"])
    trainer.global_step = checkpoint["global_step"]
    return checkpoint


def restore_loop(trainer, checkpoint):
    """Where the resumed run starts: (epoch, batches of it already done)."""
    loops = checkpoint["loops"]
    trainer._batches_that_stepped = loops["batches_that_stepped"]
    if "rng_states" in checkpoint:
        set_rng_state(checkpoint["rng_states"])
    if loops["epoch_done"]:
        return checkpoint["epoch"] + 1, 0
    trainer._epoch_start_rng = loops["epoch_start_rng"]
    return checkpoint["epoch"], loops["batch_idx"] + 1
