"""TextDataset (map-style and streaming) and the split/download plumbing every dataset shares."""
import os

from ember.utils.data import Dataset
from ember.utils.download import download_url, extract_archive

__all__ = ["TextDataset", "load_splits"]


class TextDataset(Dataset):
    """One split of a text dataset: iterate to stream items from disk, or index it (`len`,
    `dataset[i]`), which reads the split into memory once."""

    def __init__(self, name, split, read):
        self.name, self.split = name, split
        self._read = read  # () -> iterator of items, reading the files afresh
        self._items = None

    def __iter__(self):
        return iter(self._items) if self._items is not None else self._read()

    def _materialize(self):
        if self._items is None:
            self._items = list(self._read())
        return self._items

    def __len__(self):
        return len(self._materialize())

    def __getitem__(self, index):
        return self._materialize()[index]

    def __repr__(self):
        return f"{self.name}(split={self.split!r})"


def _root_dir(root, name):
    return os.path.join(os.path.expanduser(os.fspath(root)), name)


def load_splits(name, root, split, splits, resources, files, read, mirrors=None, archive=True):
    """Datasets for `split` (one name, or a tuple of names giving a tuple), torchtext-style.

    resources: {split: (url, checksum)} (several splits may share one archive);
    files: {split: path (or paths) relative to the dataset folder that `read(paths)` parses}.
    Files already in `root/<name>/` are used as they are; missing ones come from the archive,
    which is downloaded only when it is not there either.
    """
    names = (split,) if isinstance(split, str) else tuple(split)
    for s in names:
        if s not in splits:
            raise ValueError(f"{name}: unknown split {s!r}; expected one of {splits}")
    directory = _root_dir(root, name)
    out = []
    for s in names:
        wanted = files[s] if isinstance(files[s], tuple) else (files[s],)
        paths = tuple(os.path.join(directory, f) for f in wanted)
        if not all(os.path.exists(p) for p in paths):
            url, checksum = resources[s]
            os.makedirs(directory, exist_ok=True)
            downloaded = download_url(url, directory, checksum=checksum, mirrors=mirrors or ())
            if archive:
                extract_archive(downloaded, directory)
            missing = [p for p in paths if not os.path.exists(p)]
            if missing:
                raise RuntimeError(f"{name}: {os.path.basename(downloaded)} does not contain "
                                   f"{missing}")
        out.append(TextDataset(name, s, lambda p=paths: read(*p)))
    return out[0] if isinstance(split, str) else tuple(out)
