#!/usr/bin/env python3
"""Record the workshop notebooks' outputs (maintainers): run the chapters in order on a fresh sandbox and store
what every cell showed, so that readers see outputs on GitHub and nbval has something to compare against.

    python tools/record_notebooks.py                  # every notebooks/NN-*.ipynb, in order, then the appendix
    python tools/record_notebooks.py 02 03            # only chapters 02 and 03 (in order, on a fresh sandbox)
    python tools/record_notebooks.py --time-scale 10  # faster: the controllers' windows and periods ten times shorter
    python tools/record_notebooks.py 06 --slow 5      # also print each cell that took over 5 s
    python tools/record_notebooks.py --sanitize-only  # only rewrite tests/notebooks/nbval-sanitize.cfg

A sandbox (the process runtime: pods really run) is started in a temporary WORKSHOP_HOME at time scale 1 by default:
real time, what learners get, so the stored outputs (chapter 06's charts name their time scale) and the run times
printed per notebook are a learner's; those run times are the "run" column of the instructor guide's Timings table.
(At --time-scale 10, as nbval runs, the outputs compare equal after sanitizing and the run takes a quarter of the
time.) The sandbox is stopped at the end. The script also writes tests/notebooks/nbval-sanitize.cfg
(from helpers.volatile) and, when chapter 05 ran, docs/topology.svg: helpers' topology picture of the namespace as
chapter 05 leaves it (the README shows it). A notebook whose run fails is left as it was.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SANITIZE_FILE = ROOT / "tests" / "notebooks" / "nbval-sanitize.cfg"
TOPOLOGY_SVG = ROOT / "docs" / "topology.svg"
TOPOLOGY_AFTER = "05-"  # the picture shows the namespace as this chapter leaves it
HEADER = ("# Generated from helpers.volatile.nbval_sanitize_file() by tools/record_notebooks.py; do not edit.\n"
          "# tests/notebooks/test_sanitize_file.py fails when the two differ.\n\n")
# Settings of the learner's shell that would point the recording somewhere else than a fresh sandbox.
FOREIGN_SETTINGS = ("WORKSHOP_CONTEXT", "WORKSHOP_CLUSTER", "WORKSHOP_LEARNER", "KUBECONFIG", "WORKSHOP_RUNTIME")

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def sanitize_file_text() -> str:
    from helpers import volatile

    return HEADER + volatile.nbval_sanitize_file()


def chapters(selected: list[str]) -> list[Path]:
    """The notebooks to run, in chapter order then the appendix: all of them, or those whose names start with the
    given prefixes."""
    found = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")) + sorted(NOTEBOOKS.glob("appendix-*.ipynb"))
    if not selected:
        return found
    chosen = [nb for nb in found if any(nb.name.startswith(prefix) for prefix in selected)]
    unknown = [p for p in selected if not any(nb.name.startswith(p) for nb in found)]
    if unknown:
        raise SystemExit(f"no notebook starts with {', '.join(unknown)} (have: {', '.join(nb.name for nb in found)})")
    return chosen


def isolate(home: str, time_scale: float) -> None:
    """Point every helper (here and in the kernels, which inherit the environment) at a sandbox of our own."""
    for name in FOREIGN_SETTINGS:
        os.environ.pop(name, None)
    os.environ["WORKSHOP_HOME"] = home
    os.environ["WORKSHOP_TIME_SCALE"] = f"{time_scale:g}"
    paths = [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))  # kernels import helpers from the checkout


def cell_seconds(cell) -> float:
    """How long nbclient took to run a cell (from the timing it records in the cell's metadata)."""
    from datetime import datetime

    timing = cell.metadata.get("execution") or {}
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    return (datetime.fromisoformat(end.replace("Z", "+00:00"))
            - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()


def run(path: Path, timeout: float, slow: float | None = None) -> float:
    """Execute one notebook top to bottom in a fresh kernel and store its outputs; its run time in seconds.
    With `slow`, print each cell that took longer than that many seconds (where a chapter waits)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", record_timing=slow is not None,
                            resources={"metadata": {"path": str(path.parent)}})
    started = time.monotonic()
    try:
        client.execute()
    except CellExecutionError as error:
        raise SystemExit(f"{path.name} failed (left unchanged):\n{error}") from None
    elapsed = time.monotonic() - started
    for index, cell in enumerate(notebook.cells):
        seconds = cell_seconds(cell) if slow is not None else 0.0
        if slow is not None and seconds > slow:
            print(f"    cell {index:<3} {seconds:6.1f} s  {cell.source.splitlines()[0][:70]}", flush=True)
        cell.metadata.pop("execution", None)
    nbformat.write(notebook, path)
    return elapsed


def write_topology() -> None:
    from helpers import connect
    from helpers.topology import topology_svg

    connect()
    TOPOLOGY_SVG.parent.mkdir(parents=True, exist_ok=True)
    TOPOLOGY_SVG.write_text(topology_svg() + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", nargs="*", help="notebook name prefixes, e.g. 02 03 (default: all)")
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="simulated seconds per real second (default 1: real time, as learners run)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds one cell may take")
    parser.add_argument("--slow", type=float, metavar="SECONDS",
                        help="also print every cell that took longer than SECONDS (where the waiting is)")
    parser.add_argument("--keep", action="store_true", help="leave the sandbox running and print its home")
    parser.add_argument("--sanitize-only", action="store_true", help="only rewrite tests/notebooks/nbval-sanitize.cfg")
    args = parser.parse_args(argv)

    SANITIZE_FILE.write_text(sanitize_file_text())
    if args.sanitize_only:
        print(f"wrote {SANITIZE_FILE.relative_to(ROOT)}")
        return 0
    notebooks = chapters(args.chapters)
    home = tempfile.mkdtemp(prefix="workshop-record-")
    isolate(home, args.time_scale)
    total = time.monotonic()
    try:
        for path in notebooks:
            elapsed = run(path, args.timeout, args.slow)
            print(f"{path.name:<40} {elapsed:6.1f} s", flush=True)
            if path.name.startswith(TOPOLOGY_AFTER):  # before a later chapter changes the namespace
                write_topology()
                print(f"wrote {TOPOLOGY_SVG.relative_to(ROOT)}")
    finally:
        if args.keep:
            print(f"sandbox left running: WORKSHOP_HOME={home}")
        else:
            from sandbox import daemon

            daemon.stop(home)
            shutil.rmtree(home, ignore_errors=True)
    print(f"{'total':<40} {time.monotonic() - total:6.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
