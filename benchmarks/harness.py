"""Timing, availability checks and machine description shared by every workload.

A workload is declared once (`Workload`) and set up per framework by `setup(fw, size)`, where
`fw` is the `ember` or the `torch` module: both spell the API the same way, so one definition
runs natively in each and the two sides cannot drift apart in structure.
"""
import json
import os
import platform
import re
import statistics
import tempfile
import time
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np


class Unavailable(Exception):
    """Ember lacks a piece this workload needs (another issue is still writing it)."""


def require(fw, *names):
    """Raise `Unavailable` naming every dotted attribute (e.g. "nn.Conv2d") `fw` lacks."""
    missing = []
    for name in names:
        obj = fw
        for part in name.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                missing.append(f"{fw.__name__}.{name}")
                break
    if missing:
        raise Unavailable(", ".join(missing))


def set_up(workload, fw, size):
    """`workload.setup(fw, size)`, with a missing ember attribute reached inside ember's own code
    (a layer built on another that is not written yet) reported as `Unavailable` too."""
    try:
        return workload.setup(fw, size)
    except AttributeError as exc:
        match = re.fullmatch(r"module '(ember[\w.]*)' has no attribute '(\w+)'", str(exc))
        if match is None:
            raise
        raise Unavailable(f"{match[1]}.{match[2]}") from exc


@dataclass
class Setup:
    """One framework's side of a workload, built and ready to time.

    step: runs one timed unit of work. reference: computes, without changing any state, the
    number both frameworks must agree on (first-step loss) once weights are copied across.
    model: the module whose state_dict is copied from torch to ember before the check.
    """
    step: Callable[[], object]
    reference: Optional[Callable[[], float]] = None
    model: object = None


@dataclass
class Workload:
    """One row of the table. Lower is better for every value (time or memory).

    setup(fw, size) -> Setup for timed rows; measure(framework_name, size) -> (value, extra dict)
    for rows that are not a timed step (peak memory in a fresh process). `scale` turns seconds
    per step into `unit` (e.g. 1e6 / ops per step for microseconds per op). size is "full" or
    "tiny" (the smoke test's, which only proves the code runs).
    """
    name: str
    title: str
    target: float
    unit: str
    setup: Optional[Callable] = None
    measure: Optional[Callable] = None
    scale: float = 1e3
    check: bool = False
    notes: str = ""


# Idle time before each framework's block of steps. Both frameworks' thread pools busy-wait
# after their last parallel region (OpenBLAS for up to ~0.1 s, OpenMP for less), and on a 2-core
# machine spinning threads of one framework take the cores from the other: stepping the two
# frameworks alternately in one process measured the MLP at 13.6 vs 10.0 ms against 5.5 vs
# 3.5 ms for each framework alone in its own process.
SETTLE_SECONDS = 0.25
# Timed steps of one framework run back to back for at least this long before switching.
BLOCK_SECONDS = 0.5


def time_alternating(steps, warmup, repeats, min_seconds=0.0):
    """Seconds per call of each callable in `steps` (name -> fn), in alternating blocks so that
    load changes on a shared machine hit both frameworks alike, each block after the machine
    sat idle for `SETTLE_SECONDS` so that neither framework's thread pool is still spinning
    while the other is timed. A block runs for `BLOCK_SECONDS`; its first step (cold caches
    after the pause) is dropped when the block has others. Blocks continue until each framework
    has `repeats` samples adding up to `min_seconds`."""
    for _ in range(warmup):
        for fn in steps.values():
            fn()
    samples = {name: [] for name in steps}

    def enough(name, block=()):
        got = samples[name] + list(block)
        return len(got) >= repeats and sum(got) >= min_seconds

    while not all(enough(name) for name in steps):
        for name, fn in steps.items():
            if enough(name):
                continue
            time.sleep(SETTLE_SECONDS)
            block = []
            while sum(block) < BLOCK_SECONDS and not enough(name, block[1:]):
                start = time.perf_counter()
                fn()
                block.append(time.perf_counter() - start)
            samples[name].extend(block[1:] if len(block) > 1 else block)
    return samples


def median(values):
    return statistics.median(values)


def train_setup(fw, model, optimizer, loss_fn, inputs, target, reference_in_eval=False):
    """A Setup whose step is one training step: zero_grad, forward, loss, backward, step.

    reference_in_eval: compute the cross-framework check in eval mode, for models with dropout
    (its masks come from each framework's own random generator, so they cannot agree).
    """
    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), target)
        loss.backward()
        optimizer.step()
        return loss

    def reference():
        was_training = model.training
        model.train(not reference_in_eval and was_training)
        try:
            with fw.no_grad():
                return float(loss_fn(model(inputs), target).item())
        finally:
            model.train(was_training)

    return Setup(step=step, reference=reference, model=model)


def copy_weights(torch_model, ember_model):
    """Load torch's parameters and buffers into the ember model (same state_dict keys)."""
    import ember
    state = {k: ember.from_numpy(v.detach().cpu().numpy().copy())
             for k, v in torch_model.state_dict().items()}
    ember_model.load_state_dict(state)


def losses_agree(a, b, rtol=1e-3, atol=1e-5):
    return abs(a - b) <= atol + rtol * abs(b)


def to_fw(fw, array):
    """A framework tensor holding a copy of a NumPy array (its dtype kept)."""
    return fw.from_numpy(np.ascontiguousarray(array).copy())


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _blas_info():
    """BLAS library and thread counts: threadpoolctl if installed, else numpy's build config."""
    try:
        import threadpoolctl
        return [{k: info.get(k) for k in ("internal_api", "version", "num_threads", "filepath")}
                for info in threadpoolctl.threadpool_info()]
    except ImportError:
        pass
    try:
        config = np.show_config(mode="dicts")
        deps = config.get("Build Dependencies", {})
        return {k: {"name": v.get("name"), "version": v.get("version")}
                for k, v in deps.items() if k in ("blas", "lapack")}
    except (TypeError, AttributeError):  # NumPy < 1.25 has no mode="dicts"
        return "unknown"


def machine_description(torch=None):
    import ember
    desc = {
        "cpu_model": _cpu_model(),
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "ember": ember.__version__,
        # Ember's CPU convolutions, LSTMs and float32 GEMMs run on oneDNN when it is loaded.
        "onednn": ember.backends.mkldnn.version() if ember.backends.mkldnn.enabled else None,
        "blas": _blas_info(),
        "env_threads": {k: os.environ[k] for k in
                        ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
                        if k in os.environ},
    }
    if torch is not None:
        desc["torch"] = torch.__version__
        desc["torch_num_threads"] = torch.get_num_threads()
    return desc


def write_json_atomic(path, obj):
    """Write to a temporary file in the same folder, then rename: never a half-written result."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=2, default=str)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
