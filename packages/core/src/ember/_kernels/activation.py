"""Fused GELU and SiLU (forward and backward: one elementwise kernel each) and the dropout
mask (compare, cast and scale in one kernel). Math in float32 for float16 storage."""
import functools

from .._device import cupy_module
from . import record

_GELU_FWD = {
    "none": ("const float v = (float)x; "
             "y = (T)(0.5f * v * (1.0f + erff(v * 0.70710678118654752f)));"),
    "tanh": ("const float v = (float)x; "
             "const float t = tanhf(0.79788456080286536f * (v + 0.044715f * v * v * v)); "
             "y = (T)(0.5f * v * (1.0f + t));"),
}
_GELU_BWD = {
    # d/dx x*Phi(x) = Phi(x) + x*phi(x)
    "none": ("const float v = (float)x; "
             "const float cdf = 0.5f * (1.0f + erff(v * 0.70710678118654752f)); "
             "const float pdf = 0.39894228040143268f * expf(-0.5f * v * v); "
             "gx = (T)((float)g * (cdf + v * pdf));"),
    "tanh": ("const float v = (float)x; "
             "const float u = 0.79788456080286536f * (v + 0.044715f * v * v * v); "
             "const float t = tanhf(u); "
             "const float du = 0.79788456080286536f * (1.0f + 0.134145f * v * v); "
             "gx = (T)((float)g * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * du));"),
}


@functools.lru_cache(maxsize=None)
def _kernel(name):
    cp = cupy_module()
    if name.startswith("gelu_fwd_"):
        return cp.ElementwiseKernel("T x", "T y", _GELU_FWD[name[9:]], "ember_" + name)
    if name.startswith("gelu_bwd_"):
        return cp.ElementwiseKernel("T x, T g", "T gx", _GELU_BWD[name[9:]], "ember_" + name)
    if name == "silu_fwd":
        return cp.ElementwiseKernel(
            "T x", "T y", "const float v = (float)x; y = (T)(v / (1.0f + expf(-v)));",
            "ember_silu_fwd")
    if name == "silu_bwd":
        # d/dx x*s(x) = s(x) * (1 + x * (1 - s(x)))
        return cp.ElementwiseKernel(
            "T x, T g", "T gx",
            "const float v = (float)x; const float s = 1.0f / (1.0f + expf(-v)); "
            "gx = (T)((float)g * s * (1.0f + v * (1.0f - s)));", "ember_silu_bwd")
    if name == "dropout_mask":
        return cp.ElementwiseKernel(
            "U u, float32 p, float32 scale", "T keep", "keep = (T)((float)u >= p ? scale : 0.0f);",
            "ember_dropout_mask")
    raise KeyError(name)


def gelu(input, approximate):
    """`F.gelu` for a CuPy float array; None when `approximate` is not one we fuse (the generic
    op then raises its own error)."""
    if approximate not in _GELU_FWD:
        return None
    x = input._data
    out = _kernel("gelu_fwd_" + approximate)(x)

    def grads(g, ctx):
        return (_kernel("gelu_bwd_" + approximate)(ctx, g),)

    def generic(t):
        from ..nn.functional.activation import gelu as generic_gelu
        return generic_gelu(t, approximate)
    return record(out, "GeluBackward0", (input,), grads, generic, x)


def silu(input):
    """`F.silu` (not in place) for a CuPy float array."""
    x = input._data
    out = _kernel("silu_fwd")(x)

    def grads(g, ctx):
        return (_kernel("silu_bwd")(ctx, g),)

    def generic(t):
        from ..nn.functional.activation import silu as generic_silu
        return generic_silu(t)
    return record(out, "SiluBackward0", (input,), grads, generic, x)


def dropout_keep(uniform, p, dtype):
    """The scaled keep mask `(u >= p) / (1 - p)` of uniform draws, in `dtype`, in one kernel."""
    cp = cupy_module()
    keep = cp.empty(uniform.shape, dtype=dtype)
    return _kernel("dropout_mask")(uniform, p, 1.0 / (1.0 - p), keep)
