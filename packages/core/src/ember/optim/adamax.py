"""Adamax: Adam with the infinity norm in place of the second moment."""
from .._device import array_module_of
from .adam import check_betas, lerp_, zeros_state
from .optimizer import Optimizer, advance_step, check_not_differentiable, scalar_tensor


class Adamax(Optimizer):
    """PyTorch's Adamax; state `step`, `exp_avg`, `exp_inf`."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        check_betas(lr, eps, betas, weight_decay)
        check_not_differentiable("Adamax", differentiable)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                param = p._data
                xp = array_module_of(param)
                state = self.state[p]
                if not state:
                    state["step"] = scalar_tensor()
                    state["exp_avg"] = zeros_state(p)
                    state["exp_inf"] = zeros_state(p)
                step = advance_step(state)
                g = self._effective_grad(param, p.grad._data, group["maximize"],
                                         group["weight_decay"])
                exp_avg, exp_inf = state["exp_avg"]._data, state["exp_inf"]._data
                tmp = self._scratch(param, 1)
                lerp_(exp_avg, g, 1 - beta1, tmp)
                exp_inf *= beta2
                xp.abs(g, out=tmp)
                tmp += eps
                xp.maximum(exp_inf, tmp, out=exp_inf)
                clr = lr / (1 - beta1 ** step)
                xp.divide(exp_avg, exp_inf, out=tmp)
                tmp *= -clr
                param += tmp
                p._vc[0] += 1
        return loss
