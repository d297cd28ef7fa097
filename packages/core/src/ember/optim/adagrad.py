"""Adagrad: per-coordinate step sizes from the running sum of squared gradients."""
from .._device import array_module_of
from .._tensor import Tensor
from .optimizer import (Optimizer, advance_step, check_nonnegative, check_not_differentiable,
                        scalar_tensor)


class Adagrad(Optimizer):
    """PyTorch's Adagrad; state `step` and `sum` (starting at initial_accumulator_value)."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_nonnegative(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                          initial_accumulator_value=initial_accumulator_value, eps=eps)
        check_not_differentiable("Adagrad", differentiable)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        # Unlike the other optimizers, Adagrad creates its state eagerly (PyTorch does too).
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group):
        state = self.state[p]
        state["step"] = scalar_tensor()
        xp = array_module_of(p._data)
        state["sum"] = Tensor._make(xp.full_like(p._data, group["initial_accumulator_value"]))

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                param = p._data
                xp = array_module_of(param)
                state = self.state[p]
                if not state:  # a parameter added with add_param_group
                    self._init_state(p, group)
                step = advance_step(state)
                g = self._effective_grad(param, p.grad._data, group["maximize"],
                                         group["weight_decay"])
                clr = lr / (1 + (step - 1) * lr_decay)
                state_sum = state["sum"]._data
                tmp = self._scratch(param, 1)
                xp.multiply(g, g, out=tmp)
                state_sum += tmp
                xp.sqrt(state_sum, out=tmp)
                tmp += eps
                xp.divide(g, tmp, out=tmp)
                tmp *= -clr
                param += tmp
                p._vc[0] += 1
        return loss
