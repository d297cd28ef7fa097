"""Pointwise functions of two or three tensors: clamp, lerp, addcmul/addcdiv, float_power,
atan2, hypot, xlogy (exported with the unary family, see `unary.py`)."""
import numpy as np

from .. import _dtypes
from .._device import array_module_of
from .._tensor import Tensor
from ..autograd.graph import Node
from ._common import attach, binary, check_same_device, grad_for, is_tensor, requires_grad
from .arithmetic import add, pow


def _tensor_arg(input, op):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    return input._data


def _real_only(arr, op):
    if arr.dtype.kind == "c":
        raise RuntimeError(f"{op}: not implemented for complex tensors")


class ClampBackward1(Node):
    """Clamp to Python numbers: the gradient passes where lo <= x <= hi."""
    __slots__ = ("lo", "hi")

    def backward(self, g):
        (x,) = self.unpack()
        mask = None
        if self.lo is not None:
            mask = x >= self.lo
        if self.hi is not None:
            mask = x <= self.hi if mask is None else mask & (x <= self.hi)
        return (g * mask,)


class ClampBackward0(Node):
    """Clamp to tensors: each element's gradient goes to whichever of x, min, max it came from,
    with PyTorch's rules when min > max (max wins)."""
    __slots__ = ("lo", "hi")

    def backward(self, g):
        from .comparison import where
        x, lo, hi = self.lo_hi()
        grads = [None, None, None]
        if self.inputs[0] is not None:
            mask = None
            if lo is not None:
                mask = x >= lo
            if hi is not None:
                mask = x <= hi if mask is None else mask & (x <= hi)
            grads[0] = grad_for(where(mask, g, 0.0), x)
        if self.inputs[1] is not None:
            mask = x < lo if hi is None else (x < lo) & (lo < hi)
            grads[1] = grad_for(where(mask, g, 0.0), lo)
        if self.inputs[2] is not None:
            mask = x > hi if lo is None else (x > hi) | (hi < lo)
            grads[2] = grad_for(where(mask, g, 0.0), hi)
        return tuple(grads)

    def lo_hi(self):
        saved = iter(self.unpack())
        x = next(saved)
        lo = next(saved) if self.lo else None
        hi = next(saved) if self.hi else None
        return x, lo, hi


def clamp(input, min=None, max=None):
    """Limit values to [min, max]; bounds are numbers or broadcastable tensors. NaN stays NaN;
    where min > max the result is max, as in PyTorch."""
    arr = _tensor_arg(input, "clamp")
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    bounds = [b for b in (min, max) if b is not None]
    _real_only(arr, "clamp")
    dt = _dtypes.result_type(input, *bounds).np
    arr = arr if arr.dtype == dt else arr.astype(dt)
    lo, hi = (_bound(b, dt, input) for b in (min, max))
    xp = array_module_of(arr)
    out = arr
    if lo is not None:
        out = xp.maximum(out, lo)
    if hi is not None:
        out = xp.minimum(out, hi)
    if out is arr:
        out = arr.copy()
    if not requires_grad(input, min, max):
        return attach(out, None, ())
    if is_tensor(min) or is_tensor(max):
        node = ClampBackward0(None)
        node.lo, node.hi = min is not None, max is not None
        node.save(*[t for t in (input, min, max) if t is not None])
        return attach(out, node, (input, min, max))
    node = ClampBackward1(None)
    node.lo, node.hi = min, max
    node.save(input)
    return attach(out, node, (input,))


def _bound(b, dt, input):
    if b is None or not is_tensor(b):
        return b
    check_same_device(input, b, "clamp")
    return b._data if b._data.dtype == dt else b._data.astype(dt)


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)




class LerpBackward(Node):
    __slots__ = ("w",)

    def backward(self, g):
        saved = self.unpack()
        start, end = saved[0], saved[1]
        w = saved[2] if len(saved) == 3 else self.w
        gs = [None, None, None]
        if self.inputs[0] is not None:
            gs[0] = grad_for(g * (1 - w), start)
        if self.inputs[1] is not None:
            gs[1] = grad_for(g * w, end)
        if len(self.inputs) == 3 and self.inputs[2] is not None:
            gs[2] = grad_for(g * (end - start), w)
        return tuple(gs[:len(self.inputs)])


LerpBackward0 = type("LerpBackward0", (LerpBackward,), {"__slots__": ()})
LerpBackward1 = type("LerpBackward1", (LerpBackward,), {"__slots__": ()})


