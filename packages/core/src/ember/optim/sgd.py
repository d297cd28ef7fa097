"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""
from .. import _kernels
from .._device import array_module_of
from .._tensor import Tensor
from .optimizer import Optimizer, check_not_differentiable


class SGD(Optimizer):
    """PyTorch's SGD: `buf = momentum * buf + (1 - dampening) * g`, `p -= lr * buf` (or the
    Nesterov look-ahead `g + momentum * buf`); state `momentum_buffer` when momentum != 0."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False, foreach=None, differentiable=False, fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        check_not_differentiable("SGD", differentiable)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            nesterov, maximize, wd = group["nesterov"], group["maximize"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                param = p._data
                if _kernels.available(param):
                    from .._kernels.optim import sgd_step
                    if sgd_step(self, p, group):
                        continue
                xp = array_module_of(param)
                g = self._effective_grad(param, p.grad._data, maximize, wd)
                if momentum != 0:
                    state = self.state[p]
                    buf_t = state.get("momentum_buffer")
                    if buf_t is None:
                        buf = g.copy()
                        state["momentum_buffer"] = Tensor._make(buf)
                    else:
                        buf = buf_t._data
                        buf *= momentum
                        if dampening == 0:
                            buf += g
                        else:
                            buf += self._scaled(g, 1 - dampening, 1)
                    if nesterov:
                        tmp = self._scaled(buf, momentum, 1)
                        tmp += g
                        g = tmp
                    else:
                        g = buf
                update = self._scaled(g, -lr, 2)
                xp.add(param, update, out=param)
                p._vc[0] += 1
        return loss
