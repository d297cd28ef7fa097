"""`LambdaCallback`: a callback built from functions passed by hook name."""
from .callback import Callback


class LambdaCallback(Callback):
    """`LambdaCallback(on_train_epoch_end=lambda trainer, module: ...)`."""

    def __init__(self, **hooks):
        for name, fn in hooks.items():
            if not callable(getattr(Callback, name, None)) or name.startswith("_"):
                raise TypeError(f"LambdaCallback: {name!r} is not a Callback hook")
            setattr(self, name, fn)
