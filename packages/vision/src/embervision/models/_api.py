"""The weights API and the model registry: `Weights`, `WeightsEnum`, `register_model`,
`list_models`, `get_model`, `get_model_builder` and `get_model_weights` (torchvision's
`models/_api.py`).

A builder's `weights` parameter is annotated `Optional[<Model>_Weights]`; `get_model_weights`
reads the enum from that annotation, so the builder's signature is the single place that ties a
model to its weights.
"""
import fnmatch
import inspect
import sys
import typing
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable

from ember.hub import load_state_dict_from_url

__all__ = ["Weights", "WeightsEnum", "get_model", "get_model_builder", "get_model_weights",
           "get_weight", "list_models", "register_model"]


@dataclass
class Weights:
    """One published checkpoint: its download URL (whose file name carries the SHA-256 prefix
    checked on download), the preprocessing it was trained with, and its metadata.

    The dataclass equality (field by field) is what makes `DEFAULT = IMAGENET1K_V1` in an enum
    an alias of that member rather than a second member."""

    url: str
    transforms: Callable
    meta: dict[str, Any] = field(default_factory=dict)


class WeightsEnum(Enum):
    """Base of the `<Model>_Weights` enums; each member's value is a `Weights`."""

    @classmethod
    def verify(cls, obj):
        """`obj` as a member of this enum: accepts None, a member, or its name as a string
        (`"IMAGENET1K_V1"`, `"DEFAULT"` or `"ResNet18_Weights.IMAGENET1K_V1"`)."""
        if obj is None:
            return None
        if isinstance(obj, str):
            name = obj.replace(cls.__name__ + ".", "")
            if name not in cls.__members__:
                raise ValueError(f"{cls.__name__}: unknown weights {obj!r}; available: "
                                 f"{', '.join(cls.__members__)}")
            return cls[name]
        if not isinstance(obj, cls):
            raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but "
                            f"received {obj.__class__.__name__}.")
        return obj

    def get_state_dict(self, *args, **kwargs):
        """Download (once, into the hub cache) and load this checkpoint's state_dict."""
        return load_state_dict_from_url(self.url, *args, **kwargs)

    def __repr__(self):
        return f"{self.__class__.__name__}.{self._name_}"

    @property
    def url(self):
        return self.value.url

    @property
    def transforms(self):
        return self.value.transforms

    @property
    def meta(self):
        return self.value.meta


def get_weight(name):
    """The weights member named `"<Model>_Weights.<NAME>"`, e.g. `"ResNet50_Weights.DEFAULT"`."""
    enum_name, _, value_name = name.partition(".")
    if not value_name:
        raise ValueError(f"get_weight: expected '<Model>_Weights.<NAME>', got {name!r}")
    package = sys.modules[__name__.rsplit(".", 1)[0]]
    enum_cls = getattr(package, enum_name, None)
    if not (isinstance(enum_cls, type) and issubclass(enum_cls, WeightsEnum)):
        raise ValueError(f"get_weight: no weights enum named {enum_name!r}")
    return enum_cls.verify(value_name)


BUILTIN_MODELS = {}


def register_model(name=None):
    """Decorator adding a builder to the registry under `name` (default: the function's name)."""
    def wrapper(fn):
        key = name if name is not None else fn.__name__
        if key in BUILTIN_MODELS:
            raise ValueError(f"An entry is already registered under the name '{key}'.")
        BUILTIN_MODELS[key] = fn
        return fn
    return wrapper


def list_models(module=None, include=None, exclude=None):
    """Sorted names of the registered builders, optionally only those defined under `module`
    and filtered by Unix-style patterns (`include="resnet*"`, `exclude=["*_bn"]`)."""
    names = {k for k, fn in BUILTIN_MODELS.items()
             if module is None or fn.__module__.rsplit(".", 1)[0] == module.__name__}
    if include:
        patterns = [include] if isinstance(include, str) else include
        names = {n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)}
    if exclude:
        patterns = [exclude] if isinstance(exclude, str) else exclude
        names = {n for n in names if not any(fnmatch.fnmatch(n, p) for p in patterns)}
    return sorted(names)


def get_model_builder(name):
    """The builder function registered as `name`."""
    try:
        return BUILTIN_MODELS[name.lower()]
    except KeyError:
        raise ValueError(f"Unknown model {name!r}; see embervision.models.list_models()") \
            from None


def get_model(name, **config):
    """Build the registered model `name`: `get_model("resnet50", weights="DEFAULT")`."""
    return get_model_builder(name)(**config)


def get_model_weights(name):
    """The `<Model>_Weights` enum of a builder, given by name or as the function itself."""
    fn = get_model_builder(name) if isinstance(name, str) else name
    annotation = inspect.signature(fn).parameters["weights"].annotation
    for candidate in typing.get_args(annotation) or (annotation,):
        if isinstance(candidate, type) and issubclass(candidate, WeightsEnum):
            return candidate
    raise ValueError(f"The weights enum of {fn.__name__} could not be read from its "
                     f"'weights' annotation {annotation!r}")
