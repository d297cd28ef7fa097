"""Workload 6: LSTM 128 -> 256, sequence 50, batch 32, Adam, one training step."""
import numpy as np

from ..harness import Workload, require, to_fw, train_setup

SHAPE = {"full": (50, 32), "tiny": (3, 2)}  # (sequence, batch)


def setup(fw, size):
    require(fw, "nn.LSTM", "optim.Adam")
    fw.manual_seed(0)
    lstm = fw.nn.LSTM(128, 256)
    seq, batch = SHAPE[size]
    rng = np.random.default_rng(0)
    x = to_fw(fw, rng.standard_normal((seq, batch, 128), dtype=np.float32))
    target = to_fw(fw, rng.standard_normal((seq, batch, 256), dtype=np.float32))
    opt = fw.optim.Adam(lstm.parameters(), lr=1e-3)

    def loss_fn(result, target):  # LSTM returns (output, (h_n, c_n)); MSE on the output
        return ((result[0] - target) ** 2).mean()

    return train_setup(fw, lstm, opt, loss_fn, x, target)


WORKLOADS = [Workload(name="lstm", title="LSTM 128->256 seq50 b32 Adam", target=1.5, unit="ms",
                      setup=setup, check=True)]
