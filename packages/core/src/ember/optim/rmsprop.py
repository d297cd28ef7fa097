"""RMSprop: divide by a running root-mean-square of the gradient (optionally centered)."""
from .._device import array_module_of
from .adam import decay_average_of_squares_, lerp_, zeros_state
from .optimizer import (Optimizer, advance_step, check_nonnegative, check_not_differentiable,
                        scalar_tensor)


class RMSprop(Optimizer):
    """PyTorch's RMSprop; state `step`, `square_avg`, `momentum_buffer` (momentum > 0) and
    `grad_avg` (centered)."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        check_nonnegative(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay,
                          alpha=alpha)
        check_not_differentiable("RMSprop", differentiable)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            momentum, centered = group["momentum"], group["centered"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                param = p._data
                xp = array_module_of(param)
                state = self.state[p]
                if not state:
                    state["step"] = scalar_tensor()
                    state["square_avg"] = zeros_state(p)
                    if momentum > 0:
                        state["momentum_buffer"] = zeros_state(p)
                    if centered:
                        state["grad_avg"] = zeros_state(p)
                advance_step(state)
                g = self._effective_grad(param, p.grad._data, group["maximize"],
                                         group["weight_decay"])
                square_avg = state["square_avg"]._data
                avg = self._scratch(param, 1)
                decay_average_of_squares_(square_avg, g, alpha, avg)
                if centered:
                    grad_avg = state["grad_avg"]._data
                    lerp_(grad_avg, g, 1 - alpha, avg)
                    xp.multiply(grad_avg, grad_avg, out=avg)
                    xp.subtract(square_avg, avg, out=avg)
                    xp.sqrt(avg, out=avg)
                else:
                    xp.sqrt(square_avg, out=avg)
                avg += eps
                xp.divide(g, avg, out=avg)
                if momentum > 0:
                    buf = state["momentum_buffer"]._data
                    buf *= momentum
                    buf += avg
                    xp.multiply(buf, -lr, out=avg)
                else:
                    avg *= -lr
                param += avg
                p._vc[0] += 1
        return loss
