"""The UCI handwritten digits (8x8), bundled with the package so it needs no download.

Alpaydin, E. & Kaynak, C. (1998). Optical Recognition of Handwritten Digits. UCI Machine
Learning Repository, https://doi.org/10.24432/C50P49. CC BY 4.0 (see data/DIGITS_LICENSE.txt).
"""
import gzip
import hashlib
import os

import numpy as np

import ember

_DATA_FILE = os.path.join(os.path.dirname(__file__), "data", "digits.csv.gz")
_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
_SPLIT_SEED = 0
_NUM_TEST = 360
_cache = {}


def _load_all():
    """All 1,797 images as uint8 (N, 8, 8) with values 0..16 and int64 labels (N,)."""
    if "all" not in _cache:
        with open(_DATA_FILE, "rb") as f:
            raw = f.read()
        if hashlib.sha256(raw).hexdigest() != _SHA256:
            raise RuntimeError(f"Digits: {_DATA_FILE} is corrupted (SHA-256 mismatch); "
                               "reinstall ember-vision")
        table = np.loadtxt(gzip.decompress(raw).decode().splitlines(), delimiter=",",
                           dtype=np.int64)
        _cache["all"] = (table[:, :64].reshape(-1, 8, 8).astype(np.uint8), table[:, 64])
    return _cache["all"]


def _split_indices(train):
    # A fixed permutation (NumPy PCG64, seed 0) so every install sees the same split:
    # the last 360 shuffled indices are the test set, the first 1,437 the training set.
    order = np.random.default_rng(_SPLIT_SEED).permutation(len(_load_all()[1]))
    chosen = order[:-_NUM_TEST] if train else order[-_NUM_TEST:]
    return np.sort(chosen)


class Digits:
    """Handwritten digits 0-9 as 8x8 grayscale images: 1,437 training and 360 test images.

    Args:
        root: accepted for torchvision compatibility and ignored (the data ships in the package).
        train: the training split (True) or the test split (False). The split is a fixed seeded
            permutation of the 1,797 images, identical on every machine.
        transform: called on the image, a float32 tensor of shape (1, 8, 8) scaled to [0, 1].
        target_transform: called on the int label.
        download: accepted and ignored (nothing to download).

    `data` is a uint8 tensor (N, 8, 8) with the raw values 0..16; `targets` an int64 tensor (N,).
    """

    classes = [str(d) for d in range(10)]
    # The raw pixel counts go up to 16 (4x4 blocks of a 32x32 bitmap).
    max_value = 16

    def __init__(self, root=None, train=True, transform=None, target_transform=None,
                 download=False):
        self.root, self.train = root, train
        self.transform, self.target_transform = transform, target_transform
        images, labels = _load_all()
        index = _split_indices(train)
        self.data = ember.from_numpy(images[index].copy())
        self.targets = ember.from_numpy(labels[index].copy())
        self._images = images[index].astype(np.float32)[:, None] / self.max_value

    def __len__(self):
        return len(self._images)

    def __getitem__(self, index):
        image = ember.from_numpy(self._images[index].copy())
        target = int(self.targets._data[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def __repr__(self):
        split = "Train" if self.train else "Test"
        return f"Dataset Digits\n    Number of datapoints: {len(self)}\n    Split: {split}"
