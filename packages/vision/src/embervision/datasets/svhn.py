"""SVHN: Street View House Numbers, the cropped 32x32 digits in MATLAB files (needs scipy)."""
import os

import numpy as np
from PIL import Image

from ember.utils.download import check_integrity, download_url

from .vision import VisionDataset, not_found

__all__ = ["SVHN"]


def _loadmat(path):
    try:
        import scipy.io
    except ImportError:
        raise RuntimeError("SVHN reads MATLAB .mat files with scipy, which is not installed: "
                           "pip install scipy") from None
    return scipy.io.loadmat(path)


class SVHN(VisionDataset):
    """SVHN `split` "train" (73,257), "test" (26,032) or "extra" (531,131) 32x32 RGB digits.

    The label 10 of the files (digit 0) becomes 0, as in torchvision. Items are
    `(PIL RGB image, int target)`; `data` is a uint8 NumPy array (N, 3, 32, 32), `labels` int64.
    """

    split_list = {
        "train": ["http://ufldl.stanford.edu/housenumbers/train_32x32.mat", "train_32x32.mat",
                  "e26dedcc434d2e4c54c9b2d4a06d8373"],
        "test": ["http://ufldl.stanford.edu/housenumbers/test_32x32.mat", "test_32x32.mat",
                 "eb5a983be6a315427106f1b164d9cef3"],
        "extra": ["http://ufldl.stanford.edu/housenumbers/extra_32x32.mat", "extra_32x32.mat",
                  "a93ce644f1a588dc4d68dda5feec44a7"],
    }
    mirrors = ["http://ufldl.stanford.edu/housenumbers/"]
    classes = [str(d) for d in range(10)]

    def __init__(self, root, split="train", transform=None, target_transform=None,
                 download=False):
        super().__init__(root, transform, target_transform)
        if split not in self.split_list:
            raise ValueError(f"SVHN: unknown split {split!r}; valid splits are "
                             f"{', '.join(self.split_list)}")
        self.split = split
        self.url, self.filename, self.file_md5 = self.split_list[split]
        if download:
            self.download()
        path = os.path.join(self.root, self.filename)
        if not check_integrity(path, self.file_md5):
            raise not_found(self, self.root)
        mat = _loadmat(path)
        # X is (32, 32, 3, N) in MATLAB's order; y is (N, 1) with 10 standing for the digit 0.
        self.data = np.ascontiguousarray(np.transpose(mat["X"], (3, 2, 0, 1)), dtype=np.uint8)
        labels = mat["y"].astype(np.int64).squeeze(1)
        labels[labels == 10] = 0
        self.labels = labels
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def download(self):
        download_url(self.url, self.root, self.filename, self.file_md5, self.mirrors)

    def __getitem__(self, index):
        image = Image.fromarray(np.transpose(self.data[index], (1, 2, 0)))
        return self._transformed(image, int(self.labels[index]))

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {self.split}"
