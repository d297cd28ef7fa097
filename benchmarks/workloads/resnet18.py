"""Workload 4: ResNet-18 with the CIFAR stem, 3x32x32, batch 32, SGD + weight decay, one step."""
import numpy as np

from ..harness import Workload, require, to_fw, train_setup
from ._resnet import REQUIRED, resnet

# (batch, image side); the tiny size only proves the code path runs.
SHAPE = {"full": (32, 32), "tiny": (2, 8)}


def setup(fw, size):
    require(fw, *REQUIRED, "nn.functional.cross_entropy", "optim.SGD")
    fw.manual_seed(0)
    model = resnet(fw, 18, num_classes=10, cifar_stem=True)
    batch, side = SHAPE[size]
    rng = np.random.default_rng(0)
    x = to_fw(fw, rng.standard_normal((batch, 3, side, side), dtype=np.float32))
    y = to_fw(fw, rng.integers(0, 10, batch))
    opt = fw.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    return train_setup(fw, model, opt, fw.nn.functional.cross_entropy, x, y)


WORKLOADS = [Workload(name="resnet18", title="ResNet-18 CIFAR b32 SGD-wd", target=1.2,
                      unit="ms", setup=setup, check=True)]
