"""Workload 5: TransformerEncoderLayer d_model 256, 4 heads, ff 1024, seq 128, batch 16, AdamW."""
import numpy as np

from ..harness import Workload, require, to_fw, train_setup

SHAPE = {"full": (16, 128), "tiny": (2, 8)}  # (batch, sequence)
D_MODEL = 256


def mse(out, target):  # tensor ops, so the workload needs no loss module
    return ((out - target) ** 2).mean()


def setup(fw, size):
    require(fw, "nn.TransformerEncoderLayer", "optim.AdamW")
    fw.manual_seed(0)
    model = fw.nn.TransformerEncoderLayer(D_MODEL, 4, dim_feedforward=1024, batch_first=True)
    batch, seq = SHAPE[size]
    rng = np.random.default_rng(0)
    x = to_fw(fw, rng.standard_normal((batch, seq, D_MODEL), dtype=np.float32))
    target = to_fw(fw, rng.standard_normal((batch, seq, D_MODEL), dtype=np.float32))
    opt = fw.optim.AdamW(model.parameters(), lr=1e-4)
    return train_setup(fw, model, opt, mse, x, target,
                       reference_in_eval=True)


WORKLOADS = [Workload(name="transformer", title="TransformerEncoderLayer 256/4h b16 AdamW",
                      target=1.3, unit="ms", setup=setup, check=True)]
