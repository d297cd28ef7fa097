"""Layer classes, one family per file; each holds parameters and calls `nn.functional`."""
from .activation import *  # noqa: F401,F403
from .activation import __all__ as _activation_all
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .flatten import Flatten, Unflatten
from .linear import Bilinear, Identity, Linear
from .module import Module

__all__ = ["Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
           "Identity", "Linear", "Bilinear", "Flatten", "Unflatten"]
__all__ += _activation_all
