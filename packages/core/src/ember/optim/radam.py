"""RAdam: Adam with a rectified adaptive learning rate (plain momentum SGD early on)."""
from .._device import array_module_of
from .adam import check_betas, decay_average_of_squares_, lerp_, zeros_state
from .optimizer import Optimizer, advance_step, check_not_differentiable, scalar_tensor


class RAdam(Optimizer):
    """PyTorch's RAdam; state `step`, `exp_avg`, `exp_avg_sq`.
    `decoupled_weight_decay=True` decays the parameter as AdamW does."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        check_betas(lr, eps, betas, weight_decay)
        check_not_differentiable("RAdam", differentiable)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            wd, decoupled = group["weight_decay"], group["decoupled_weight_decay"]
            rho_inf = 2 / (1 - beta2) - 1
            for p in group["params"]:
                if p.grad is None:
                    continue
                param = p._data
                xp = array_module_of(param)
                state = self.state[p]
                if not state:
                    state["step"] = scalar_tensor()
                    state["exp_avg"] = zeros_state(p)
                    state["exp_avg_sq"] = zeros_state(p)
                step = advance_step(state)
                if wd != 0 and decoupled:
                    param *= 1 - lr * wd
                g = self._effective_grad(param, p.grad._data, group["maximize"],
                                         0 if decoupled else wd)
                exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
                update, tmp = self._scratch(param, 1), self._scratch(param, 2)
                lerp_(exp_avg, g, 1 - beta1, tmp)
                decay_average_of_squares_(exp_avg_sq, g, beta2, tmp)
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                xp.divide(exp_avg, bias_correction1, out=update)
                update *= lr
                rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
                if rho_t > 5.0:  # the variance is tractable: use the adaptive rate
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    xp.sqrt(exp_avg_sq, out=tmp)
                    tmp += eps
                    xp.divide(bias_correction2 ** 0.5, tmp, out=tmp)
                    update *= tmp
                    update *= rect
                param -= update
                p._vc[0] += 1
        return loss
