"""Workload 7: DataLoader throughput, in-memory 32x32 RGB images with NumPy augmentations.

The dataset is framework-free (NumPy in, NumPy out), so the two rows time only what differs:
each framework's DataLoader, sampler, collation into tensors and worker processes. One timed
step is one shuffled epoch, worker start-up included (persistent_workers=False, the default).
"""
import numpy as np

from ..harness import Setup, Workload, require

SIZE = {"full": (2048, 64), "tiny": (16, 4)}  # (images, batch size)
MEAN = np.array([0.4914, 0.4822, 0.4465], dtype=np.float32).reshape(3, 1, 1)
STD = np.array([0.2470, 0.2435, 0.2616], dtype=np.float32).reshape(3, 1, 1)


class AugmentedImages:
    """Random crop 32 with 4-pixel zero padding, horizontal flip, normalise; (3, 32, 32) float32."""

    def __init__(self, count, seed=0):
        rng = np.random.default_rng(seed)
        self.images = rng.integers(0, 256, (count, 32, 32, 3), dtype=np.uint8)
        self.labels = rng.integers(0, 10, count)

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        # Seeded by index: the same crops and flips whichever worker or framework loads it.
        rng = np.random.default_rng(index)
        padded = np.pad(self.images[index], ((4, 4), (4, 4), (0, 0)))
        top, left = rng.integers(0, 9, 2)
        image = padded[top:top + 32, left:left + 32]
        if rng.random() < 0.5:
            image = image[:, ::-1]
        image = image.transpose(2, 0, 1).astype(np.float32) / 255.0
        return (image - MEAN) / STD, int(self.labels[index])


def _setup(workers):
    def setup(fw, size):
        require(fw, "utils.data.DataLoader")
        count, batch = SIZE[size]
        fw.manual_seed(0)
        loader = fw.utils.data.DataLoader(AugmentedImages(count), batch_size=batch, shuffle=True,
                                          num_workers=workers)

        def step():
            for _images, _labels in loader:
                pass

        return Setup(step=step)
    return setup


WORKLOADS = [Workload(name=f"dataloader_w{w}", title=f"DataLoader epoch, num_workers={w}",
                      target=1.2, unit="ms", setup=_setup(w),
                      notes="2,048 augmented 3x32x32 images, batch 64, shuffled; one epoch")
             for w in (0, 2)]
