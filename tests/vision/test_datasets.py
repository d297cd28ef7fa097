"""Datasets downloaded from a local HTTP server serving tiny files in the real formats."""
import gzip
import hashlib
import io
import os
import pickle
import sys
import tarfile
import zipfile

import numpy as np
import pytest
from PIL import Image

from embervision import datasets

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from local_http_server import serve  # noqa: E402


def md5(data):
    return hashlib.md5(data).hexdigest()


def idx_bytes(array):
    codes = {np.uint8: 0x08, np.int32: 0x0C}
    header = bytes([0, 0, codes[array.dtype.type], array.ndim])
    header += np.array(array.shape, ">i4").tobytes()
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def targz(files):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def server():
    with serve() as s:
        yield s


@pytest.fixture(autouse=True)
def online(monkeypatch):
    monkeypatch.delenv("EMBER_OFFLINE", raising=False)


def mnist_files(rng, n_train=6, n_test=4):
    files = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        files[f"{prefix}-images-idx3-ubyte.gz"] = gzip.compress(idx_bytes(images))
        files[f"{prefix}-labels-idx1-ubyte.gz"] = gzip.compress(idx_bytes(labels))
        files[prefix] = (images, labels)
    return files


def publish(server, monkeypatch, cls, files, base="/data/"):
    """Serve `files` under `base` and point `cls` at it, with the files' real MD5s."""
    for name, data in files.items():
        server.files[base + name] = data
    monkeypatch.setattr(cls, "mirrors", [server.url(base)])
    monkeypatch.setattr(cls, "resources", [(name, md5(data)) for name, data in files.items()])


@pytest.mark.parametrize("cls", [datasets.MNIST, datasets.FashionMNIST, datasets.KMNIST])
def test_mnist_family_download_and_load(cls, server, monkeypatch, tmp_path):
    files = mnist_files(np.random.default_rng(0))
    arrays = {k: files.pop(k) for k in ("train", "t10k")}
    publish(server, monkeypatch, cls, files)
    train = cls(tmp_path, train=True, download=True)
    images, labels = arrays["train"]
    assert len(train) == 6 and train.data.shape == (6, 28, 28)
    assert str(train.data.dtype) == "ember.uint8" and str(train.targets.dtype) == "ember.int64"
    image, target = train[2]
    assert image.mode == "L" and image.size == (28, 28)
    np.testing.assert_array_equal(np.asarray(image), images[2])
    assert target == int(labels[2]) and isinstance(target, int)
    assert train.class_to_idx[train.classes[3]] == 3
    assert os.path.isfile(tmp_path / cls.__name__ / "raw" / "train-images-idx3-ubyte")

    test = cls(tmp_path, train=False, transform=np.asarray, target_transform=lambda t: t + 100)
    image, target = test[1]
    np.testing.assert_array_equal(image, arrays["t10k"][0][1])
    assert target == int(arrays["t10k"][1][1]) + 100
    assert len(server.requests) == 4  # the second dataset used the files on disk
    assert "Split: Test" in repr(test)


def test_emnist_split_from_zip(server, monkeypatch, tmp_path):
    rng = np.random.default_rng(1)
    members, expected = {}, None
    for split in datasets.EMNIST.splits:
        for part in ("train", "test"):
            images = rng.integers(0, 256, (3, 28, 28), dtype=np.uint8)
            labels = rng.integers(0, 10, 3).astype(np.uint8)
            stem = f"gzip/emnist-{split}-{part}-"
            members[stem + "images-idx3-ubyte.gz"] = gzip.compress(idx_bytes(images))
            members[stem + "labels-idx1-ubyte.gz"] = gzip.compress(idx_bytes(labels))
            if (split, part) == ("letters", "train"):
                expected = images, labels
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    publish(server, monkeypatch, datasets.EMNIST, {"gzip.zip": buffer.getvalue()})
    ds = datasets.EMNIST(tmp_path, split="letters", download=True)
    assert len(ds) == 3 and ds.classes[0] == "N/A" and len(ds.classes) == 27
    np.testing.assert_array_equal(np.asarray(ds[0][0]), expected[0][0])
    assert ds[1][1] == int(expected[1][1])
    assert not os.path.exists(tmp_path / "EMNIST" / "raw" / "gzip")
    assert len(datasets.EMNIST(tmp_path, split="byclass", train=False)) == 3
    with pytest.raises(ValueError, match="unknown split 'nope'"):
        datasets.EMNIST(tmp_path, split="nope")