def lerp(input, end, weight):
    """input + weight * (end - input); `weight` is a number or a broadcastable tensor."""
    a, b = _tensor_arg(input, "lerp"), _tensor_arg(end, "lerp")
    if a.dtype != b.dtype:
        raise RuntimeError(f"lerp: expected dtype {input.dtype.name} for `end` but got dtype "
                           f"{end.dtype.name}")
    w = weight._data if is_tensor(weight) else weight
    if is_tensor(weight) and w.dtype != a.dtype:
        raise RuntimeError(f"lerp: expected dtype {input.dtype.name} for `weight` but got dtype "
                           f"{weight.dtype.name}")
    xp = array_module_of(a)
    with np.errstate(all="ignore"):
        diff = b - a
        # PyTorch's two-sided form: exact at weight 0 and at weight 1.
        out = xp.where(xp.abs(w) < 0.5, a + w * diff, b - diff * (1 - w)).astype(a.dtype)
    if not requires_grad(input, end, weight):
        return attach(out, None, ())
    if is_tensor(weight):
        node = LerpBackward1(None)
        node.save(input, end, weight)
        return attach(out, node, (input, end, weight))
    node = LerpBackward0(None)
    node.w = weight
    node.save(input, end)
    return attach(out, node, (input, end))


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2."""
    return add(input, tensor1 * tensor2, alpha=value)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2 (integer tensor1 and tensor2 are an error)."""
    if _is_integral(tensor1) and _is_integral(tensor2):
        raise RuntimeError("addcdiv: Integer division with addcdiv is no longer supported; "
                           "use (input + value * trunc(tensor1 / tensor2)) instead.")
    return add(input, tensor1 / tensor2, alpha=value)


def _is_integral(x):
    return is_tensor(x) and x._data.dtype.kind in "biu"


def float_power(input, exponent):
    """input ** exponent computed in float64 (complex128 when either is complex)."""
    complex_ = any(is_tensor(v) and v.is_complex() or isinstance(v, complex)
                   for v in (input, exponent))
    dt = _dtypes.complex128 if complex_ else _dtypes.float64
    if is_tensor(input):
        input = input.to(dt)
    if is_tensor(exponent):
        exponent = exponent.to(dt)
    if not is_tensor(input):
        from .creation import full_like
        input = full_like(exponent, input, dtype=dt)
    return pow(input, exponent)


class _TwoOperand(Node):
    """Backward of `f(x, y)` with x, y tensors or numbers: `derivatives(g, x, y)` gives both."""
    __slots__ = ("x", "y")
    derivatives = None

    def backward(self, g):
        if self.saved:
            self.unpack()
        x, y = self.x, self.y
        gx, gy = self.derivatives(g, x, y, self.inputs[0] is not None, self.inputs[1] is not None)
        return (grad_for(gx, x) if gx is not None else None,
                grad_for(gy, y) if gy is not None else None)


def _two_operand(name, compute, derivatives, node_name, scalars=True, doc=""):
    node_cls = type(node_name, (_TwoOperand,),
                    {"__slots__": (), "derivatives": staticmethod(derivatives)})

    def op(input, other):
        if not scalars:
            _tensor_arg(input, name)
            _tensor_arg(other, name)
        a, b = binary(input, other, name)
        dt = _dtypes.result_type(input, other)
        dt = dt if dt.category >= 2 else _dtypes.get_default_dtype()
        xp = array_module_of(a if _is_array(a) else b)
        # Numbers become 0-dim arrays of the result dtype: NumPy would widen float32 next to
        # the float64 scalar that xp.log(3.0) returns.
        a = a.astype(dt.np, copy=False) if _is_array(a) else xp.asarray(a, dtype=dt.np)
        b = b.astype(dt.np, copy=False) if _is_array(b) else xp.asarray(b, dtype=dt.np)
        with np.errstate(all="ignore"):
            out = compute(xp, a, b)
        node = None
        if requires_grad(input, other):
            node = node_cls(None)
            node.x, node.y = input, other
            node.save(*(v for v in (input, other) if is_tensor(v)))
        return attach(out, node, (input, other))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


def _is_array(a):
    return hasattr(a, "dtype") and hasattr(a, "shape")


def _atan2_derivatives(g, y, x, need_y, need_x):
    denom = x * x + y * y
    return (g * x / denom if need_y else None), (-g * y / denom if need_x else None)


def _hypot_derivatives(g, x, y, need_x, need_y):
    h = hypot(x, y)
    return (g * x / h if need_x else None), (g * y / h if need_y else None)


def _xlogy_derivatives(g, x, y, need_x, need_y):
    from .comparison import where
    gx = gy = None
    if need_x:
        gx = xlogy(g, y)
        if is_tensor(y) or y <= 0:
            gx = where((x == 0) & (y <= 0), 0.0, gx) if is_tensor(x) else gx
    if need_y:
        gy = g * x / y
    return gx, gy


def _xlogy(xp, a, b):
    # 0 * log(y) is 0 even where log(y) is -inf, but NaN in y still propagates.
    out = a * xp.log(b)
    return xp.where((a == 0) & ~xp.isnan(b), 0, out).astype(out.dtype, copy=False)


atan2 = _two_operand("atan2", lambda xp, a, b: xp.arctan2(a, b), _atan2_derivatives,
                     "Atan2Backward0", scalars=False,
                     doc="Angle of the point (other, input): atan(input / other) by quadrant.")
hypot = _two_operand("hypot", lambda xp, a, b: xp.hypot(a, b), _hypot_derivatives,
                     "HypotBackward0", scalars=False, doc="sqrt(input**2 + other**2) without "
                     "overflow.")
xlogy = _two_operand("xlogy", _xlogy, _xlogy_derivatives, "XlogyBackward0",
                     doc="input * log(other), 0 where input is 0 (unless other is NaN).")

