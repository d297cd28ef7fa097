"""Workload 8: peak memory (max RSS) of the ResNet-18 training step, one fresh process each.

Each framework runs in its own interpreter (`python -m benchmarks.workloads.memory <fw> <size>`)
that imports only that framework, so neither pays for the other's libraries. The value is the
whole process's high-water mark, import included; the JSON also records the mark right after
import so the training step's own share can be read off.
"""
import importlib
import json
import os
import resource
import subprocess
import sys

from ..harness import Unavailable, Workload

STEPS = {"full": 3, "tiny": 1}
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _max_rss_mib():
    """This process's peak RSS in MiB.

    Linux keeps getrusage's ru_maxrss across execve, so a child forked from the (large) runner
    would report the runner's peak; VmHWM belongs to the address space exec created and starts
    fresh. getrusage is the fallback where /proc is missing.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def measure(framework, size):
    """Peak RSS in MiB of `framework`'s ResNet-18 step in a fresh child process."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [REPO_ROOT] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    proc = subprocess.run([sys.executable, "-m", "benchmarks.workloads.memory", framework, size],
                          capture_output=True, text=True, cwd=REPO_ROOT, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"memory child for {framework} failed:\n{proc.stderr[-2000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if "unavailable" in result:
        raise Unavailable(result["unavailable"])
    return result["max_rss_mib"], {"after_import_mib": result["after_import_mib"]}


def _child(framework, size):
    fw = importlib.import_module(framework)
    after_import = _max_rss_mib()
    from .resnet18 import setup
    try:
        bench = setup(fw, size)
    except Unavailable as exc:
        print(json.dumps({"unavailable": str(exc)}))
        return
    for _ in range(STEPS[size]):
        bench.step()
    print(json.dumps({"max_rss_mib": _max_rss_mib(), "after_import_mib": after_import}))


WORKLOADS = [Workload(name="memory_resnet18", title="peak RSS, ResNet-18 step (fresh proc)",
                      target=1.3, unit="MiB", measure=measure,
                      notes="max RSS of a fresh process running 3 ResNet-18 training steps")]

if __name__ == "__main__":
    _child(*sys.argv[1:3])
