"""MNIST and its drop-in relatives (Fashion-MNIST, KMNIST, EMNIST), read from the IDX files."""
import os
import shutil
import string

import numpy as np
from PIL import Image

import ember
from ember.utils.download import extract_archive

from ._download import fetch_resources
from .vision import VisionDataset, not_found

__all__ = ["EMNIST", "KMNIST", "MNIST", "FashionMNIST", "read_idx"]

# IDX type codes (the third byte of the magic number) -> big-endian NumPy dtypes.
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """The array stored in an IDX file (http://yann.lecun.com/exdb/mnist/ describes the format)."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise RuntimeError(f"read_idx: {path} is not an IDX file (bad magic number)")
    dtype, ndim = np.dtype(_IDX_DTYPES[raw[2]]), raw[3]
    shape = tuple(int(d) for d in np.frombuffer(raw, ">i4", ndim, offset=4))
    offset = 4 + 4 * ndim
    if len(raw) - offset != int(np.prod(shape)) * dtype.itemsize:
        raise RuntimeError(f"read_idx: {path} holds {len(raw) - offset} data bytes, but its header "
                           f"announces shape {shape} of {dtype.name}")
    return np.frombuffer(raw, dtype, offset=offset).reshape(shape).astype(dtype.newbyteorder("="))


class MNIST(VisionDataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test 28x28 grayscale images.

    Files live in `root/<ClassName>/raw`. Items are `(PIL image of mode "L", int target)`;
    `data` is a uint8 tensor (N, 28, 28) and `targets` an int64 tensor (N,).
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcc63e6e7b6"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f3f6c0d"),
    ]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform, target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_exists():
            raise not_found(self, self.raw_folder)
        self.data, self.targets = self._load_data()

    @property
    def raw_folder(self):
        return os.path.join(self.root, type(self).__name__, "raw")

    def _raw_files(self):
        """The four unpacked IDX files (names are the resources without `.gz`)."""
        return [os.path.splitext(name)[0] for name, _ in self.resources]

    def _file_for(self, kind):
        prefix = "train" if self.train else "t10k"
        return f"{prefix}-{kind}"

    def _check_exists(self):
        return all(os.path.isfile(os.path.join(self.raw_folder, f)) for f in self._raw_files())

    def _load_data(self):
        images = read_idx(os.path.join(self.raw_folder, self._file_for("images-idx3-ubyte")))
        labels = read_idx(os.path.join(self.raw_folder, self._file_for("labels-idx1-ubyte")))
        if len(images) != len(labels):
            raise RuntimeError(f"{type(self).__name__}: {len(images)} images but {len(labels)} "
                               f"labels in {self.raw_folder}")
        return ember.from_numpy(images.astype(np.uint8)), ember.from_numpy(labels.astype(np.int64))

    def download(self):
        if self._check_exists():
            return
        fetch_resources(self.mirrors, self.resources, self.raw_folder)

    def __getitem__(self, index):
        image = Image.fromarray(self.data._data[index])  # uint8 (H, W): mode "L"
        return self._transformed(image, int(self.targets._data[index]))

    def __len__(self):
        return len(self.data)

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: MNIST's format and sizes, ten kinds of clothing."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """Kuzushiji-MNIST: ten cursive Japanese (Hiragana) characters in MNIST's format."""

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


_ALL = set(string.digits + string.ascii_letters)
# Letters whose upper and lower case look alike are one class in the merged splits.
_MERGED = set("cijklmopsuvwxyz")


class EMNIST(MNIST):
    """Extended MNIST (NIST Special Database 19 in MNIST's format), one of six `split`s:
    "byclass", "bymerge", "balanced", "letters", "digits" or "mnist".

    Like torchvision, images are returned as stored (transposed relative to MNIST).
    """

    mirrors = ["https://biometrics.nist.gov/cs_links/EMNIST/"]
    resources = [("gzip.zip", "58c8d27c78d21e728a6bc7b3cc06412e")]
    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    classes_split_dict = {
        "byclass": sorted(_ALL),
        "bymerge": sorted(_ALL - _MERGED),
        "balanced": sorted(_ALL - _MERGED),
        "letters": ["N/A"] + list(string.ascii_lowercase),
        "digits": list(string.digits),
        "mnist": list(string.digits),
    }

    def __init__(self, root, split, **kwargs):
        if split not in self.splits:
            raise ValueError(f"EMNIST: unknown split {split!r}; valid splits are "
                             f"{', '.join(self.splits)}")
        self.split = split
        self.classes = self.classes_split_dict[split]
        super().__init__(root, **kwargs)

    def _file_for(self, kind):
        return f"emnist-{self.split}-{'train' if self.train else 'test'}-{kind}"

    def _raw_files(self):
        return [f"emnist-{s}-{part}-{kind}" for s in self.splits for part in ("train", "test")
                for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")]

    def download(self):
        if self._check_exists():
            return
        fetch_resources(self.mirrors, self.resources, self.raw_folder)
        gzip_folder = os.path.join(self.raw_folder, "gzip")
        for name in self._raw_files():
            extract_archive(os.path.join(gzip_folder, name + ".gz"), self.raw_folder)
        shutil.rmtree(gzip_folder)

    def extra_repr(self):
        return f"Split: {self.split} ({'Train' if self.train else 'Test'})"
