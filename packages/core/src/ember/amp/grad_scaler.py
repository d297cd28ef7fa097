"""`ember.amp.GradScaler`: loss scaling for float16 training, skipping steps whose gradients
overflowed.

The scale is a Python float rather than a device tensor: multiplying by it costs nothing extra,
and the one device-to-host read per step (were all gradients finite?) is needed anyway to decide
whether to step. Works the same for CPU and CUDA tensors.
"""
import math

from .._device import array_module_of
from .._tensor import Tensor

_READY, _UNSCALED, _STEPPED = 0, 1, 2


class GradScaler:
    """`scaler.scale(loss).backward(); scaler.step(optimizer); scaler.update()`: the loss is
    multiplied by `scale` so small float16 gradients survive, gradients are divided back before
    the step, and a step whose gradients hold inf/NaN is skipped while the scale backs off."""

    def __init__(self, device="cuda", init_scale=2.0 ** 16, growth_factor=2.0,
                 backoff_factor=0.5, growth_interval=2000, enabled=True):
        if growth_factor <= 1.0:
            raise ValueError(f"GradScaler: growth_factor must be > 1.0, got {growth_factor}")
        if not 0.0 < backoff_factor < 1.0:
            raise ValueError(f"GradScaler: backoff_factor must be in (0, 1), got {backoff_factor}")
        if growth_interval <= 0:
            raise ValueError(f"GradScaler: growth_interval must be > 0, got {growth_interval}")
        self.device = str(device)
        self._enabled = bool(enabled)
        self._scale = float(init_scale)
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._growth_tracker = 0
        self._per_optimizer = {}  # id(optimizer) -> [stage, found_inf]

    def is_enabled(self):
        return self._enabled

    def get_scale(self):
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self):
        return self._growth_factor

    def get_backoff_factor(self):
        return self._backoff_factor

    def get_growth_interval(self):
        return self._growth_interval

    def scale(self, outputs):
        """Multiply a tensor (or a list/tuple of them, nested) by the current scale."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            return outputs * self._scale
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        raise TypeError(f"GradScaler.scale: expected a Tensor or a list/tuple of Tensors, got "
                        f"{type(outputs).__name__}")

    def _record(self, optimizer):
        return self._per_optimizer.setdefault(id(optimizer), [_READY, False])

    def unscale_(self, optimizer):
        """Divide the optimizer's gradients by the scale in place and note any inf/NaN."""
        if not self._enabled:
            return
        record = self._record(optimizer)
        if record[0] == _UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the "
                               "last update().")
        if record[0] == _STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv = 1.0 / self._scale
        flags = []
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad._data
                if g.dtype.name == "float16" and p._data.dtype.name == "float16":
                    raise ValueError("Attempting to unscale FP16 gradients.")
                g *= inv
                # One reduction per gradient stays on its device; read back once below.
                flags.append(~array_module_of(g).isfinite(g).all())
        record[1] = any(bool(f) for f in flags)
        record[0] = _UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """Unscale (if not done yet) and step, unless a gradient held inf/NaN; returns the
        step's return value, or None when skipped."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs or args:
            raise RuntimeError("Closure use is not currently supported if GradScaler is "
                               "enabled.")
        record = self._record(optimizer)
        if record[0] == _STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if record[0] == _READY:
            self.unscale_(optimizer)
        result = None if record[1] else optimizer.step()
        record[0] = _STEPPED
        return result

    def update(self, new_scale=None):
        """Back off the scale if any optimizer saw inf/NaN this iteration, else grow it every
        `growth_interval` clean iterations; or set it to `new_scale`."""
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale.item() if isinstance(new_scale, Tensor) else new_scale)
        elif not self._per_optimizer:
            raise RuntimeError("No inf checks were recorded prior to update.")
        elif any(r[1] for r in self._per_optimizer.values()):
            self._scale *= self._backoff_factor
            self._growth_tracker = 0
        else:
            self._growth_tracker += 1
            if self._growth_tracker == self._growth_interval:
                grown = self._scale * self._growth_factor
                if math.isfinite(grown):
                    self._scale = grown
                self._growth_tracker = 0
        self._per_optimizer = {}

    def state_dict(self):
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict):
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])
