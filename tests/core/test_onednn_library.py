"""Loading oneDNN (ember._onednn.library): the switch-off variable, and forked children (whose
OpenMP pool would hang) falling back to NumPy."""
import multiprocessing
import subprocess
import sys

import pytest

import ember
import ember.nn.functional as F
from ember._onednn import available, library


def test_switched_off_by_environment():
    code = "from ember._onednn import available, library; print(available(), library.enabled)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"EMBER_ONEDNN": "0", "PATH": ""}, check=True).stdout.split()
    assert out == ["False", "False"]


def test_a_missing_library_leaves_numpy_paths(tmp_path):
    code = ("import ember, ember.nn.functional as F; from ember._onednn import available; "
            "print(available(), tuple(F.conv2d(ember.ones(1, 1, 3, 3), ember.ones(1, 1, 2, 2))"
            ".shape))")
    env = {"EMBER_ONEDNN_LIBRARY": str(tmp_path / "libdnnl.so.3"), "PATH": ""}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True).stdout
    assert out.split(None, 1) == ["False", "(1, 1, 2, 2)\n"]


def _child(queue):
    x, w = ember.randn(2, 3, 9, 9), ember.randn(4, 3, 3, 3)
    queue.put((library.enabled, tuple(F.conv2d(x, w).shape), (x[0, 0] @ x[0, 1]).shape))


@pytest.mark.timeout(60)
@pytest.mark.skipif(not available(), reason="oneDNN (ember[onednn]) not installed")
def test_forked_child_after_parent_used_onednn_runs_numpy_paths():
    F.conv2d(ember.randn(2, 3, 9, 9), ember.randn(4, 3, 3, 3))  # the parent's pool is up
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_child, args=(queue,))
    child.start()
    result = queue.get(timeout=50)
    child.join(10)
    assert result == (False, (2, 4, 7, 7), (9, 9))
    assert library.enabled


@pytest.mark.skipif(not available(), reason="oneDNN (ember[onednn]) not installed")
def test_set_num_threads_sizes_the_openmp_team():
    get = library.lib.omp_get_max_threads
    before = get()
    try:
        ember.set_num_threads(1)
        assert get() == 1
        x, w = ember.randn(2, 3, 9, 9), ember.randn(4, 3, 3, 3)
        assert F.conv2d(x, w).shape == (2, 4, 7, 7)
    finally:
        ember.set_num_threads(before)
    assert get() == before