def test_read_idx_rejects_truncated_file(tmp_path):
    path = tmp_path / "bad"
    path.write_bytes(idx_bytes(np.zeros((2, 3), np.uint8))[:-1])
    with pytest.raises(RuntimeError, match="header announces shape"):
        datasets.mnist.read_idx(path)
    path.write_bytes(b"\x01\x02\x03")
    with pytest.raises(RuntimeError, match="not an IDX file"):
        datasets.mnist.read_idx(path)


def test_missing_without_download(tmp_path):
    with pytest.raises(RuntimeError, match="use download=True"):
        datasets.MNIST(tmp_path)


def test_corrupt_download_leaves_nothing(server, monkeypatch, tmp_path):
    files = mnist_files(np.random.default_rng(2))
    del files["train"], files["t10k"]
    publish(server, monkeypatch, datasets.MNIST, files)
    name = "t10k-images-idx3-ubyte.gz"
    server.files["/data/" + name] = b"not what was published"
    with pytest.raises(RuntimeError) as info:
        datasets.MNIST(tmp_path, download=True)
    message = str(info.value)
    assert name in message and server.url("/data/" + name) in message and "MD5" in message
    raw = tmp_path / "MNIST" / "raw"
    left = sorted(os.listdir(raw))
    # Only the verified archives stay (reused next time); nothing was unpacked.
    assert not any(n.endswith("ubyte") for n in left) and name not in left
    assert not any(n.endswith((".download", ".partial")) for n in left)


def test_404_names_url_and_file(server, monkeypatch, tmp_path):
    files = mnist_files(np.random.default_rng(3))
    del files["train"], files["t10k"]
    publish(server, monkeypatch, datasets.MNIST, files)
    del server.files["/data/train-labels-idx1-ubyte.gz"]
    with pytest.raises(RuntimeError, match="HTTP 404") as info:
        datasets.MNIST(tmp_path, download=True)
    assert server.url("/data/train-labels-idx1-ubyte.gz") in str(info.value)
    assert "train-labels-idx1-ubyte.gz" in str(info.value)


def test_second_mirror_used_when_first_fails(server, monkeypatch, tmp_path):
    files = mnist_files(np.random.default_rng(4))
    del files["train"], files["t10k"]
    publish(server, monkeypatch, datasets.MNIST, files, base="/second/")
    monkeypatch.setattr(datasets.MNIST, "mirrors", [server.url("/first/"), server.url("/second/")])
    assert len(datasets.MNIST(tmp_path, download=True)) == 6


def test_offline_mode_never_connects(server, monkeypatch, tmp_path):
    files = mnist_files(np.random.default_rng(5))
    del files["train"], files["t10k"]
    publish(server, monkeypatch, datasets.MNIST, files)
    monkeypatch.setenv("EMBER_OFFLINE", "1")
    with pytest.raises(RuntimeError, match="offline mode"):
        datasets.MNIST(tmp_path, download=True)
    assert server.requests == []
    monkeypatch.delenv("EMBER_OFFLINE")
    datasets.MNIST(tmp_path, download=True)
    monkeypatch.setenv("EMBER_OFFLINE", "1")
    assert len(datasets.MNIST(tmp_path, train=False, download=True)) == 4


def cifar_archive(folder, train_names, test_names, meta, label_key, names, n=3, seed=0):
    rng = np.random.default_rng(seed)
    files, arrays = {}, {}
    for name in train_names + test_names:
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, len(names), n)]
        files[name] = pickle.dumps({"data": data, label_key: labels}, protocol=2)
        arrays[name] = data, labels
    files[meta["filename"]] = pickle.dumps({meta["key"]: names})
    return {f"{folder}/{k}": v for k, v in files.items()}, arrays


