"""Layer classes, one family per file; each holds parameters and calls `nn.functional`."""
from .activation import *  # noqa: F401,F403
from .activation import __all__ as _activation_all
from .loss import *  # noqa: F401,F403
from .loss import __all__ as _loss_all
from .conv import *  # noqa: F401,F403
from .conv import __all__ as _conv_all
from .pooling import *  # noqa: F401,F403
from .pooling import __all__ as _pooling_all
from .padding import *  # noqa: F401,F403
from .padding import __all__ as _padding_all
from .upsampling import *  # noqa: F401,F403
from .upsampling import __all__ as _upsampling_all
from .batchnorm import *  # noqa: F401,F403
from .batchnorm import __all__ as _batchnorm_all
from .instancenorm import *  # noqa: F401,F403
from .instancenorm import __all__ as _instancenorm_all
from .normalization import *  # noqa: F401,F403
from .normalization import __all__ as _normalization_all
from .dropout import *  # noqa: F401,F403
from .dropout import __all__ as _dropout_all
from .sparse import *  # noqa: F401,F403
from .sparse import __all__ as _sparse_all
from .distance import *  # noqa: F401,F403
from .distance import __all__ as _distance_all
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .flatten import Flatten, Unflatten
from .linear import Bilinear, Identity, Linear
from .module import Module
from .rnn import *  # noqa: F401,F403
from .rnn import __all__ as _rnn_all
from .attention import MultiheadAttention
from .transformer import *  # noqa: F401,F403
from .transformer import __all__ as _transformer_all

__all__ = ["Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
           "Identity", "Linear", "Bilinear", "Flatten", "Unflatten"]
__all__ += _activation_all
__all__ += _loss_all
__all__ += _rnn_all
__all__ += ["MultiheadAttention"] + _transformer_all
__all__ += _conv_all
__all__ += _pooling_all
__all__ += _padding_all
__all__ += _upsampling_all
__all__ += _batchnorm_all
__all__ += _instancenorm_all
__all__ += _normalization_all
__all__ += _dropout_all
__all__ += _sparse_all
__all__ += _distance_all
