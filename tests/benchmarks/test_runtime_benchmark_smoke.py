"""`benchmarks/runtime_benchmark.py --quick` end to end: the orders app's pods run as processes of real sandboxes,
driven with kubectl and the kubernetes client. Only the shape is checked (every figure once, with its unit and
target) and that nothing the run started is left: the numbers depend on the machine."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.sandbox

REPO = Path(__file__).resolve().parents[2]
METRIC = re.compile(r"^(?P<name>[a-z_0-9]+): (?P<value>\S.*?)  \((?P<detail>.+)\)$")
EXPECTED = {  # name -> (value as printed, the target the detail names)
    "pod_ready_seconds": (r"median [\d.]+ s, max [\d.]+ s", "target median <= 2 s"),
    "lb_throughput_ratio": (r"[\d.]+", "target >= 0.7"),
    "chapter06_pss": (r"\d+ MiB", "target <= 1024 MiB"),
    "sandbox_start_seconds": (r"median [\d.]+ s", "target <= 2 s"),
}


def test_quick_run_prints_every_figure_and_leaves_nothing_behind():
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "runtime_benchmark.py"), "--quick"],
                          cwd=REPO, capture_output=True, text=True, timeout=540)
    assert done.returncode == 0, done.stderr[-4000:]
    lines = [METRIC.match(line) for line in done.stdout.splitlines()]
    assert all(lines), f"stdout holds only figure lines:\n{done.stdout}"
    assert [m["name"] for m in lines] == list(EXPECTED), done.stdout
    for m in lines:
        value, target = EXPECTED[m["name"]]
        assert re.fullmatch(value, m["value"]) and m["detail"].startswith(target), m.group(0)
    workdir = re.search(r"working in (\S+)", done.stderr)[1]
    assert not Path(workdir).exists()
    leftovers = subprocess.run(["pgrep", "-f", re.escape(workdir)], capture_output=True, text=True)
    assert leftovers.stdout.strip() == "", leftovers.stdout
