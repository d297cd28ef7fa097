"""`ember.nn.init`: fill parameters in place (under no_grad) with PyTorch's initialisation schemes.

Random draws go through the tensor's own `uniform_`/`normal_` (ember's generators), so seeding
with `ember.manual_seed` or passing `generator=` makes initialisation reproducible.
"""
import math
import warnings

from ..autograd.grad_mode import no_grad

_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
               "conv_transpose3d")


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (sqrt(2) for relu, 5/3 for tanh, ...)."""
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif (isinstance(param, int) and not isinstance(param, bool)) or isinstance(param, float):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4  # found empirically (pytorch/pytorch#50664)
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _write(tensor, array):
    """Store `array` into `tensor` in place, counting it as an in-place modification."""
    tensor._data[...] = array
    tensor._vc[0] += 1
    return tensor


def _fresh(tensor, shape=None):
    """An uninitialised tensor with `tensor`'s dtype and device, to sample into."""
    from ..ops.creation import empty
    return empty(tuple(tensor.shape) if shape is None else shape, dtype=tensor.dtype,
                 device=tensor.device)


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with U(a, b)."""
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with N(mean, std²)."""
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with N(mean, std²) restricted to [a, b], by rejection sampling: normal proposals when
    the interval holds much of the mass, else uniform proposals on [a, b] accepted with
    probability pdf/peak (PyTorch's two regimes)."""
    def norm_cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", stacklevel=2)
    if tensor.numel() == 0:
        return tensor
    mass = norm_cdf((b - mean) / std) - norm_cdf((a - mean) / std)
    peak = max(a, min(mean, b))
    log_peak = -0.5 * ((peak - mean) / std) ** 2
    xp_where = _xp(tensor).where
    with no_grad():
        result = pending = None
        while pending is None or pending.any():
            if mass > 0.3:
                cand = _fresh(tensor).normal_(mean, std, generator=generator)._data
                ok = (cand >= a) & (cand <= b)
            else:
                cand = _fresh(tensor).uniform_(a, b, generator=generator)._data
                u = _fresh(tensor).uniform_(0, 1, generator=generator)._data
                ok = _xp(tensor).log(u) <= -0.5 * ((cand - mean) / std) ** 2 - log_peak
            if result is None:
                result, pending = cand, ~ok
            else:
                result = xp_where(pending & ok, cand, result)
                pending &= ~ok
        return _write(tensor, result)


def constant_(tensor, val):
    with no_grad():
        return _write(tensor, val)


def ones_(tensor):
    return constant_(tensor, 1)


def zeros_(tensor):
    return constant_(tensor, 0)


def eye_(tensor):
    """The identity matrix (2-D tensors only), as in Linear layers preserving their input."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    with no_grad():
        return _write(tensor, _xp(tensor).eye(*tensor.shape, dtype=tensor._data.dtype))


def dirac_(tensor, groups=1):
    """The Dirac delta for 3-, 4- and 5-D conv weights: convolution that preserves its input
    (per group, up to min(out_channels_per_group, in_channels) channels)."""
    dims = tensor.ndim
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.shape
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = sizes[0] // groups
    centre = tuple(s // 2 for s in sizes[2:])
    with no_grad():
        data = _xp(tensor).zeros(tensor._data.shape, dtype=tensor._data.dtype)
        for g in range(groups):
            for d in range(min(out_per_group, sizes[1])):
                data[(g * out_per_group + d, d) + centre] = 1
        return _write(tensor, data)


def _calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out): in/out feature maps times the receptive field (kernel) size."""
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         "dimensions")
    receptive = 1
    for s in tensor.shape[2:]:
        receptive *= s
    return tensor.size(1) * receptive, tensor.size(0) * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot normal: N(0, std²) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    return calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He uniform: U(-b, b) with b = gain * sqrt(3 / fan_mode)."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He normal: N(0, std²) with std = gain / sqrt(fan_mode)."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    return normal_(tensor, 0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def orthogonal_(tensor, gain=1, generator=None):
    """A (semi-)orthogonal matrix over dims (0, rest...), from the QR of a Gaussian matrix with
    the signs fixed so the result is uniformly distributed (Mezzadri, math-ph/0609050)."""
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.size(0)
    cols = tensor.numel() // rows
    xp = _xp(tensor)
    with no_grad():
        flat = _fresh(tensor, (rows, cols)).normal_(0, 1, generator=generator)._data
        if flat.dtype.itemsize < 4:  # no QR for half precision: factorise in float32
            flat = flat.astype("float32")
        if rows < cols:
            flat = flat.T
        q, r = xp.linalg.qr(flat)
        q = q * xp.sign(xp.diagonal(r))
        if rows < cols:
            q = q.T
        return _write(tensor, (q * gain).reshape(tensor._data.shape))


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """N(0, std²) with a fraction `sparsity` of each column set to zero (2-D tensors only)."""
    from ..random import randperm
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = int(math.ceil(sparsity * rows))
    with no_grad():
        tensor.normal_(0, std, generator=generator)
        data = tensor._data
        for col in range(cols):
            zero_rows = randperm(rows, generator=generator)._data[:num_zeros]
            data[_xp(tensor).asarray(zero_rows), col] = 0
    return tensor


def _xp(tensor):
    from .._device import array_module_of
    return array_module_of(tensor._data)


def _deprecated(fn):
    old = fn.__name__[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{fn.__name__}`.",
                      FutureWarning, stacklevel=2)
        return fn(*args, **kwargs)

    deprecated_init.__name__ = old
    return deprecated_init


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
