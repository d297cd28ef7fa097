"""Text classification datasets: AG_NEWS, YelpReviewPolarity, IMDB, SST2 (items as torchtext
yields them: (label, text), labels counting from 1; SST2 gives (text, label))."""
import csv
import os

from ._base import load_splits

__all__ = ["AG_NEWS", "IMDB", "SST2", "YelpReviewPolarity"]

# Original locations and checksums (MD5: 32 hex digits, SHA-256: 64), as torchtext lists them.
AG_NEWS_RESOURCES = {
    "train": ("https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/"
              "ag_news_csv/train.csv", "b1a00f826fdfbd249f79597b59e1dc12"),
    "test": ("https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/"
             "ag_news_csv/test.csv", "d52ea96a97a2d943681189a97654912d"),
}
# torchtext's URL is a Google Drive page a plain GET cannot pass; fast.ai's copy of the same
# archive is used with torchtext's MD5 (not verified against it from this machine).
_YELP = ("https://s3.amazonaws.com/fast-ai-nlp/yelp_review_polarity_csv.tgz",
         "620c8ae4bd5a150b730f1ba9a7c6a4d3")
YELP_RESOURCES = {"train": _YELP, "test": _YELP}
_IMDB = ("http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
         "7c2ac02c03563afcf9b574c7e56c153a")
IMDB_RESOURCES = {"train": _IMDB, "test": _IMDB}
_SST2 = ("https://dl.fbaipublicfiles.com/glue/data/SST-2.zip", "9f81648d4199384278b86e315dac217c")
SST2_RESOURCES = {"train": _SST2, "dev": _SST2, "test": _SST2}


def _read_label_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.reader(f):
            yield int(row[0]), " ".join(row[1:])


def AG_NEWS(root=".data", split=("train", "test"), mirrors=None):  # noqa: N802 (torchtext name)
    """News titles + descriptions in 4 classes (1 World, 2 Sports, 3 Business, 4 Sci/Tech):
    120,000 train and 7,600 test items `(label, text)`."""
    files = {"train": "train.csv", "test": "test.csv"}
    return load_splits("AG_NEWS", root, split, ("train", "test"), AG_NEWS_RESOURCES, files,
                       _read_label_csv, mirrors, archive=False)


def YelpReviewPolarity(root=".data", split=("train", "test"), mirrors=None):  # noqa: N802
    """Yelp reviews, 1 negative / 2 positive: 560,000 train and 38,000 test `(label, text)`."""
    files = {s: f"yelp_review_polarity_csv/{s}.csv" for s in ("train", "test")}
    return load_splits("YelpReviewPolarity", root, split, ("train", "test"), YELP_RESOURCES,
                       files, _read_label_csv, mirrors)


def _read_imdb(folder):
    for label, polarity in ((1, "neg"), (2, "pos")):
        directory = os.path.join(folder, polarity)
        for name in sorted(os.listdir(directory)):
            with open(os.path.join(directory, name), encoding="utf-8") as f:
                yield label, f.read()


def IMDB(root=".data", split=("train", "test"), mirrors=None):  # noqa: N802
    """Movie reviews, 1 negative / 2 positive: 25,000 train and 25,000 test `(label, text)`."""
    files = {s: f"aclImdb/{s}" for s in ("train", "test")}
    return load_splits("IMDB", root, split, ("train", "test"), IMDB_RESOURCES, files,
                       _read_imdb, mirrors)


def _read_sst2(path):
    with open(path, encoding="utf-8", newline="") as f:
        rows = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(rows)
        for row in rows:
            # train/dev: sentence, label; test: index, sentence (no label).
            yield (row[1],) if header[0] == "index" else (row[0], int(row[1]))


def SST2(root=".data", split=("train", "dev", "test"), mirrors=None):  # noqa: N802
    """GLUE's Stanford Sentiment Treebank: `(text, label)` (0/1) for train (67,349) and dev
    (872), `(text,)` for the unlabelled test split (1,821)."""
    files = {s: f"SST-2/{s}.tsv" for s in ("train", "dev", "test")}
    return load_splits("SST2", root, split, ("train", "dev", "test"), SST2_RESOURCES, files,
                       _read_sst2, mirrors)
