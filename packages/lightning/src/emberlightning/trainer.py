"""`Trainer`: the fit / validate / test / predict loops (optimizer and precision plumbing in
`_optimization`).

Read `fit` top to bottom: setup, optimizers, restore, sanity check, then `_train_epoch` per
epoch, each batch through `_train_batch`. Everything optional (checkpoints, early stopping,
progress, summaries, learning-rate logging) is a callback reached through `_hook`.
"""
import itertools
import os

import ember

from . import _checkpoint
from ._batches import batch_size_of, limit_batches, loss_of, to_float64, unshuffled
from ._metrics import MetricStore, as_tensor
from ._optimization import OptimizationMixin, ScaledStep, as_list
from .callbacks import Callback, ModelCheckpoint, ModelSummary, Timer, TQDMProgressBar
from .loggers import CSVLogger
from .strategies import select_strategy


_END = object()
_PRECISIONS = {"32-true": ember.float32, "32": ember.float32, 32: ember.float32,
               "64-true": ember.float64, "64": ember.float64, 64: ember.float64}
# Mixed precision: steps run under ember.autocast in this dtype; float16 also scales the loss.
_MIXED = {"16-mixed": ember.float16, "16": ember.float16, 16: ember.float16,
          "bf16-mixed": ember.bfloat16, "bf16": ember.bfloat16}