@pytest.mark.parametrize("cls", [datasets.CIFAR10, datasets.CIFAR100])
def test_cifar(cls, server, monkeypatch, tmp_path):
    train_names = [name for name, _ in cls.train_list]
    test_names = [name for name, _ in cls.test_list]
    names = [f"class{i}" for i in range(10 if cls is datasets.CIFAR10 else 100)]
    members, arrays = cifar_archive(cls.base_folder, train_names, test_names,
                                    cls.meta, cls.label_key, names)
    monkeypatch.setattr(cls, "train_list", [[n, md5(members[f"{cls.base_folder}/{n}"])]
                                            for n in train_names])
    monkeypatch.setattr(cls, "test_list", [[n, md5(members[f"{cls.base_folder}/{n}"])]
                                           for n in test_names])
    meta_md5 = md5(members[f"{cls.base_folder}/{cls.meta['filename']}"])
    monkeypatch.setattr(cls, "meta", dict(cls.meta, md5=meta_md5))
    publish(server, monkeypatch, cls, {cls.resources[0][0]: targz(members)})

    train = cls(tmp_path, train=True, download=True)
    assert len(train) == 3 * len(train_names) and train.data.shape[1:] == (32, 32, 3)
    assert train.classes == names and train.class_to_idx["class1"] == 1
    image, target = train[1]
    raw, labels = arrays[train_names[0]]
    assert image.mode == "RGB" and image.size == (32, 32)
    np.testing.assert_array_equal(np.asarray(image), raw[1].reshape(3, 32, 32).transpose(1, 2, 0))
    assert target == labels[1]
    test = cls(tmp_path, train=False)
    assert test.targets == arrays[test_names[0]][1]
    assert len(server.requests) == 1


def stl10_members(rng):
    def images(n):
        return rng.integers(0, 256, (n, 3, 96, 96), dtype=np.uint8)
    train_x, test_x, unlabeled = images(4), images(2), images(3)
    train_y = np.array([1, 2, 10, 3], np.uint8)
    test_y = np.array([5, 6], np.uint8)
    # The files hold each channel column-major.
    raw = {"train_X.bin": train_x.transpose(0, 1, 3, 2).tobytes(), "train_y.bin": train_y.tobytes(),
           "test_X.bin": test_x.transpose(0, 1, 3, 2).tobytes(), "test_y.bin": test_y.tobytes(),
           "unlabeled_X.bin": unlabeled.transpose(0, 1, 3, 2).tobytes(),
           "class_names.txt": "\n".join(f"c{i}" for i in range(10)).encode(),
           "fold_indices.txt": b"0 2\n1 3\n"}
    return raw, (train_x, train_y, test_x, test_y, unlabeled)


def test_stl10(server, monkeypatch, tmp_path):
    cls = datasets.STL10
    raw, (train_x, train_y, test_x, test_y, unlabeled) = stl10_members(np.random.default_rng(6))
    monkeypatch.setattr(cls, "train_list", [[n, md5(raw[n])] for n, _ in cls.train_list])
    monkeypatch.setattr(cls, "test_list", [[n, md5(raw[n])] for n, _ in cls.test_list])
    archive = targz({f"stl10_binary/{k}": v for k, v in raw.items()})
    publish(server, monkeypatch, cls, {"stl10_binary.tar.gz": archive})
    train = cls(tmp_path, split="train", download=True)
    assert len(train) == 4 and train.classes[0] == "c0"
    np.testing.assert_array_equal(np.asarray(train[2][0]), train_x[2].transpose(1, 2, 0))
    assert [train[i][1] for i in range(4)] == list(train_y.astype(int) - 1)
    fold = cls(tmp_path, split="train", folds=1)
    assert [fold[i][1] for i in range(2)] == [1, 2]
    both = cls(tmp_path, split="train+unlabeled")
    assert len(both) == 7 and both[6][1] == -1
    np.testing.assert_array_equal(both.data[4], unlabeled[0])
    test = cls(tmp_path, split="test")
    np.testing.assert_array_equal(test.data, test_x)
    assert list(test.labels) == [4, 5]
    with pytest.raises(ValueError, match="unknown split"):
        cls(tmp_path, split="validation")


