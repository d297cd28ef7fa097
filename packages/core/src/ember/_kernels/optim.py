"""Fused optimizer steps: the whole SGD or Adam/AdamW update of one parameter (weight decay,
momentum or both moments, bias correction, the parameter write) in one elementwise kernel, where
the generic step launches eight to twelve. Math in float32; the state keeps the parameter's
dtype, as in the generic step."""
import functools

from .._device import cupy_module
from .._tensor import Tensor

_SGD = r"""
float gf = maximize ? -(float)g : (float)g;
const float pf = (float)p;
if (wd != 0.f) gf += wd * pf;
if (momentum != 0.f) {
    const float b = first ? gf : momentum * (float)buf + (1.f - dampening) * gf;
    buf = (T)b;
    gf = nesterov ? gf + momentum * b : b;
}
p = (T)(pf - lr * gf);
"""

_ADAM = r"""
float gf = maximize ? -(float)g : (float)g;
float pf = (float)p;
if (decoupled) pf *= 1.f - lr * wd; else gf += wd * pf;
const float mf = (float)m + (1.f - beta1) * (gf - (float)m);
const float vf = beta2 * (float)v + (1.f - beta2) * gf * gf;
m = (T)mf;
v = (T)vf;
p = (T)(pf - step_size * (mf / (sqrtf(vf) / bc2_sqrt + eps)));
"""

_SCALARS = "float32 lr, float32 wd, float32 momentum, float32 dampening, int32 nesterov, " \
           "int32 maximize, int32 first"


@functools.lru_cache(maxsize=None)
def _kernel(name):
    cp = cupy_module()
    if name == "sgd_momentum":
        return cp.ElementwiseKernel("T g, " + _SCALARS, "T p, T buf", _SGD, "ember_sgd_momentum")
    if name == "sgd":
        # Without momentum there is no buffer: the same body with the buffer branch dead.
        return cp.ElementwiseKernel("T g, " + _SCALARS, "T p",
                                    _SGD.replace("buf = (T)b;", "").replace("(float)buf", "0.f"),
                                    "ember_sgd")
    if name == "adam":
        return cp.ElementwiseKernel(
            "T g, float32 step_size, float32 beta1, float32 beta2, float32 eps, float32 lr, "
            "float32 wd, float32 bc2_sqrt, int32 decoupled, int32 maximize", "T p, T m, T v",
            _ADAM, "ember_adam")
    raise KeyError(name)


def _grad_array(p):
    """The gradient array when the fused step applies to `p` (same dtype as the parameter)."""
    g = p.grad._data
    return g if g.dtype == p._data.dtype and g.shape == p._data.shape else None


def sgd_step(optimizer, p, group):
    """One fused SGD update of `p`; False when the generic step must run instead."""
    g = _grad_array(p)
    if g is None:
        return False
    param = p._data
    momentum = group["momentum"]
    args = (group["lr"], group["weight_decay"], momentum, group["dampening"],
            int(group["nesterov"]), int(group["maximize"]))
    if momentum == 0:
        _kernel("sgd")(g, *args, 0, param)
    else:
        state = optimizer.state[p]
        buf_t = state.get("momentum_buffer")
        first = buf_t is None
        if first:
            buf_t = state["momentum_buffer"] = Tensor._make(cupy_module().empty_like(param))
        _kernel("sgd_momentum")(g, *args, int(first), param, buf_t._data)
    p._vc[0] += 1
    return True


def adam_step(optimizer, p, group):
    """One fused Adam/AdamW update of `p` (amsgrad runs the generic step: False)."""
    g = _grad_array(p)
    if g is None or group["amsgrad"]:
        return False
    from ..optim.adam import zeros_state
    from ..optim.optimizer import advance_step, scalar_tensor
    state = optimizer.state[p]
    if not state:
        state["step"] = scalar_tensor()
        state["exp_avg"] = zeros_state(p)
        state["exp_avg_sq"] = zeros_state(p)
    step = advance_step(state)
    lr, (beta1, beta2) = group["lr"], group["betas"]
    _kernel("adam")(g, lr / (1 - beta1 ** step), beta1, beta2, group["eps"], lr,
                    group["weight_decay"], (1 - beta2 ** step) ** 0.5,
                    int(group.get("decoupled_weight_decay", False)), int(group["maximize"]),
                    p._data, state["exp_avg"]._data, state["exp_avg_sq"]._data)
    p._vc[0] += 1
    return True
