"""Workload 1: per-op overhead of tiny tensors with autograd (`c = c * b + a`, chained)."""
import numpy as np

from ..harness import Setup, Workload, to_fw

CHAIN = {"full": 1000, "tiny": 10}


def setup(fw, size):
    rng = np.random.default_rng(0)
    # Values near 1 keep the chained product finite over 1,000 steps.
    a, b, c0 = (to_fw(fw, rng.uniform(0.0, 0.01, 10).astype(np.float32)),
                to_fw(fw, rng.uniform(0.99, 1.0, 10).astype(np.float32)),
                to_fw(fw, rng.uniform(0.5, 1.0, 10).astype(np.float32)))
    for t in (a, b, c0):
        t.requires_grad_(True)
    steps = CHAIN[size]

    def step():
        c = c0
        for _ in range(steps):
            c = c * b + a
        c.sum().backward()
        a.grad = b.grad = c0.grad = None
        return c

    return Setup(step=step)


# One chain step is two forward ops (mul, add); the time covers their backward too.
WORKLOADS = [Workload(
    name="op_overhead", title="op overhead c=c*b+a, fwd+bwd", target=1.5, unit="us/op",
    setup=setup, scale=1e6 / (2 * CHAIN["full"]),
    notes="1,000 chained c = c*b + a on 10-element tensors with requires_grad, forward + "
          "backward, divided by 2,000 forward ops")]
