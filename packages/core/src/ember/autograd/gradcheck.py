"""Finite-difference checks of analytical gradients (use float64 inputs)."""
import numpy as np


class GradcheckError(RuntimeError):
    pass


def _outputs(func, inputs):
    from .._tensor import Tensor
    out = func(*inputs)
    return (out,) if isinstance(out, Tensor) else tuple(o for o in out if isinstance(o, Tensor))


def _numerical(func, inputs, t, eps):
    """d(outputs)/d(t) by central differences, one column per element of t."""
    arr = t._data
    flat = arr.reshape(-1)
    if flat.base is None and arr.size > 1 and flat is not arr:
        raise GradcheckError("gradcheck: inputs must be contiguous")
    cols = []
    for i in range(arr.size):
        orig = flat[i].item()
        flat[i] = orig + eps
        plus = [o._cpu_array().astype(np.float64).ravel().copy() for o in _outputs(func, inputs)]
        flat[i] = orig - eps
        minus = [o._cpu_array().astype(np.float64).ravel().copy() for o in _outputs(func, inputs)]
        flat[i] = orig
        cols.append(np.concatenate([(p - m) / (2 * eps) for p, m in zip(plus, minus)]))
    return np.stack(cols, axis=1) if cols else np.zeros((0, 0))


def _analytical(func, inputs, diff_inputs):
    from . import grad
    from ..ops.creation import zeros_like
    outs = _outputs(func, inputs)
    n_out = sum(o.numel() for o in outs)
    jac = [np.zeros((n_out, t.numel())) for t in diff_inputs]
    row = 0
    for o in outs:
        if not o.requires_grad:
            row += o.numel()
            continue
        for j in range(o.numel()):
            go = zeros_like(o)
            go._data.reshape(-1)[j] = 1
            gs = grad(o, diff_inputs, go, retain_graph=True, allow_unused=True)
            for k, g in enumerate(gs):
                if g is not None:
                    jac[k][row + j] = g._cpu_array().astype(np.float64).ravel()
        row += o.numel()
    return jac


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, fast_mode=False):
    """True when the gradients of `func` at `inputs` match finite differences."""
    from .._tensor import Tensor
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(inputs)
    diff = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    for t in diff:
        if t.dtype.name not in ("float64", "complex128"):
            import warnings
            warnings.warn(f"gradcheck: input of dtype {t.dtype} is not double precision; the "
                          "check may fail from rounding alone", stacklevel=2)
    analytical = _analytical(func, inputs, diff)
    for k, t in enumerate(diff):
        numerical = _numerical(func, inputs, t, eps)
        a = analytical[k]
        if numerical.shape != a.shape or not np.allclose(a, numerical, rtol=rtol, atol=atol):
            msg = (f"Jacobian mismatch for output 0 with respect to input {inputs.index(t)},\n"
                   f"numerical:{numerical}\nanalytical:{a}\n")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, **kwargs):
    """Check second derivatives: gradcheck of the first-order gradient function."""
    from .._tensor import Tensor
    from . import grad
    from ..ops.creation import tensor
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(inputs)
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(tensor(rng.standard_normal(o.shape), dtype=o.dtype, device=o.device,
                                    requires_grad=True) for o in outs)
    diff_idx = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    n = len(inputs)

    def first_order(*args):
        ins, gos = args[:n], args[n:]
        outputs = _outputs(func, ins)
        gs = grad(outputs, [ins[i] for i in diff_idx], gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_order, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
