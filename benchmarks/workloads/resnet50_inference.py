"""Workload 9: ResNet-50 eval forward, batch 8, 3x224x224, under no_grad."""
import numpy as np

from ..harness import Setup, Workload, require, to_fw
from ._resnet import REQUIRED, resnet

SHAPE = {"full": (8, 224), "tiny": (1, 32)}


def setup(fw, size):
    require(fw, *REQUIRED)
    fw.manual_seed(0)
    model = resnet(fw, 50, num_classes=1000, cifar_stem=False).eval()
    batch, side = SHAPE[size]
    x = to_fw(fw, np.random.default_rng(0).standard_normal((batch, 3, side, side),
                                                         dtype=np.float32))

    def step():
        with fw.no_grad():
            return model(x)

    def reference():  # a checksum of the logits stands in for a loss
        return float(step().double().abs().mean().item())

    return Setup(step=step, reference=reference, model=model)


WORKLOADS = [Workload(name="resnet50_infer", title="ResNet-50 eval fwd b8 224px", target=1.3,
                      unit="ms", setup=setup, check=True)]
