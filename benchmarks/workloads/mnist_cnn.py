"""Workload 3: PyTorch's MNIST example network, batch 64, Adam, one training step."""
import numpy as np

from ..harness import Workload, require, to_fw, train_setup

BATCH = {"full": 64, "tiny": 2}


def build(fw):
    """examples/mnist/main.py's `Net`: conv 32, conv 64, max-pool, dropout, fc 128, fc 10."""
    nn = fw.nn
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, 1), nn.ReLU(),
        nn.Conv2d(32, 64, 3, 1), nn.ReLU(),
        nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(1),
        nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, 10), nn.LogSoftmax(dim=1))


def setup(fw, size):
    require(fw, "nn.Conv2d", "nn.MaxPool2d", "nn.Dropout", "nn.LogSoftmax",
            "nn.functional.nll_loss", "optim.Adam")
    fw.manual_seed(0)
    model = build(fw)
    rng = np.random.default_rng(0)
    x = to_fw(fw, rng.standard_normal((BATCH[size], 1, 28, 28), dtype=np.float32))
    y = to_fw(fw, rng.integers(0, 10, BATCH[size]))
    opt = fw.optim.Adam(model.parameters(), lr=1e-3)
    return train_setup(fw, model, opt, fw.nn.functional.nll_loss, x, y,
                       reference_in_eval=True)


WORKLOADS = [Workload(name="mnist_cnn", title="MNIST example CNN b64 Adam", target=1.0,
                      unit="ms", setup=setup, check=True)]
