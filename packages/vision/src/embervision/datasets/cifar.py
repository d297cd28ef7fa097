"""CIFAR-10 and CIFAR-100: 32x32 colour images in the pickled batches of the python version."""
import os
import pickle

import numpy as np
from PIL import Image

from ember.utils.download import check_integrity

from ._download import fetch_resources
from .vision import VisionDataset, not_found

__all__ = ["CIFAR10", "CIFAR100"]


class CIFAR10(VisionDataset):
    """CIFAR-10: 50,000 training and 10,000 test 32x32 RGB images in ten classes.

    The archive unpacks to `root/cifar-10-batches-py`. Items are `(PIL RGB image, int target)`;
    `data` is a uint8 NumPy array (N, 32, 32, 3) and `targets` a list of ints, as in torchvision.
    """

    base_folder = "cifar-10-batches-py"
    mirrors = ["https://www.cs.toronto.edu/~kriz/"]
    resources = [("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a")]
    train_list = [
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddfa80567beed471001a"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names",
            "md5": "5ff9c542aee3614f3951f8cda6e48888"}
    label_key = "labels"

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform, target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_integrity():
            raise not_found(self, os.path.join(self.root, self.base_folder))
        images, self.targets = [], []
        for name, _ in self.train_list if train else self.test_list:
            entry = self._unpickle(name)
            images.append(np.asarray(entry["data"], dtype=np.uint8))
            self.targets.extend(int(t) for t in entry[self.label_key])
        # Each row is 3072 bytes: the red plane, then green, then blue, each 32x32 row-major.
        self.data = np.vstack(images).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        self.classes = list(self._unpickle(self.meta["filename"])[self.meta["key"]])
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def _unpickle(self, name):
        # The batches were pickled by Python 2: latin1 maps their byte strings one to one.
        with open(os.path.join(self.root, self.base_folder, name), "rb") as f:
            return pickle.load(f, encoding="latin1")

    def _check_integrity(self):
        files = self.train_list + self.test_list + [[self.meta["filename"], self.meta["md5"]]]
        folder = os.path.join(self.root, self.base_folder)
        return all(check_integrity(os.path.join(folder, name), md5) for name, md5 in files)

    def download(self):
        if self._check_integrity():
            return
        fetch_resources(self.mirrors, self.resources, self.root)
        if not self._check_integrity():
            raise RuntimeError(f"{type(self).__name__}: the archive {self.resources[0][0]} "
                               f"verified, but the batches unpacked into "
                               f"{os.path.join(self.root, self.base_folder)} do not")

    def __getitem__(self, index):
        return self._transformed(Image.fromarray(self.data[index]), self.targets[index])

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"


class CIFAR100(CIFAR10):
    """CIFAR-100: CIFAR-10's format with 100 fine classes (the targets are the fine labels)."""

    base_folder = "cifar-100-python"
    resources = [("cifar-100-python.tar.gz", "eb9058c3a382ffc7106e4002c42a8d85")]
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {"filename": "meta", "key": "fine_label_names",
            "md5": "7973b15100ade9c7d40fb424638fde48"}
    label_key = "fine_labels"
