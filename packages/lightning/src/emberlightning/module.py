"""`LightningModule`: an `ember.nn.Module` that also says how to train, validate and test itself."""
import copy
import inspect

import ember

_TRAINER_ARGS = ("self", "__class__")


class AttributeDict(dict):
    """A dict whose keys read as attributes too (`model.hparams.lr`), as Lightning's."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError as e:
            raise AttributeError(f"'AttributeDict' has no attribute {key!r}") from e

    def __setattr__(self, key, value):
        self[key] = value


class _ManualOptimizer:
    """Wraps an optimizer handed out by `self.optimizers()` so that its steps advance
    `global_step` and pass through the `on_before_optimizer_step` hooks and gradient clipping
    is left to the user (as in Lightning's manual optimisation)."""

    def __init__(self, optimizer, trainer):
        self.optimizer, self._trainer = optimizer, trainer

    def step(self, closure=None):
        self._trainer._before_optimizer_step(self.optimizer)
        result = self.optimizer.step(closure)
        self._trainer.global_step += 1
        return result

    def zero_grad(self, set_to_none=True):
        self.optimizer.zero_grad(set_to_none=set_to_none)

    def __getattr__(self, name):
        return getattr(self.optimizer, name)


class LightningModule(ember.nn.Module):
    """Subclass it, define `training_step` and `configure_optimizers`, hand it to a `Trainer`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.automatic_optimization = True
        self.trainer = None
        self._hparams = AttributeDict()
        self.example_input_array = None

    # --- state the trainer exposes -------------------------------------------------------
    @property
    def current_epoch(self):
        return self.trainer.current_epoch if self.trainer is not None else 0

    @property
    def global_step(self):
        return self.trainer.global_step if self.trainer is not None else 0

    @property
    def device(self):
        for p in self.parameters():
            return p.device
        return ember.device("cpu")

    @property
    def dtype(self):
        for p in self.parameters():
            return p.dtype
        return ember.get_default_dtype()

    @property
    def hparams(self):
        return self._hparams

    # --- hyperparameters and checkpoints -------------------------------------------------
    def save_hyperparameters(self, *args, ignore=None):
        """Record the caller's `__init__` arguments (or the names given) in `self.hparams`."""
        frame = inspect.currentframe().f_back
        local_vars = frame.f_locals
        ignore = [ignore] if isinstance(ignore, str) else list(ignore or [])
        if len(args) == 1 and isinstance(args[0], dict):
            values = dict(args[0])
        else:
            # The arguments of the __init__ that called us (a subclass may have other ones).
            init = next((c.__dict__["__init__"] for c in type(self).__mro__
                         if getattr(c.__dict__.get("__init__"), "__code__", None)
                         is frame.f_code), type(self).__init__)
            init_args = inspect.signature(init).parameters
            names = args or [n for n in init_args if n not in _TRAINER_ARGS]
            values = {}
            for name in names:
                if name not in local_vars:
                    raise ValueError(f"save_hyperparameters: {name!r} is not an argument of "
                                     f"{type(self).__name__}.__init__")
                if init_args.get(name) is not None and init_args[name].kind == 4:  # **kwargs
                    values.update(local_vars[name])
                elif init_args.get(name) is None or init_args[name].kind != 2:  # not *args
                    values[name] = local_vars[name]
        for name in ignore:
            values.pop(name, None)
        self._hparams.update(copy.deepcopy(values))

    @classmethod
    def load_from_checkpoint(cls, checkpoint_path, map_location=None, strict=True, **kwargs):
        """Build the module from the hyperparameters saved in a checkpoint (overridden by
        `kwargs`) and load its weights."""
        checkpoint = ember.load(checkpoint_path, map_location=map_location, weights_only=False)
        model = cls(**{**checkpoint.get("hyper_parameters", {}), **kwargs})
        model.on_load_checkpoint(checkpoint)
        model.load_state_dict(checkpoint["state_dict"], strict=strict)
        return model

    # --- logging -------------------------------------------------------------------------
    def log(self, name, value, prog_bar=False, logger=None, on_step=None, on_epoch=None,
            reduce_fx="mean", enable_graph=False, sync_dist=False, sync_dist_group=None,
            add_dataloader_idx=True, batch_size=None, metric_attribute=None, rank_zero_only=False):
        """Record a scalar; the trainer aggregates it per step and/or per epoch (weighted by the
        batch size for a mean) and hands it to the progress bar, loggers and callbacks.
        `sync_dist=True` combines the value over the ranks of a ddp run first."""
        if self.trainer is None:
            return
        if sync_dist:
            value = self.trainer._strategy.reduce(value, reduce_fx)
        self.trainer._metrics.log(name, value, prog_bar=prog_bar, logger=logger,
                                  on_step=on_step, on_epoch=on_epoch, reduce_fx=reduce_fx,
                                  batch_size=batch_size)

    def log_dict(self, dictionary, prog_bar=False, logger=None, on_step=None, on_epoch=None,
                 reduce_fx="mean", enable_graph=False, sync_dist=False, sync_dist_group=None,
                 add_dataloader_idx=True, batch_size=None, rank_zero_only=False):
        for name, value in dictionary.items():
            self.log(name, value, prog_bar=prog_bar, logger=logger, on_step=on_step,
                     on_epoch=on_epoch, reduce_fx=reduce_fx, batch_size=batch_size,
                     sync_dist=sync_dist)

    # --- optimisation --------------------------------------------------------------------
    def configure_optimizers(self):
        raise NotImplementedError(f"{type(self).__name__}: `configure_optimizers` must be "
                                  "defined to train with the Trainer")

    def optimizers(self, use_pl_optimizer=True):
        """The optimizer(s) from `configure_optimizers` (a list when there are several)."""
        wrapped = [_ManualOptimizer(o, self.trainer) if use_pl_optimizer else o
                   for o in self.trainer.optimizers]
        return wrapped[0] if len(wrapped) == 1 else wrapped

    def lr_schedulers(self):
        schedulers = [config["scheduler"] for config in self.trainer.lr_scheduler_configs]
        if not schedulers:
            return None
        return schedulers[0] if len(schedulers) == 1 else schedulers

    def manual_backward(self, loss, *args, **kwargs):
        self.trainer._backward(loss, *args, **kwargs)

    def backward(self, loss, *args, **kwargs):
        loss.backward(*args, **kwargs)

    def optimizer_zero_grad(self, epoch, batch_idx, optimizer):
        optimizer.zero_grad()

    def optimizer_step(self, epoch, batch_idx, optimizer, optimizer_closure=None):
        optimizer.step(closure=optimizer_closure)

    def configure_gradient_clipping(self, optimizer, gradient_clip_val=None,
                                    gradient_clip_algorithm=None):
        self.clip_gradients(optimizer, gradient_clip_val, gradient_clip_algorithm)

    def clip_gradients(self, optimizer, gradient_clip_val=None, gradient_clip_algorithm=None):
        if not gradient_clip_val:
            return
        params = [p for group in optimizer.param_groups for p in group["params"]]
        if (gradient_clip_algorithm or "norm") == "value":
            ember.nn.utils.clip_grad_value_(params, gradient_clip_val)
        else:
            ember.nn.utils.clip_grad_norm_(params, gradient_clip_val)

    def lr_scheduler_step(self, scheduler, metric):
        if metric is None:
            scheduler.step()
        else:
            scheduler.step(metric)

    # --- steps and data (overridden by users) --------------------------------------------
    def forward(self, *args, **kwargs):
        return super().forward(*args, **kwargs)

    def training_step(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__}: `training_step` must be defined "
                                  "to train with the Trainer")

    def predict_step(self, batch, batch_idx=0, dataloader_idx=0):
        return self(batch)

    def transfer_batch_to_device(self, batch, device, dataloader_idx):
        return _move(batch, device)

    def on_before_batch_transfer(self, batch, dataloader_idx):
        return batch

    def on_after_batch_transfer(self, batch, dataloader_idx):
        return batch

    # Hooks with no default behaviour; same names as Lightning's.
    def prepare_data(self): pass
    def setup(self, stage): pass
    def teardown(self, stage): pass
    def configure_model(self): pass
    def on_fit_start(self): pass
    def on_fit_end(self): pass
    def on_train_start(self): pass
    def on_train_end(self): pass
    def on_validation_start(self): pass
    def on_validation_end(self): pass
    def on_test_start(self): pass
    def on_test_end(self): pass
    def on_predict_start(self): pass
    def on_predict_end(self): pass
    def on_train_epoch_start(self): pass
    def on_train_epoch_end(self): pass
    def on_validation_epoch_start(self): pass
    def on_validation_epoch_end(self): pass
    def on_test_epoch_start(self): pass
    def on_test_epoch_end(self): pass
    def on_predict_epoch_start(self): pass
    def on_predict_epoch_end(self): pass
    def on_train_batch_start(self, batch, batch_idx): pass
    def on_train_batch_end(self, outputs, batch, batch_idx): pass
    def on_validation_batch_start(self, batch, batch_idx, dataloader_idx=0): pass
    def on_validation_batch_end(self, outputs, batch, batch_idx, dataloader_idx=0): pass
    def on_test_batch_start(self, batch, batch_idx, dataloader_idx=0): pass
    def on_test_batch_end(self, outputs, batch, batch_idx, dataloader_idx=0): pass
    def on_predict_batch_start(self, batch, batch_idx, dataloader_idx=0): pass
    def on_predict_batch_end(self, outputs, batch, batch_idx, dataloader_idx=0): pass
    def on_validation_model_eval(self): self.eval()
    def on_validation_model_train(self): self.train()
    def on_test_model_eval(self): self.eval()
    def on_test_model_train(self): self.train()
    def on_predict_model_eval(self): self.eval()
    def on_before_zero_grad(self, optimizer): pass
    def on_before_backward(self, loss): pass
    def on_after_backward(self): pass
    def on_before_optimizer_step(self, optimizer): pass
    def on_save_checkpoint(self, checkpoint): pass
    def on_load_checkpoint(self, checkpoint): pass
    def train_dataloader(self): return None
    def val_dataloader(self): return None
    def test_dataloader(self): return None
    def predict_dataloader(self): return None


def _move(batch, device):
    """Tensors anywhere inside lists/tuples/dicts moved to `device`; everything else as is."""
    if isinstance(batch, ember.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return type(batch)((k, _move(v, device)) for k, v in batch.items())
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):  # namedtuple
        return type(batch)(*(_move(v, device) for v in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(_move(v, device) for v in batch)
    return batch
