"""STL-10: 96x96 colour images (5,000 labelled training, 8,000 test, 100,000 unlabelled)."""
import os

import numpy as np
from PIL import Image

from ember.utils.download import check_integrity

from ._download import fetch_resources
from .vision import VisionDataset, not_found

__all__ = ["STL10"]


class STL10(VisionDataset):
    """STL-10 `split` "train", "test", "unlabeled" or "train+unlabeled"; `folds` (0-9) picks one
    of the ten predefined training folds of 1,000 images.

    Items are `(PIL RGB image, int target)`, target -1 for unlabelled images; `data` is a uint8
    NumPy array (N, 3, 96, 96) and `labels` an int64 array, as in torchvision.
    """

    base_folder = "stl10_binary"
    mirrors = ["http://ai.stanford.edu/~acoates/stl10/"]
    resources = [("stl10_binary.tar.gz", "91f7769df0f17e558f3565bffb0c7dfb")]
    class_names_file = "class_names.txt"
    folds_list_file = "fold_indices.txt"
    train_list = [
        ["train_X.bin", "918c2871b30a85fa023e0c44e0bee87f"],
        ["train_y.bin", "5a34089d4802c674881badbb80307741"],
        ["unlabeled_X.bin", "5242ba1fed5e4be9e1e742405eb56ca4"],
    ]
    test_list = [
        ["test_X.bin", "7f263ba9f9e0b06b93213547f721ac82"],
        ["test_y.bin", "36f9794fa4beb8a2c72628de14fa638e"],
    ]
    splits = ("train", "train+unlabeled", "unlabeled", "test")

    def __init__(self, root, split="train", folds=None, transform=None, target_transform=None,
                 download=False):
        super().__init__(root, transform, target_transform)
        if split not in self.splits:
            raise ValueError(f"STL10: unknown split {split!r}; valid splits are "
                             f"{', '.join(self.splits)}")
        if folds is not None and not (isinstance(folds, int) and 0 <= folds < 10):
            raise ValueError(f"STL10: folds must be an int in 0..9 or None, got {folds!r}")
        self.split, self.folds = split, folds
        if download:
            self.download()
        if not self._check_integrity():
            raise not_found(self, self._folder)
        if split == "test":
            self.data, self.labels = self._load("test_X.bin", "test_y.bin")
        else:
            self.data, self.labels = np.zeros((0, 3, 96, 96), np.uint8), np.zeros(0, np.int64)
            if split != "unlabeled":
                self.data, self.labels = self._load("train_X.bin", "train_y.bin")
                self._select_fold()
            if split != "train":
                unlabeled, _ = self._load("unlabeled_X.bin")
                self.data = np.concatenate([self.data, unlabeled])
                self.labels = np.concatenate([self.labels,
                                              np.full(len(unlabeled), -1, np.int64)])
        names = os.path.join(self._folder, self.class_names_file)
        if os.path.isfile(names):
            with open(names) as f:
                self.classes = f.read().splitlines()

    @property
    def _folder(self):
        return os.path.join(self.root, self.base_folder)

    def _load(self, images_file, labels_file=None):
        images = np.fromfile(os.path.join(self._folder, images_file), dtype=np.uint8)
        # Stored column-major per channel: (N, 3, W, H) -> (N, 3, H, W).
        images = images.reshape(-1, 3, 96, 96).transpose(0, 1, 3, 2)
        if labels_file is None:
            return images, None
        labels = np.fromfile(os.path.join(self._folder, labels_file), dtype=np.uint8)
        return images, labels.astype(np.int64) - 1  # the files count classes from 1

    def _select_fold(self):
        if self.folds is None:
            return
        with open(os.path.join(self._folder, self.folds_list_file)) as f:
            line = f.read().splitlines()[self.folds]
        index = np.array(line.split(), dtype=np.int64)
        self.data, self.labels = self.data[index], self.labels[index]

    def _check_integrity(self):
        return all(check_integrity(os.path.join(self._folder, name), md5)
                   for name, md5 in self.train_list + self.test_list)

    def download(self):
        if self._check_integrity():
            return
        fetch_resources(self.mirrors, self.resources, self.root)
        if not self._check_integrity():
            raise RuntimeError(f"STL10: the archive {self.resources[0][0]} verified, but the "
                               f"files unpacked into {self._folder} do not")

    def __getitem__(self, index):
        image = Image.fromarray(np.transpose(self.data[index], (1, 2, 0)))
        return self._transformed(image, int(self.labels[index]))

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {self.split}"
