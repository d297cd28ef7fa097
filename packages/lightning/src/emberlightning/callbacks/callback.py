"""`Callback`: plain hooks the trainer calls as `hook(trainer, pl_module, ...)`."""


class Callback:
    """Override the hooks you need. A callback with state returns it from `state_dict`; it is
    saved in checkpoints under `state_key` and restored through `load_state_dict`."""

    # Callbacks that read logged metrics (checkpointing, early stopping) run after the module's
    # own epoch-end hook, so they see what it logged.
    _monitoring = False

    @property
    def state_key(self):
        return type(self).__qualname__

    def state_dict(self):
        return {}

    def load_state_dict(self, state_dict):
        pass

    def setup(self, trainer, pl_module, stage): pass
    def teardown(self, trainer, pl_module, stage): pass
    def on_fit_start(self, trainer, pl_module): pass
    def on_fit_end(self, trainer, pl_module): pass
    def on_sanity_check_start(self, trainer, pl_module): pass
    def on_sanity_check_end(self, trainer, pl_module): pass
    def on_train_start(self, trainer, pl_module): pass
    def on_train_end(self, trainer, pl_module): pass
    def on_train_epoch_start(self, trainer, pl_module): pass
    def on_train_epoch_end(self, trainer, pl_module): pass
    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx): pass
    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx): pass
    def on_validation_start(self, trainer, pl_module): pass
    def on_validation_end(self, trainer, pl_module): pass
    def on_validation_epoch_start(self, trainer, pl_module): pass
    def on_validation_epoch_end(self, trainer, pl_module): pass
    def on_validation_batch_start(self, trainer, pl_module, batch, batch_idx,
                                  dataloader_idx=0): pass
    def on_validation_batch_end(self, trainer, pl_module, outputs, batch, batch_idx,
                                dataloader_idx=0): pass
    def on_test_start(self, trainer, pl_module): pass
    def on_test_end(self, trainer, pl_module): pass
    def on_test_epoch_start(self, trainer, pl_module): pass
    def on_test_epoch_end(self, trainer, pl_module): pass
    def on_test_batch_start(self, trainer, pl_module, batch, batch_idx, dataloader_idx=0): pass
    def on_test_batch_end(self, trainer, pl_module, outputs, batch, batch_idx,
                          dataloader_idx=0): pass
    def on_predict_start(self, trainer, pl_module): pass
    def on_predict_end(self, trainer, pl_module): pass
    def on_predict_epoch_start(self, trainer, pl_module): pass
    def on_predict_epoch_end(self, trainer, pl_module): pass
    def on_predict_batch_start(self, trainer, pl_module, batch, batch_idx,
                               dataloader_idx=0): pass
    def on_predict_batch_end(self, trainer, pl_module, outputs, batch, batch_idx,
                             dataloader_idx=0): pass
    def on_before_backward(self, trainer, pl_module, loss): pass
    def on_after_backward(self, trainer, pl_module): pass
    def on_before_optimizer_step(self, trainer, pl_module, optimizer): pass
    def on_before_zero_grad(self, trainer, pl_module, optimizer): pass
    def on_save_checkpoint(self, trainer, pl_module, checkpoint): pass
    def on_load_checkpoint(self, trainer, pl_module, checkpoint): pass
    def on_exception(self, trainer, pl_module, exception): pass
