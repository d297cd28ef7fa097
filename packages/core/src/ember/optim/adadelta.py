"""Adadelta: step sizes from running averages of squared gradients and squared updates."""
from .._device import array_module_of
from .adam import decay_average_of_squares_, zeros_state
from .optimizer import (Optimizer, advance_step, check_nonnegative, check_not_differentiable,
                        scalar_tensor)


class Adadelta(Optimizer):
    """PyTorch's Adadelta; state `step`, `square_avg`, `acc_delta`."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        check_nonnegative(lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_nonnegative(eps=eps, weight_decay=weight_decay)
        check_not_differentiable("Adadelta", differentiable)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, rho, eps = group["lr"], group["rho"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                param = p._data
                xp = array_module_of(param)
                state = self.state[p]
                if not state:
                    state["step"] = scalar_tensor()
                    state["square_avg"] = zeros_state(p)
                    state["acc_delta"] = zeros_state(p)
                advance_step(state)
                g = self._effective_grad(param, p.grad._data, group["maximize"],
                                         group["weight_decay"])
                square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
                std, delta = self._scratch(param, 1), self._scratch(param, 2)
                decay_average_of_squares_(square_avg, g, rho, std)
                xp.add(square_avg, eps, out=std)
                xp.sqrt(std, out=std)
                xp.add(acc_delta, eps, out=delta)
                xp.sqrt(delta, out=delta)
                delta /= std
                delta *= g
                decay_average_of_squares_(acc_delta, delta, rho, std)
                delta *= -lr
                param += delta
                p._vc[0] += 1
        return loss
