"""Classification models with torchvision's module structure and state_dict keys, and the
weights API (`get_model`, `list_models`, `get_model_weights`, `<Model>_Weights`)."""
import sys

from ._api import (Weights, WeightsEnum, get_model, get_model_builder, get_model_weights,
                   get_weight, list_models)
from .alexnet import *  # noqa: F403
from .densenet import *  # noqa: F403
from .mobilenetv2 import *  # noqa: F403
from .mobilenetv3 import *  # noqa: F403
from .resnet import *  # noqa: F403
from .squeezenet import *  # noqa: F403
from .vgg import *  # noqa: F403

# As in torchvision, the builder `alexnet` shadows the submodule of the same name here, so the
# submodules' export lists are read from sys.modules.
__all__ = ["Weights", "WeightsEnum", "get_model", "get_model_builder", "get_model_weights",
           "get_weight", "list_models"] + [
    name
    for module in ("alexnet", "densenet", "mobilenetv2", "mobilenetv3", "resnet", "squeezenet",
                   "vgg")
    for name in sys.modules[f"{__name__}.{module}"].__all__
]
