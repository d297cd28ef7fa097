"""Every benchmark workload runs once at a tiny size in ember alone (no torch, no timing).

A workload whose ember layers are still missing is skipped with the names of what is missing;
anything else that fails is a bug in the benchmark or in ember.
"""
import os
import sys

import pytest

import ember

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.harness import Unavailable, set_up  # noqa: E402
from benchmarks.run import format_table, select  # noqa: E402
from benchmarks.workloads import all_workloads  # noqa: E402

WORKLOADS = all_workloads()


@pytest.mark.parametrize("workload", WORKLOADS, ids=[w.name for w in WORKLOADS])
def test_workload_runs_in_ember(workload):
    try:
        if workload.setup is not None:
            bench = set_up(workload, ember, "tiny")
            bench.step()
            if bench.reference is not None:
                assert isinstance(bench.reference(), float)
        else:
            value, extra = workload.measure("ember", "tiny")
            assert value > 0 and isinstance(extra, dict)
    except Unavailable as exc:
        pytest.skip(f"ember lacks {exc}")


def test_workload_names_unique_and_selectable():
    names = [w.name for w in WORKLOADS]
    assert len(names) == len(set(names)) == 10
    assert [w.name for w in select(WORKLOADS, ["dataloader"])] == ["dataloader_w0",
                                                                   "dataloader_w2"]
    with pytest.raises(SystemExit, match="no such workload"):
        select(WORKLOADS, ["nonexistent"])


def test_table_marks_unavailable_rows():
    rows = [{"title": "a", "unit": "ms", "target": 1.1, "ember": 2.0, "torch": 1.0,
             "ratio": 2.0, "status": "FAIL"},
            {"title": "b", "unit": "ms", "target": 1.2, "torch": 1.0,
             "status": "unavailable: ember.nn.LSTM"}]
    table = format_table(rows)
    assert "FAIL" in table and "unavailable: ember.nn.LSTM" in table


def test_missing_ember_layer_is_unavailable_not_an_error():
    from benchmarks.harness import Workload, require

    def needs_missing(fw, size):
        require(fw, "nn.Linear", "nn.NoSuchLayer")

    def reaches_missing_inside(fw, size):
        return fw.nn.NoSuchLayer  # as when an ember layer is built on one not written yet

    for setup in (needs_missing, reaches_missing_inside):
        with pytest.raises(Unavailable, match=r"ember\.nn\.NoSuchLayer"):
            set_up(Workload("x", "x", 1.0, "ms", setup=setup), ember, "tiny")
