"""Ember: tensors with autograd, `nn`, `optim` and data loading, PyTorch's API on NumPy/CuPy."""
from . import _dtypes, cuda
from ._config import *  # noqa: F401,F403
from ._device import device
from ._formatting import set_printoptions
from ._dtypes import (bfloat16, complex64, complex128, dtype, float16, float32, float64,
                      get_default_dtype, int8, int16, int32, int64, promote_types, result_type,
                      set_default_dtype, uint8)
from ._dtypes import bool_ as bool
from ._tensor import Size, Tensor
from . import ops as _ops
from .ops.arithmetic import add, div, divide, mul, multiply, neg, negative, pow, rsub, sub, \
    subtract, true_divide
from .ops.conversion import clone
from .ops.creation import (arange, as_tensor, empty, empty_like, eye, from_dlpack, from_numpy,
                           full, full_like, linspace, logspace, ones, ones_like, scalar_tensor,
                           tensor, vander, zeros, zeros_like)
from .ops.reduction import mean, sum
from .ops.shape import reshape
# Each op family lists its public functions in __all__; they become `ember.<name>`.
from .ops.attributes import *  # noqa: F401,F403
from .ops.comparison import *  # noqa: F401,F403
from .ops.index_reduce import *  # noqa: F401,F403
from .ops.indexing import *  # noqa: F401,F403
from .ops.joining import *  # noqa: F401,F403
from .ops.linalg_methods import *  # noqa: F401,F403
from .ops.linalg_ops import *  # noqa: F401,F403
from .ops.scatter_reduce import *  # noqa: F401,F403
from .ops.reduction import *  # noqa: F401,F403
from .ops.reduction_stats import *  # noqa: F401,F403
from .ops.cumulative import *  # noqa: F401,F403
from .ops.rounding import *  # noqa: F401,F403
from .ops.shape import *  # noqa: F401,F403
from .ops.softmax import *  # noqa: F401,F403
from .ops.sorting import *  # noqa: F401,F403
from .ops.special import *  # noqa: F401,F403
from .ops.spectral import *  # noqa: F401,F403
from .ops.unary import *  # noqa: F401,F403
from .ops.view_scatter import *  # noqa: F401,F403
from .random import *  # noqa: F401,F403
from .serialization import *  # noqa: F401,F403
from . import backends, distributed, fft, hub, linalg, nn, optim, safetensors, utils
from . import amp, autograd
from .amp import autocast, get_autocast_dtype, is_autocast_enabled
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled

__version__ = "0.1.0"

# PyTorch's dtype aliases (ember.half, ember.long, ...); bound here so the builtins stay intact
# inside ember's own modules.
half, float, double, short, int, long, cfloat, cdouble = (
    float16, float32, float64, int16, int32, int64, complex64, complex128)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.dtype.is_floating_point


def numel(input):
    return input.numel()
