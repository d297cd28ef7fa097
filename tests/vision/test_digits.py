import numpy as np
import pytest

import ember
from embervision.datasets import Digits


@pytest.mark.parametrize("train, length", [(True, 1437), (False, 360)])
def test_split_sizes_and_items(train, length):
    ds = Digits(train=train)
    assert len(ds) == length == len(ds.data) == len(ds.targets)
    image, label = ds[0]
    assert image.shape == (1, 8, 8) and image.dtype == ember.float32
    assert 0.0 <= float(image.min()) and float(image.max()) <= 1.0
    assert isinstance(label, int) and 0 <= label <= 9
    assert ds.data.shape == (length, 8, 8) and ds.data.dtype == ember.uint8
    assert ds.targets.dtype == ember.int64
    assert np.allclose(image.numpy()[0], ds.data.numpy()[0] / 16.0)


def test_all_classes_present_and_splits_disjoint():
    train, test = Digits(train=True), Digits(train=False)
    assert train.classes == [str(d) for d in range(10)]
    assert set(train.targets.numpy()) == set(range(10)) == set(test.targets.numpy())
    # The two splits partition the 1,797 images: no image row appears in both.
    rows = {r.tobytes() for r in train.data.numpy().reshape(len(train), -1)}
    overlap = sum(r.tobytes() in rows for r in test.data.numpy().reshape(len(test), -1))
    assert overlap < 5  # a handful of the original images are exact duplicates of each other


def test_split_is_deterministic():
    a, b = Digits(train=False), Digits(train=False)
    assert np.array_equal(a.data.numpy(), b.data.numpy())
    assert a.targets.numpy()[:10].tolist() == b.targets.numpy()[:10].tolist()


def test_transforms_receive_tensor_and_int():
    ds = Digits(train=False, transform=lambda x: x * 2, target_transform=lambda y: y + 100)
    image, label = ds[3]
    assert float(image.max()) <= 2.0 and label >= 100
    assert np.allclose(image.numpy(), Digits(train=False)[3][0].numpy() * 2)


def test_works_with_dataloader():
    loader = ember.utils.data.DataLoader(Digits(train=False), batch_size=64)
    images, labels = next(iter(loader))
    assert images.shape == (64, 1, 8, 8) and labels.shape == (64,) and labels.dtype == ember.int64