class Trainer(OptimizationMixin):
    """Lightning's `Trainer` arguments and loops on ember (one process, one device)."""

    def __init__(self, *, accelerator="auto", strategy="auto", devices="auto", num_nodes=1,
                 precision="32-true", logger=None, callbacks=None, fast_dev_run=False,
                 max_epochs=None, min_epochs=None, max_steps=-1, min_steps=None, max_time=None,
                 limit_train_batches=None, limit_val_batches=None, limit_test_batches=None,
                 limit_predict_batches=None, overfit_batches=0.0, val_check_interval=None,
                 check_val_every_n_epoch=1, num_sanity_val_steps=None, log_every_n_steps=None,
                 enable_checkpointing=None, enable_progress_bar=None, enable_model_summary=None,
                 accumulate_grad_batches=1, gradient_clip_val=None, gradient_clip_algorithm=None,
                 deterministic=None, benchmark=None, inference_mode=True,
                 use_distributed_sampler=True, profiler=None, detect_anomaly=False,
                 barebones=False, plugins=None, sync_batchnorm=False,
                 reload_dataloaders_every_n_epochs=0, default_root_dir=None):
        self.device = self._pick_device(accelerator, devices)
        self._strategy = select_strategy(strategy, devices, num_nodes)
        if precision not in _PRECISIONS and precision not in _MIXED:
            raise ValueError(f"Trainer: precision must be one of '32-true', '64-true', "
                             f"'16-mixed', 'bf16-mixed'; got {precision!r}")
        if gradient_clip_algorithm not in (None, "norm", "value"):
            raise ValueError("Trainer: gradient_clip_algorithm must be 'norm' or 'value', got "
                             f"{gradient_clip_algorithm!r}")
        if accumulate_grad_batches < 1:
            raise ValueError("Trainer: accumulate_grad_batches must be >= 1, got "
                             f"{accumulate_grad_batches}")
        self.precision, self.dtype = precision, _PRECISIONS.get(precision, ember.float32)
        self.autocast_dtype = _MIXED.get(precision)
        self.scaler = (ember.amp.GradScaler(self.device.type)
                       if self.autocast_dtype is ember.float16 else None)
        self.default_root_dir = os.fspath(default_root_dir or os.getcwd())
        self.fast_dev_run = int(fast_dev_run) if fast_dev_run else 0
        n = self.fast_dev_run
        if n:
            max_epochs, max_steps, num_sanity_val_steps = 1, n, 0
            limit_train_batches = limit_val_batches = limit_test_batches = n
            limit_predict_batches, val_check_interval, logger = n, 1.0, False
        if max_epochs is None:
            max_epochs = 1000 if max_steps == -1 and max_time is None else -1
        self.max_epochs, self.min_epochs = max_epochs, min_epochs or 0
        self.max_steps, self.min_steps = max_steps, min_steps or 0
        self.limit_train_batches, self.limit_val_batches = limit_train_batches, limit_val_batches
        self.limit_test_batches, self.limit_predict_batches = (limit_test_batches,
                                                               limit_predict_batches)
        self.overfit_batches = overfit_batches
        self.reload_dataloaders_every_n_epochs = reload_dataloaders_every_n_epochs
        self._data_args, self._last_reload_epoch = (None, None), 0
        self.val_check_interval = 1.0 if val_check_interval is None else val_check_interval
        self.check_val_every_n_epoch = check_val_every_n_epoch
        self.num_sanity_val_steps = 2 if num_sanity_val_steps is None else num_sanity_val_steps
        self.log_every_n_steps = 50 if log_every_n_steps is None else log_every_n_steps
        self.accumulate_grad_batches = accumulate_grad_batches
        self.gradient_clip_val = gradient_clip_val
        self.gradient_clip_algorithm = gradient_clip_algorithm or "norm"
        self.inference_mode = inference_mode
        self.deterministic, self.benchmark = deterministic, benchmark
        if logger is None or logger is True:
            logger = CSVLogger(self.default_root_dir)
        self.loggers = [] if logger is False else (list(logger) if isinstance(logger, (list, tuple))
                                                   else [logger])
        callbacks = list(callbacks or [])
        if max_time is not None and not any(isinstance(c, Timer) for c in callbacks):
            callbacks.append(Timer(duration=max_time, interval="step"))  # Lightning's way
        self.callbacks = self._default_callbacks(callbacks, enable_checkpointing,
                                                 enable_progress_bar, enable_model_summary)
        self.lightning_module, self.datamodule = None, None
        self.optimizers, self.lr_scheduler_configs = [], []
        self.current_epoch, self.global_step = 0, 0
        self.should_stop, self.sanity_checking, self.state_fn = False, False, None
        self._metrics = MetricStore()
        self._batches_that_stepped, self._batch_idx, self._epoch_start_rng = 0, 0, None
        self._skip_backward = False
        self.num_training_batches, self.num_val_batches, self.num_test_batches = 0, [], []
        self.train_dataloader, self.val_dataloaders, self.test_dataloaders = None, [], []

    @staticmethod
    def _pick_device(accelerator, devices):
        if accelerator in ("gpu", "cuda") or (accelerator == "auto" and ember.cuda.is_available()):
            if not ember.cuda.is_available():
                raise RuntimeError(f"Trainer(accelerator={accelerator!r}): no CUDA device is "
                                   "available (is CuPy installed?)")
            index = devices[0] if isinstance(devices, (list, tuple)) else 0
            return ember.device("cuda", index)
        if accelerator not in ("auto", "cpu"):
            raise ValueError(f"Trainer: accelerator must be 'auto', 'cpu' or 'gpu', got "
                             f"{accelerator!r}")
        return ember.device("cpu")

    def _default_callbacks(self, callbacks, checkpointing, progress_bar, summary):
        have = {type(c) for c in callbacks}
        if checkpointing is not False and not any(isinstance(c, ModelCheckpoint)
                                                  for c in callbacks):
            callbacks.append(ModelCheckpoint())
        if checkpointing is False:
            callbacks = [c for c in callbacks if not isinstance(c, ModelCheckpoint)]
        if progress_bar is not False and TQDMProgressBar not in have:
            callbacks.append(TQDMProgressBar())
        if summary is not False and ModelSummary not in have:
            callbacks.append(ModelSummary())
        for c in callbacks:
            if not isinstance(c, Callback):
                raise TypeError(f"Trainer: callbacks must be Callback instances, got "
                                f"{type(c).__name__}")
        return callbacks

    # --- properties Lightning users reach for ----------------------------------------------
    @property
    def logger(self):
        return self.loggers[0] if self.loggers else None

    @property
    def log_dir(self):
        return self.logger.log_dir if self.logger is not None else self.default_root_dir

    @property
    def callback_metrics(self):
        return self._metrics.callback_metrics

    @property
    def logged_metrics(self):
        return self._metrics.logged_metrics

    @property
    def progress_bar_metrics(self):
        return self._metrics.progress_bar_metrics

    @property
    def checkpoint_callback(self):
        return next((c for c in self.callbacks if isinstance(c, ModelCheckpoint)), None)

    @property
    def checkpoint_callbacks(self):
        return [c for c in self.callbacks if isinstance(c, ModelCheckpoint)]

    @property
    def early_stopping_callback(self):
        from .callbacks import EarlyStopping
        return next((c for c in self.callbacks if isinstance(c, EarlyStopping)), None)

    @property
    def model(self):
        return self.lightning_module

    # --- hooks -----------------------------------------------------------------------------
    def _hook(self, name, *args):
        """Callbacks, then the module (and datamodule for data hooks), then the callbacks that
        monitor metrics, so those see what the module's hook logged."""
        module = self.lightning_module
        result = None
        with self._metrics.inside(name):
            for callback in self.callbacks:
                if not callback._monitoring:
                    getattr(callback, name)(self, module, *args)
            if hasattr(module, name):
                result = getattr(module, name)(*args)
            for callback in self.callbacks:
                if callback._monitoring:
                    getattr(callback, name)(self, module, *args)
        return result

    def _log_to_loggers(self, metrics, step):
        if not metrics:
            return
        self._metrics.logged_metrics.update({k: as_tensor(v) for k, v in metrics.items()})
        for logger in self.loggers:
            logger.log_metrics(dict(metrics, epoch=self.current_epoch), step=step)

    # --- setup -----------------------------------------------------------------------------
    def _attach(self, model, datamodule, stage):
        from .module import LightningModule
        if not isinstance(model, LightningModule):
            raise TypeError(f"Trainer.{stage}: expected a LightningModule, got "
                            f"{type(model).__name__}")
        self.lightning_module, self.datamodule, self.state_fn = model, datamodule, stage
        model.trainer = self
        if datamodule is not None:
            datamodule.trainer = self
            datamodule.prepare_data()
        model.prepare_data()
        for callback in self.callbacks:
            callback.setup(self, model, stage)
        if datamodule is not None:
            datamodule.setup(stage)
        with self._metrics.inside("setup"):
            model.setup(stage)
            model.configure_model()
        model.to(self.device)
        if self.dtype is ember.float64:
            model.double()

    def _loaders(self, kind, given):
        if given is not None:
            return as_list(given)
        source = self.datamodule if self.datamodule is not None else self.lightning_module
        with self._metrics.inside(f"{kind}_dataloader"):
            return as_list(getattr(source, f"{kind}_dataloader")())

    def _prepare_batch(self, batch, dataloader_idx=0):
        hooks = [h for h in (self.datamodule, self.lightning_module) if h is not None]
        for owner in hooks:
            batch = owner.on_before_batch_transfer(batch, dataloader_idx)
        batch = self.lightning_module.transfer_batch_to_device(batch, self.device,
                                                               dataloader_idx)
        if self.dtype is ember.float64:
            batch = to_float64(batch)
        for owner in hooks:
            batch = owner.on_after_batch_transfer(batch, dataloader_idx)
        return batch

    # --- fit -------------------------------------------------------------------------------
    def fit(self, model, train_dataloaders=None, val_dataloaders=None, datamodule=None,
            ckpt_path=None):
        from .datamodule import LightningDataModule
        if isinstance(train_dataloaders, LightningDataModule):
            datamodule, train_dataloaders = train_dataloaders, None
        self._attach(model, datamodule, "fit")
        self.should_stop = False
        self._data_args = (train_dataloaders, val_dataloaders)
        self._setup_data()
        self._strategy.setup(self)  # ddp: join the ranks, shard the loader, wrap the module
        self._count_train_batches()
        self._configure_optimizers()
        checkpoint = _checkpoint.load(self, ckpt_path) if ckpt_path else None
        for logger in self.loggers:
            logger.log_hyperparams(dict(model.hparams))
        self._hook("on_fit_start")
        if self.num_sanity_val_steps and self._has_validation():
            self._sanity_check()
        start_epoch, skip_batches = 0, 0
        if checkpoint is not None:
            start_epoch, skip_batches = _checkpoint.restore_loop(self, checkpoint)
        self._hook("on_train_start")
        self.current_epoch = start_epoch
        while not self._done_training():
            self._train_epoch(skip_batches)
            skip_batches = 0
            self.current_epoch += 1
        self._hook("on_train_end")
        self._hook("on_fit_end")
        for logger in self.loggers:
            logger.finalize("success")
        self._teardown("fit")

    def _setup_data(self):
        """The training loader and validation loaders of this fit (again every
        `reload_dataloaders_every_n_epochs` epochs: the module's `*_dataloader` hooks are
        called anew; loaders passed to `fit` stay the same objects)."""
        train_dataloaders, val_dataloaders = self._data_args
        train = self._loaders("train", train_dataloaders)
        if not train:
            raise RuntimeError("Trainer.fit: no training data; pass train_dataloaders, a "
                               "datamodule, or define `train_dataloader` in the module")
        self.train_dataloader = train[0]
        if self.overfit_batches:  # train and validate on the same fixed batches
            self.train_dataloader = unshuffled(self.train_dataloader)
            self.val_dataloaders = [self.train_dataloader]
        else:
            self.val_dataloaders = self._loaders("val", val_dataloaders)
        self._last_reload_epoch = self.current_epoch

    def _count_train_batches(self):
        limit = self.overfit_batches or self.limit_train_batches
        self.num_training_batches = limit_batches(limit, len(self.train_dataloader),
                                           "overfit_batches" if self.overfit_batches
                                           else "limit_train_batches")

    def _reload_dataloaders(self):
        n = self.reload_dataloaders_every_n_epochs
        if n and self.current_epoch - self._last_reload_epoch >= n:
            self._setup_data()
            self.train_dataloader = self._strategy.process_dataloader(self.train_dataloader)
            self._count_train_batches()

    def _done_training(self):
        if self.max_epochs != -1 and self.current_epoch >= self.max_epochs:
            return True
        if self.max_steps != -1 and self.global_step >= self.max_steps:
            return True
        return self.should_stop and self.current_epoch >= self.min_epochs and \
            self.global_step >= self.min_steps

    def _has_validation(self):
        return bool(self.val_dataloaders) and self.limit_val_batches != 0 and \
            hasattr(self.lightning_module, "validation_step")

    def _val_at_epoch_end(self):
        return isinstance(self.val_check_interval, float) and self.val_check_interval == 1.0

    def _val_due(self, batch_idx, last):
        if not self._has_validation():
            return False
        interval = self.val_check_interval
        if isinstance(interval, float):
            every = max(1, int(self.num_training_batches * interval))
            in_epoch = (batch_idx + 1) % every == 0 or (last and interval == 1.0)
        elif self.check_val_every_n_epoch is None:
            return (self.global_step and self.global_step % interval == 0) or False
        else:
            in_epoch = (batch_idx + 1) % interval == 0
        return in_epoch and (self.current_epoch + 1) % self.check_val_every_n_epoch == 0

    def _train_epoch(self, skip_batches):
        model = self.lightning_module
        model.train()
        self._reload_dataloaders()
        if skip_batches:  # resuming mid-epoch: draw the same shuffle as the interrupted epoch
            resume_rng = _checkpoint.rng_state()
            _checkpoint.set_rng_state(self._epoch_start_rng)
        self._epoch_start_rng = _checkpoint.rng_state()
        self._hook("on_train_epoch_start")
        iterator = iter(self.train_dataloader)
        # A sampler draws its order with the first batch: fetch it on the epoch's RNG state.
        first = next(iterator, _END)
        if skip_batches:
            _checkpoint.set_rng_state(resume_rng)
        batches = iter(()) if first is _END else itertools.chain([first], iterator)
        total = self.num_training_batches
        for batch_idx, batch in zip(range(total), batches):
            if batch_idx < skip_batches:
                continue
            self._batch_idx = batch_idx
            last = batch_idx + 1 == total
            self._train_batch(self._prepare_batch(batch), batch_idx, last)
            if self._val_due(batch_idx, last):
                self._run_eval("validate", self.val_dataloaders, self._val_limit())
                model.train()
            if self._step_limit_reached() or (self.should_stop and self.current_epoch + 1
                                              >= self.min_epochs):
                break
        self._batch_idx = total
        self._metrics.begin("train", in_step=False)
        self._step_schedulers("epoch", self.current_epoch + 1)
        self._hook("on_train_epoch_end")
        self._log_to_loggers(self._metrics.end_epoch("train"), self._batches_that_stepped)
        for logger in self.loggers:
            logger.save()

    def _step_limit_reached(self):
        return self.max_steps != -1 and self.global_step >= self.max_steps

    def _train_batch(self, batch, batch_idx, last):
        model = self.lightning_module
        self._metrics.begin("train", in_step=True, batch_size=batch_size_of(batch))
        if self._hook("on_train_batch_start", batch, batch_idx) == -1:
            self.should_stop = True  # Lightning: returning -1 ends the epoch
            return
        stepped = False
        if self._skip_backward:  # StochasticWeightAveraging's BatchNorm epoch: forward only
            with self._precision(), ember.no_grad():
                output = model.training_step(batch, batch_idx)
        elif model.automatic_optimization:
            output, stepped = self._automatic_step(batch, batch_idx, last)
        else:
            before = self.global_step
            with self._precision():
                output = model.training_step(batch, batch_idx)
            stepped = self.global_step > before
        if stepped or not model.automatic_optimization:
            self._batches_that_stepped += 1
        if stepped:
            self._step_schedulers("step", self.global_step)
        self._hook("on_train_batch_end", output, batch, batch_idx)
        step_metrics = self._metrics.take_step_metrics()
        if self._batches_that_stepped % self.log_every_n_steps == 0 or self.should_stop:
            self._log_to_loggers(step_metrics, self._batches_that_stepped - 1)

    def _automatic_step(self, batch, batch_idx, last):
        model, optimizer = self.lightning_module, self.optimizers[0]
        accumulate = self.accumulate_grad_batches
        window_start = batch_idx % accumulate == 0
        window_end = (batch_idx + 1) % accumulate == 0 or last
        result = {}

        def closure():
            with self._precision():
                output = self._strategy.training_step(model, batch, batch_idx, window_end)
            loss = loss_of(output)
            result["output"] = output
            if loss is None:  # Lightning's rule: a None loss skips this batch
                return None
            if window_start:
                self._hook("on_before_zero_grad", optimizer)
                model.optimizer_zero_grad(self.current_epoch, batch_idx, optimizer)
            self._backward(loss / accumulate if accumulate > 1 else loss)
            if window_end:
                self._before_optimizer_step(optimizer)
            return loss

        if not window_end:
            closure()
            return result.get("output"), False
        skipped = {}

        def step_closure():
            loss = closure()
            skipped["value"] = loss is None
            return loss

        # A skipped loss must not step on stale gradients: run the closure first, then step
        # only with gradients from this window.
        loss = step_closure()
        if skipped["value"]:
            return result.get("output"), False
        model.optimizer_step(self.current_epoch, batch_idx,
                             ScaledStep(optimizer, self.scaler) if self.scaler else optimizer,
                             lambda: loss.detach())
        self.global_step += 1
        return result.get("output"), True

    def _val_limit(self):
        return self.overfit_batches if self.overfit_batches else self.limit_val_batches

    def _sanity_check(self):
        snapshot = self._metrics.snapshot()
        self.sanity_checking = True
        self._hook("on_sanity_check_start")
        self._run_eval("validate", self.val_dataloaders, self._val_limit())
        self._hook("on_sanity_check_end")
        self.sanity_checking = False
        self._metrics.restore(snapshot)

    # --- evaluation ------------------------------------------------------------------------
    def _run_eval(self, stage, loaders, limit):
        """One pass over `loaders` with `<stage>_step` and its hooks; returns the epoch
        metrics of this stage."""
        prefix = {"validate": "validation", "test": "test"}[stage]
        model = self.lightning_module
        counts = [limit_batches(limit, len(dl), f"limit_{stage}_batches") for dl in loaders]
        if self.sanity_checking and self.num_sanity_val_steps != -1:  # -1: all of them
            counts = [min(c, self.num_sanity_val_steps) for c in counts]
        if stage == "validate":
            self.num_val_batches = counts
        else:
            self.num_test_batches = counts
        getattr(model, f"on_{prefix}_model_eval")()
        grad_off = ember.inference_mode() if self.inference_mode else ember.no_grad()
        with grad_off:
            self._hook(f"on_{prefix}_start")
            self._hook(f"on_{prefix}_epoch_start")
            for dataloader_idx, (loader, count) in enumerate(zip(loaders, counts)):
                extra = (dataloader_idx,) if len(loaders) > 1 else ()
                for batch_idx, batch in zip(range(count), loader):
                    batch = self._prepare_batch(batch, dataloader_idx)
                    self._metrics.begin(stage, in_step=True, batch_size=batch_size_of(batch))
                    self._hook(f"on_{prefix}_batch_start", batch, batch_idx, *extra)
                    with self._precision():
                        output = getattr(model, f"{prefix}_step")(batch, batch_idx, *extra)
                    self._hook(f"on_{prefix}_batch_end", output, batch, batch_idx, *extra)
            self._metrics.begin(stage, in_step=False)
            self._hook(f"on_{prefix}_epoch_end")
            metrics = self._metrics.end_epoch(stage)
            if not self.sanity_checking:
                self._log_to_loggers(metrics, self._batches_that_stepped)
            self._hook(f"on_{prefix}_end")
        getattr(model, f"on_{prefix}_model_train")()
        self._metrics.begin("train", in_step=False)
        return metrics

    def _model_and_ckpt(self, stage, model, ckpt_path):
        """Lightning's rule: with no model given after `fit`, evaluate the best checkpoint
        (when a ModelCheckpoint saved one), else the fitted weights."""
        if model is not None:
            return model, ckpt_path
        if self.lightning_module is None:
            raise RuntimeError(f"Trainer.{stage}: pass a model (no model was fitted before)")
        callback = self.checkpoint_callback
        if ckpt_path is None and self.state_fn == "fit" and callback is not None and \
                callback.best_model_path:
            ckpt_path = "best"
        return self.lightning_module, ckpt_path

    def _evaluate(self, stage, model, dataloaders, ckpt_path, datamodule):
        from .datamodule import LightningDataModule
        if isinstance(dataloaders, LightningDataModule):
            datamodule, dataloaders = dataloaders, None
        model, ckpt_path = self._model_and_ckpt(stage, model, ckpt_path)
        self._attach(model, datamodule, stage)
        if ckpt_path:
            _checkpoint.load_weights(self, ckpt_path)
        kind = "val" if stage == "validate" else stage
        loaders = self._loaders(kind, dataloaders)
        if not loaders:
            raise RuntimeError(f"Trainer.{stage}: no {kind} dataloader given or defined")
        limit = self.limit_val_batches if stage == "validate" else self.limit_test_batches
        metrics = self._run_eval(stage, loaders, limit)
        for logger in self.loggers:
            logger.save()
        self._teardown(stage)
        return [metrics]

    def validate(self, model=None, dataloaders=None, ckpt_path=None, verbose=True,
                 datamodule=None):
        """Run one validation pass; returns a list with the logged epoch metrics."""
        return self._evaluate("validate", model, dataloaders, ckpt_path, datamodule)

    def test(self, model=None, dataloaders=None, ckpt_path=None, verbose=True, datamodule=None):
        """Run one test pass; returns a list with the logged epoch metrics."""
        return self._evaluate("test", model, dataloaders, ckpt_path, datamodule)

    def predict(self, model=None, dataloaders=None, datamodule=None, return_predictions=True,
                ckpt_path=None):
        """`predict_step` over the dataloader(s); returns the outputs per batch (a list per
        dataloader when there are several)."""
        model, ckpt_path = self._model_and_ckpt("predict", model, ckpt_path)
        self._attach(model, datamodule, "predict")
        if ckpt_path:
            _checkpoint.load_weights(self, ckpt_path)
        loaders = self._loaders("predict", dataloaders)
        model.on_predict_model_eval()
        results = []
        with ember.inference_mode() if self.inference_mode else ember.no_grad():
            self._hook("on_predict_start")
            self._hook("on_predict_epoch_start")
            for dataloader_idx, loader in enumerate(loaders):
                extra = (dataloader_idx,) if len(loaders) > 1 else ()
                count = limit_batches(self.limit_predict_batches, len(loader),
                                      "limit_predict_batches")
                outputs = []
                for batch_idx, batch in zip(range(count), loader):
                    batch = self._prepare_batch(batch, dataloader_idx)
                    self._hook("on_predict_batch_start", batch, batch_idx, *extra)
                    with self._precision():
                        output = model.predict_step(batch, batch_idx, *extra)
                    self._hook("on_predict_batch_end", output, batch, batch_idx, *extra)
                    outputs.append(output)
                results.append(outputs)
            self._hook("on_predict_epoch_end")
            self._hook("on_predict_end")
        self._teardown("predict")
        if not return_predictions:
            return None
        return results[0] if len(results) == 1 else results

    def _teardown(self, stage):
        for callback in self.callbacks:
            callback.teardown(self, self.lightning_module, stage)
        if self.datamodule is not None:
            self.datamodule.teardown(stage)
        self.lightning_module.teardown(stage)

    # --- checkpoints (the state they hold lives in _checkpoint.py) ---------------------------
    def save_checkpoint(self, filepath, weights_only=False, storage_options=None):
        """Write the run's state to `filepath` atomically (rank zero only)."""
        if self._strategy.is_global_zero:
            _checkpoint.save(self, filepath, weights_only)
