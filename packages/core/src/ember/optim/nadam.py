"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule."""
from .._device import array_module_of
from .adam import check_betas, decay_average_of_squares_, lerp_, zeros_state
from .optimizer import Optimizer, advance_step, check_not_differentiable, scalar_tensor


class NAdam(Optimizer):
    """PyTorch's NAdam; state `step`, `mu_product`, `exp_avg`, `exp_avg_sq`.
    `decoupled_weight_decay=True` decays the parameter as AdamW does."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        check_betas(lr, eps, betas, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        check_not_differentiable("NAdam", differentiable)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            wd, momentum_decay = group["weight_decay"], group["momentum_decay"]
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                param = p._data
                xp = array_module_of(param)
                state = self.state[p]
                if not state:
                    state["step"] = scalar_tensor()
                    state["mu_product"] = scalar_tensor(1.0)
                    state["exp_avg"] = zeros_state(p)
                    state["exp_avg_sq"] = zeros_state(p)
                step = advance_step(state)
                bias_correction2 = 1 - beta2 ** step
                if wd != 0 and decoupled:
                    param *= 1 - lr * wd
                g = self._effective_grad(param, p.grad._data, group["maximize"],
                                         0 if decoupled else wd)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                # The product is kept in the scalar dtype (float32) as PyTorch does, so the
                # rounding of long runs matches.
                mu_product_t = state["mu_product"]._data
                mu_product_t *= mu
                mu_product = float(mu_product_t)
                mu_product_next = mu_product * mu_next
                exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
                denom, tmp = self._scratch(param, 1), self._scratch(param, 2)
                lerp_(exp_avg, g, 1 - beta1, tmp)
                decay_average_of_squares_(exp_avg_sq, g, beta2, tmp)
                xp.divide(exp_avg_sq, bias_correction2, out=denom)
                xp.sqrt(denom, out=denom)
                denom += eps
                xp.divide(g, denom, out=tmp)
                tmp *= -lr * (1.0 - mu) / (1.0 - mu_product)
                param += tmp
                xp.divide(exp_avg, denom, out=tmp)
                tmp *= (-lr * mu_next) / (1.0 - mu_product_next)
                param += tmp
                p._vc[0] += 1
        return loss
