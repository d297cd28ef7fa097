"""Multi30k: English-German image descriptions, items `(source, target)` sentence pairs."""
from ._base import load_splits

__all__ = ["Multi30k"]

SPLITS = ("train", "valid", "test")
_BASE = "https://raw.githubusercontent.com/neychev/small_DL_repo/master/datasets/Multi30k/"
MULTI30K_RESOURCES = {
    "train": (_BASE + "training.tar.gz",
              "20140d013d05dd9a72dfde46478663ba05737ce983f478f960c1123c6671be5e"),
    "valid": (_BASE + "validation.tar.gz",
              "a7aa20e9ebd5ba5adce7909498b94410996040857154dab029851af3a866da8c"),
    "test": (_BASE + "mmt16_task1_test.tar.gz",
             "6d1ca1dba99e2c5dd54cae1226ff11c2551e6ce63527ebb072a1f70f72a5cd36"),
}
_PREFIX = {"train": "train", "valid": "val", "test": "test2016"}


def _read_pairs(source, target):
    with open(source, encoding="utf-8") as src, open(target, encoding="utf-8") as tgt:
        for a, b in zip(src, tgt):
            yield a.rstrip("\n"), b.rstrip("\n")


def Multi30k(root=".data", split=SPLITS, language_pair=("de", "en"), mirrors=None):  # noqa: N802
    """29,000 / 1,014 / 1,000 sentence pairs; `language_pair` is ("de", "en") or ("en", "de")."""
    if tuple(language_pair) not in (("de", "en"), ("en", "de")):
        raise ValueError(f"Multi30k: language_pair must be ('de', 'en') or ('en', 'de'), got "
                         f"{language_pair!r}")
    src, tgt = language_pair
    files = {s: (f"{_PREFIX[s]}.{src}", f"{_PREFIX[s]}.{tgt}") for s in SPLITS}
    return load_splits("Multi30k", root, split, SPLITS, MULTI30K_RESOURCES, files, _read_pairs,
                       mirrors)
