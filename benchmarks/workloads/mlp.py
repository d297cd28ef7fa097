"""Workload 2: MLP 784-512-512-10, batch 128, SGD with momentum, one training step."""
import numpy as np

from ..harness import Workload, require, to_fw, train_setup

BATCH = {"full": 128, "tiny": 4}


def setup(fw, size):
    require(fw, "nn.Sequential", "nn.Linear", "nn.ReLU", "nn.functional.cross_entropy",
            "optim.SGD")
    nn = fw.nn
    fw.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                          nn.Linear(512, 10))
    rng = np.random.default_rng(0)
    x = to_fw(fw, rng.standard_normal((BATCH[size], 784), dtype=np.float32))
    y = to_fw(fw, rng.integers(0, 10, BATCH[size]))
    opt = fw.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return train_setup(fw, model, opt, nn.functional.cross_entropy, x, y)


WORKLOADS = [Workload(name="mlp", title="MLP 784-512-512-10 b128 SGD-mom", target=1.1,
                      unit="ms", setup=setup, check=True)]
