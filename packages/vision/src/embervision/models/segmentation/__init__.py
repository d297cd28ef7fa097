"""Semantic segmentation models with torchvision's structure and state_dict keys."""
from .deeplabv3 import *  # noqa: F403
from .fcn import *  # noqa: F403
from .lraspp import *  # noqa: F403
from .deeplabv3 import __all__ as _deeplabv3_all
from .fcn import __all__ as _fcn_all
from .lraspp import __all__ as _lraspp_all

__all__ = _deeplabv3_all + _fcn_all + _lraspp_all
