"""Running a script on several ranks for the distributed tests: under mpirun (loopback only)
or under ember's own launcher."""
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

HAVE_MPI = shutil.which("mpirun") is not None and subprocess.run(
    [sys.executable, "-c", "from mpi4py import MPI"], capture_output=True).returncode == 0
needs_mpi = pytest.mark.skipif(not HAVE_MPI, reason="needs Open MPI's mpirun and mpi4py")

# Loopback only; root and more ranks than cores are allowed (CI containers).
MPIRUN = ["mpirun", "--oversubscribe", "--mca", "btl", "self,tcp", "--mca",
          "btl_tcp_if_include", "lo", "--mca", "oob_tcp_if_include", "lo"]
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_rmaps_base_oversubscribe": "1"}


def _write(tmp_path, source):
    script = tmp_path / "worker.py"
    script.write_text(textwrap.dedent(source))
    return str(script)


def run_mpi(tmp_path, n, source, timeout=60):
    command = MPIRUN + ["-n", str(n), sys.executable, _write(tmp_path, source)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, **MPI_ENV), cwd=tmp_path)


def run_launcher(tmp_path, n, source, timeout=60, backend="tcp"):
    command = [sys.executable, "-m", "ember.distributed.run", "-n", str(n), "--backend",
               backend, _write(tmp_path, source)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          cwd=tmp_path)


def check(result):
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result.stdout
