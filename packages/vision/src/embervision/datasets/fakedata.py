"""FakeData: random images with random labels, reproducible per index, for pipeline tests."""
import numpy as np
from PIL import Image

from .vision import VisionDataset

__all__ = ["FakeData"]


class FakeData(VisionDataset):
    """`size` random PIL images of `image_size` (C, H, W) with C 1 ("L") or 3 ("RGB") and labels
    in [0, num_classes). Item `i` is drawn from a generator seeded with `i + random_offset`, so
    it is the same on every call and every machine."""

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):
        super().__init__(None, transform, target_transform)
        if len(image_size) != 3 or image_size[0] not in (1, 3):
            raise ValueError(f"FakeData: image_size must be (C, H, W) with C 1 or 3, got "
                             f"{tuple(image_size)}")
        self.size, self.image_size = size, tuple(image_size)
        self.num_classes, self.random_offset = num_classes, random_offset

    def __getitem__(self, index):
        if not -self.size <= index < self.size:
            raise IndexError(f"FakeData: index {index} out of range for {self.size} items")
        index %= self.size
        rng = np.random.default_rng(index + self.random_offset)
        pixels = rng.integers(0, 256, size=self.image_size, dtype=np.uint8)
        target = int(rng.integers(0, self.num_classes))
        image = Image.fromarray(pixels[0] if self.image_size[0] == 1 else pixels.transpose(1, 2, 0))
        return self._transformed(image, target)

    def __len__(self):
        return self.size