def test_svhn(server, monkeypatch, tmp_path):
    scipy_io = pytest.importorskip("scipy.io")
    rng = np.random.default_rng(7)
    x = rng.integers(0, 256, (32, 32, 3, 5), dtype=np.uint8)
    y = np.array([[10], [1], [2], [10], [9]], np.uint8)
    buffer = io.BytesIO()
    scipy_io.savemat(buffer, {"X": x, "y": y})
    data = buffer.getvalue()
    server.files["/svhn/test_32x32.mat"] = data
    split_list = dict(datasets.SVHN.split_list)
    split_list["test"] = [split_list["test"][0], "test_32x32.mat", md5(data)]
    monkeypatch.setattr(datasets.SVHN, "split_list", split_list)
    monkeypatch.setattr(datasets.SVHN, "mirrors", [server.url("/svhn/")])
    ds = datasets.SVHN(tmp_path, split="test", download=True)
    assert len(ds) == 5 and ds.data.shape == (5, 3, 32, 32)
    assert [ds[i][1] for i in range(5)] == [0, 1, 2, 0, 9]
    image = ds[3][0]
    assert image.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(image), x[:, :, :, 3])


def write_tree(root, layout):
    rng = np.random.default_rng(8)
    for path in layout:
        full = root / path
        full.parent.mkdir(parents=True, exist_ok=True)
        pixels = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
        if path.lower().endswith((".png", ".jpg")):
            Image.fromarray(pixels).save(full)
        else:
            full.write_text("not an image")


def test_image_folder(tmp_path):
    write_tree(tmp_path, ["cat/a.png", "cat/sub/b.jpg", "dog/c.PNG", "dog/notes.txt",
                          "bird/readme.txt"])
    with pytest.raises(FileNotFoundError, match="bird"):
        datasets.ImageFolder(tmp_path)
    ds = datasets.ImageFolder(tmp_path, allow_empty=True)
    assert ds.classes == ["bird", "cat", "dog"] and ds.class_to_idx["dog"] == 2
    assert [os.path.relpath(p, tmp_path) for p, _ in ds.samples] == \
        ["cat/a.png", "cat/sub/b.jpg", "dog/c.PNG"]
    assert ds.targets == [1, 1, 2] and ds.imgs is ds.samples
    image, target = ds[2]
    assert image.mode == "RGB" and image.size == (7, 5) and target == 2

    only_png = datasets.ImageFolder(tmp_path, allow_empty=True,
                                    is_valid_file=lambda p: p.endswith(".png"))
    assert len(only_png) == 1
    texts = datasets.DatasetFolder(tmp_path, loader=lambda p: open(p).read(), extensions=".txt",
                                   allow_empty=True)
    assert [texts[i] for i in range(2)] == [("not an image", 0), ("not an image", 2)]
    with pytest.raises(ValueError, match="Both extensions and is_valid_file"):
        datasets.DatasetFolder(tmp_path, loader=print, extensions=".txt",
                               is_valid_file=lambda p: True)


def test_fake_data():
    ds = datasets.FakeData(size=4, image_size=(1, 6, 5), num_classes=3, target_transform=str)
    image, target = ds[1]
    assert image.mode == "L" and image.size == (5, 6) and target in ("0", "1", "2")
    assert np.array_equal(np.asarray(ds[1][0]), np.asarray(image)) and len(ds) == 4
    assert not np.array_equal(np.asarray(ds[2][0]), np.asarray(image))
    with pytest.raises(IndexError):
        ds[4]
    assert datasets.FakeData(2)[0][0].size == (224, 224)
