"""Run every workload in ember and in PyTorch, alternately, and report the ratio ember/torch.

    python benchmarks/run.py [--quick] [--only NAME ...] [--output PATH]

Prints a table and writes benchmarks/results/<timestamp>.json (see benchmarks/README.md).
"""
import argparse
import datetime
import gc
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import harness  # noqa: E402
from benchmarks.workloads import all_workloads  # noqa: E402

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
# (warm-up calls, timed calls) per framework and workload.
# (warm-up rounds, minimum timed rounds, minimum seconds of timed rounds)
REPEATS = {"full": (2, 10, 5.0), "quick": (1, 3, 0.0)}


def _short(exc):
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:200]


def _check(workload, sides, row):
    """Copy torch's weights into ember and compare the first-step loss of the two."""
    ember_side, torch_side = sides["ember"], sides["torch"]
    try:
        if torch_side.model is not None:
            harness.copy_weights(torch_side.model, ember_side.model)
        ember_value, torch_value = ember_side.reference(), torch_side.reference()
    except Exception as exc:  # a failing check must not hide the timing
        row["check"] = f"could not run: {_short(exc)}"
        print(f"  WARNING {workload.name}: loss check could not run: {_short(exc)}")
        return
    row["check_loss"] = {"ember": ember_value, "torch": torch_value}
    if harness.losses_agree(ember_value, torch_value):
        row["check"] = "same loss"
    else:
        row["check"] = "LOSSES DIFFER"
        print(f"  WARNING {workload.name}: first-step loss differs (ember {ember_value:.6g}, "
              f"torch {torch_value:.6g}): the two sides may not measure the same work")


def _run_timed(workload, frameworks, warmup, repeats, min_seconds, row):
    sides = {}
    for name, fw in frameworks.items():
        try:
            sides[name] = harness.set_up(workload, fw, "full")
        except harness.Unavailable as exc:
            row["status"] = f"unavailable: {exc}"
        except Exception as exc:
            row["status"] = f"error ({name} setup): {_short(exc)}"
            traceback.print_exc()
    if workload.check and len(sides) == 2 and sides["ember"].reference is not None:
        _check(workload, sides, row)
    while sides:
        try:
            samples = harness.time_alternating({n: s.step for n, s in sides.items()},
                                               warmup, repeats, min_seconds)
            break
        except Exception as exc:
            # Find the side that fails alone, report it, and time the other one.
            failed = next(n for n, s in sides.items() if not _runs(s.step))
            row["status"] = f"error ({failed} step): {_short(exc)}"
            traceback.print_exc()
            del sides[failed]
    else:
        return
    for name, values in samples.items():
        row[name] = harness.median(values) * workload.scale
        row[f"{name}_samples_s"] = values


def _runs(step):
    try:
        step()
        return True
    except Exception:
        return False


def _run_measured(workload, frameworks, row):
    for name in frameworks:
        try:
            row[name], extra = workload.measure(name, "full")
            row[f"{name}_extra"] = extra
        except harness.Unavailable as exc:
            row["status"] = f"unavailable: {exc}"
        except Exception as exc:
            row["status"] = f"error ({name}): {_short(exc)}"


def run_workload(workload, frameworks, warmup, repeats, min_seconds=0.0):
    row = {"name": workload.name, "title": workload.title, "unit": workload.unit,
           "target": workload.target, "notes": workload.notes}
    if workload.setup is not None:
        _run_timed(workload, frameworks, warmup, repeats, min_seconds, row)
    else:
        _run_measured(workload, frameworks, row)
    if "ember" in row and "torch" in row:
        row["ratio"] = row["ember"] / row["torch"]
        row.setdefault("status", "PASS" if row["ratio"] <= workload.target else "FAIL")
    gc.collect()  # drop one workload's models before the next allocates its own
    return row


def format_table(rows):
    header = ["workload", "ember", "torch", "unit", "ember/torch", "target", "result"]
    lines = [header]
    for r in rows:
        ember, torch = (f"{r[k]:.4g}" if k in r else "-" for k in ("ember", "torch"))
        lines.append([r["title"], ember, torch, r["unit"],
                      f"{r['ratio']:.2f}" if "ratio" in r else "-", f"<= {r['target']}",
                      r.get("status", "-") + (f" [{r['check']}]" if "check" in r else "")])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    out = []
    for i, line in enumerate(lines):
        cells = [c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(line, widths))]
        out.append("  ".join(cells + [line[-1]]))
        if i == 0:
            out.append("-" * len(out[0]))
    return "\n".join(out)


def select(workloads, only):
    """Workloads whose name equals or starts with one of `only` (all when `only` is empty)."""
    if not only:
        return workloads
    chosen = [w for w in workloads if any(w.name == o or w.name.startswith(o) for o in only)]
    if not chosen:
        names = ", ".join(w.name for w in workloads)
        raise SystemExit(f"--only {' '.join(only)}: no such workload (known: {names})")
    return chosen


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer warm-up and timed repeats")
    parser.add_argument("--only", nargs="+", default=[], metavar="NAME",
                        help="run only these workloads (a name or its prefix, e.g. dataloader)")
    parser.add_argument("--output", help="JSON path (default benchmarks/results/<time>.json)")
    args = parser.parse_args(argv)
    workloads = select(all_workloads(), args.only)

    try:
        import torch
    except ImportError:
        raise SystemExit("benchmarks need PyTorch's CPU build: pip install torch==2.13.0 "
                         "(or run `nox -s bench`)")
    import ember
    frameworks = {"ember": ember, "torch": torch}
    warmup, repeats, min_seconds = REPEATS["quick" if args.quick else "full"]
    machine = harness.machine_description(torch)
    print(f"{machine['cpu_model']}, {machine['logical_cores']} cores, torch "
          f"{machine['torch']} ({machine['torch_num_threads']} threads), numpy "
          f"{machine['numpy']}, ember on oneDNN {machine['onednn'] or 'off'}; {warmup} warm-up "
          f"+ at least {repeats} timed steps each "
          f"(rounds spanning {min_seconds:g} s or more), median")

    started = datetime.datetime.now()
    rows = []
    for workload in workloads:
        print(f"- {workload.name} ...", flush=True)
        rows.append(run_workload(workload, frameworks, warmup, repeats, min_seconds))
    table = format_table(rows)
    print()
    print(table)

    path = args.output or os.path.join(RESULTS_DIR, started.strftime("%Y%m%d-%H%M%S") + ".json")
    harness.write_json_atomic(path, {
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.datetime.now().isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full", "warmup": warmup, "repeats": repeats,
        "min_seconds": min_seconds,
        "machine": machine, "results": rows})
    print(f"\nwritten {path}")


if __name__ == "__main__":
    main()
