"""Every workload, in the issue's order; each module lists its table rows in `WORKLOADS`."""
import importlib

MODULES = ["op_overhead", "mlp", "mnist_cnn", "resnet18", "transformer", "lstm", "dataloader",
           "memory", "resnet50_inference"]


def all_workloads():
    # Imported on demand: `python -m benchmarks.workloads.memory` must not find itself imported.
    workloads = [w for name in MODULES
                 for w in importlib.import_module(f"{__name__}.{name}").WORKLOADS]
    gpu = importlib.import_module(f"{__name__}.gpu")
    return workloads + (gpu.WORKLOADS if gpu.available() else [])  # CPU-only runs: unchanged
