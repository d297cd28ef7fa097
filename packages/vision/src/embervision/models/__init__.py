"""Classification models with torchvision's module structure and state_dict keys, and the
weights API (`get_model`, `list_models`, `get_model_weights`, `<Model>_Weights`)."""
import sys

from ._api import (Weights, WeightsEnum, get_model, get_model_builder, get_model_weights,
                   get_weight, list_models)
from .alexnet import *  # noqa: F403
from .convnext import *  # noqa: F403
from .densenet import *  # noqa: F403
from .efficientnet import *  # noqa: F403
from .googlenet import *  # noqa: F403
from .inception import *  # noqa: F403
from .mobilenetv2 import *  # noqa: F403
from .mobilenetv3 import *  # noqa: F403
from .regnet import *  # noqa: F403
from .resnet import *  # noqa: F403
from .shufflenetv2 import *  # noqa: F403
from .squeezenet import *  # noqa: F403
from .swin_transformer import *  # noqa: F403
from .vgg import *  # noqa: F403
from .vision_transformer import *  # noqa: F403
from . import detection, segmentation  # noqa: E402  (registers their builders)

# As in torchvision, the builder `alexnet` shadows the submodule of the same name here, so the
# submodules' export lists are read from sys.modules.
__all__ = ["Weights", "WeightsEnum", "get_model", "get_model_builder", "get_model_weights",
           "get_weight", "list_models"] + [
    name
    for module in ("alexnet", "convnext", "densenet", "efficientnet", "googlenet", "inception",
                   "mobilenetv2", "mobilenetv3", "regnet", "resnet", "shufflenetv2", "squeezenet",
                   "swin_transformer", "vgg", "vision_transformer")
    for name in sys.modules[f"{__name__}.{module}"].__all__
]
