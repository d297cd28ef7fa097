"""Adam and AdamW (Adam with decoupled weight decay)."""
from .. import _kernels
from .._device import array_module_of
from .._tensor import Tensor
from .optimizer import Optimizer, advance_step, check_not_differentiable, scalar_tensor


def check_betas(lr, eps, betas, weight_decay):
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def lerp_(target, end, weight, tmp):
    """`target += weight * (end - target)` (PyTorch's lerp_ for weight < 0.5), via `tmp`."""
    xp = array_module_of(target)
    xp.subtract(end, target, out=tmp)
    tmp *= weight
    target += tmp


def decay_average_of_squares_(avg, g, beta, tmp):
    """`avg = beta * avg + (1 - beta) * g * g`."""
    avg *= beta
    array_module_of(g).multiply(g, g, out=tmp)
    tmp *= 1 - beta
    avg += tmp


def zeros_state(p):
    return Tensor._make(array_module_of(p._data).zeros_like(p._data))


class Adam(Optimizer):
    """PyTorch's Adam: bias-corrected first and second moments; state `step`, `exp_avg`,
    `exp_avg_sq` (and `max_exp_avg_sq` with amsgrad). `decoupled_weight_decay=True` is AdamW."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        check_betas(lr, eps, betas, weight_decay)
        check_not_differentiable(type(self).__name__, differentiable)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            wd, amsgrad = group["weight_decay"], group["amsgrad"]
            decoupled = group.get("decoupled_weight_decay", False)
            for p in group["params"]:
                if p.grad is None:
                    continue
                param = p._data
                if _kernels.available(param):
                    from .._kernels.optim import adam_step
                    if adam_step(self, p, group):
                        continue
                xp = array_module_of(param)
                state = self.state[p]
                if not state:
                    state["step"] = scalar_tensor()
                    state["exp_avg"] = zeros_state(p)
                    state["exp_avg_sq"] = zeros_state(p)
                    if amsgrad:
                        state["max_exp_avg_sq"] = zeros_state(p)
                step = advance_step(state)
                if wd != 0 and decoupled:
                    param *= 1 - lr * wd
                g = self._effective_grad(param, p.grad._data, group["maximize"],
                                         0 if decoupled else wd)
                exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
                tmp = self._scratch(param, 1)
                lerp_(exp_avg, g, 1 - beta1, tmp)
                decay_average_of_squares_(exp_avg_sq, g, beta2, tmp)
                step_size = lr / (1 - beta1 ** step)
                bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
                if amsgrad:
                    second = state["max_exp_avg_sq"]._data
                    xp.maximum(second, exp_avg_sq, out=second)
                else:
                    second = exp_avg_sq
                xp.sqrt(second, out=tmp)  # denom = sqrt(v) / sqrt(bc2) + eps
                tmp /= bias_correction2_sqrt
                tmp += eps
                xp.divide(exp_avg, tmp, out=tmp)
                tmp *= -step_size
                param += tmp
                p._vc[0] += 1
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay: `p *= 1 - lr * weight_decay` before the Adam step."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
