"""Dropout family: each is one multiply by a random mask drawn from ember's generators (so
`ember.manual_seed` reproduces it); feature variants drop whole channels."""
import math
import warnings

from ... import _kernels
from ..._device import array_module_of
from ...ops.arithmetic import add, mul
from ...random import rand

_SELU_ALPHA = 1.7580993408473766  # -scale * alpha of SELU: the value a dropped unit is set to


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(input, p, shape, scale=1.0):
    """`scale` where a unit is kept (probability 1 - p), else 0.0, in input's dtype."""
    u = rand(*shape, dtype=input.dtype, device=input.device)._data
    # Written over the uniform samples: one temporary (the bool test) instead of three arrays
    # and four passes (test, cast, scale).
    return array_module_of(u).multiply(u >= p, scale, out=u, dtype=u.dtype)


def _apply(input, factor, inplace):
    return input.mul_(factor) if inplace else mul(input, factor)


def _dropout(input, p, training, inplace, shape, alpha):
    _check_p(p)
    if not training or p == 0 or input.numel() == 0:
        return input
    from ..._tensor import Tensor
    if p == 1:
        return _apply(input, 0.0, inplace)
    if not alpha:
        keep = _keep_mask(input, p, shape, 1.0 / (1.0 - p))
        return _apply(input, Tensor._make(keep), inplace)
    keep = _keep_mask(input, p, shape)
    # Alpha dropout keeps mean and variance: dropped units go to SELU's saturation value, then an
    # affine map a*x + b restores the statistics (PyTorch's formula).
    a = 1.0 / math.sqrt((_SELU_ALPHA ** 2 * p + 1) * (1 - p))
    shift = (keep - 1) * (_SELU_ALPHA * a) + _SELU_ALPHA * a * p
    keep *= a
    out = _apply(input, Tensor._make(keep), inplace)
    return out.add_(Tensor._make(shift)) if inplace else add(out, Tensor._make(shift))


def _feature_shape(input, batched):
    """The mask shape of channel-wise dropout: one value per (sample, channel)."""
    shape = tuple(input.shape)
    if batched:
        return shape[:2] + (1,) * (len(shape) - 2)
    return shape[:1] + (1,) * (len(shape) - 1)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1-p) (training only)."""
    if training and not inplace and 0 < p < 1 and _kernels.available(input._data):
        from ..._kernels.activation import dropout_keep
        from ..._tensor import Tensor
        u = rand(*input.shape, dtype=input.dtype, device=input.device)  # the generic draws
        return mul(input, Tensor._make(dropout_keep(u._data, p, input._data.dtype)))
    return _dropout(input, p, training, inplace, tuple(input.shape), False)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: keeps zero mean and unit variance."""
    return _dropout(input, p, training, inplace, tuple(input.shape), True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels of input (N, C, *)."""
    return _dropout(input, p, training, inplace, _feature_shape(input, input.ndim > 1),
                    True)


def _feature_dropout(input, p, training, inplace, op, spatial):
    nd = input.ndim
    if nd not in (spatial + 1, spatial + 2):
        raise RuntimeError(f"{op}: Expected {spatial + 1}D or {spatial + 2}D input, but received "
                           f"a {nd}D input. Note that {op} exists to provide channel-wise dropout "
                           f"on inputs with {spatial} spatial dimension{'s' * (spatial > 1)}, a "
                           f"channel dimension, and an optional batch dimension (i.e. "
                           f"{spatial + 1}D or {spatial + 2}D inputs).")
    return _dropout(input, p, training, inplace, _feature_shape(input, nd == spatial + 2),
                    False)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of input (N, C, L) or (C, L) with probability p."""
    return _feature_dropout(input, p, training, inplace, "dropout1d", 1)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of input (N, C, H, W) with probability p. A 3-D input is taken as
    (N, C, L), with PyTorch's warning."""
    nd = input.ndim
    if nd not in (3, 4):
        warnings.warn(f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and "
                      "will result in an error in a future release. To retain the behavior and "
                      "silence this warning, please use dropout instead. Note that dropout2d "
                      "exists to provide channel-wise dropout on inputs with 2 spatial dimensions, "
                      "a channel dimension, and an optional batch dimension (i.e. 3D or 4D "
                      "inputs).", stacklevel=2)
    if nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                      "1D dropout behavior is desired - input is interpreted as shape (N, C, L), "
                      "where C is the channel dim. This behavior will change in a future release "
                      "to interpret the input as one without a batch dimension, i.e. shape "
                      "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch "
                      "to using dropout1d instead.", stacklevel=2)
    return _dropout(input, p, training, inplace, _feature_shape(input, nd > 1), False)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of input (N, C, D, H, W) or (C, D, H, W) with probability p."""
    return _feature_dropout(input, p, training, inplace, "dropout3d", 3)


__all__ = ["dropout", "alpha_dropout", "feature_alpha_dropout", "dropout1d", "dropout2d",
           "dropout3d"]
