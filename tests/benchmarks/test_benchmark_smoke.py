"""`benchmarks/sandbox_benchmark.py --quick` runs every benchmark end to end against real sandbox processes and
prints each figure as `name: value  (detail)`. Only the shape is checked: timings depend on the machine."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.sandbox

REPO = Path(__file__).resolve().parents[2]
METRIC = re.compile(r"^(?P<name>[a-z_]+): (?P<value>\S.*?)  \((?P<detail>.+)\)$")
EXPECTED = {  # name -> a number with its unit, as printed
    "deployment_available_seconds": r"[\d.]+ s",
    "list_pods_latency_client": r"median \d+ ms, p95 \d+ ms",
    "list_pods_latency_client_raw": r"median \d+ ms, p95 \d+ ms",
    "list_pods_latency_aiohttp": r"median \d+ ms, p95 \d+ ms",
    "get_rps_ratio": r"[\d.]+",
    "get_per_cpu_second_ratio": r"[\d.]+",
    "framework_rps_ratio": r"[\d.]+",
    "sandbox_rss": r"\d+ MiB",
}


@pytest.fixture(scope="module")
def quick_run():
    return subprocess.run([sys.executable, str(REPO / "benchmarks" / "sandbox_benchmark.py"), "--quick"],
                          cwd=REPO, capture_output=True, text=True, timeout=540)


def test_quick_run_exits_cleanly(quick_run):
    assert quick_run.returncode == 0, quick_run.stderr[-4000:]


def test_quick_run_prints_every_metric_once_with_its_unit(quick_run):
    lines = [METRIC.match(line) for line in quick_run.stdout.splitlines()]
    assert all(lines), f"stdout holds only metric lines:\n{quick_run.stdout}"
    printed = {m["name"]: m for m in lines}
    assert sorted(printed) == sorted(EXPECTED) and len(lines) == len(EXPECTED), quick_run.stdout
    for name, value in EXPECTED.items():
        assert re.fullmatch(value, printed[name]["value"]), printed[name].group(0)


def test_quick_run_reaches_its_sizes_and_names_the_targets(quick_run):
    out = quick_run.stdout
    assert "NOT REACHED" not in out, out
    for target in ("target < 10 s", "target >= 0.5", "target < 1024 MiB"):
        assert target in out, out


def test_quick_run_leaves_no_process_behind(quick_run):
    """Every process the script started (sandboxes, hello-world server) ran in its working directory: none is
    left."""
    workdir = re.search(r"working in (\S+)", quick_run.stderr)
    assert workdir, quick_run.stderr[-4000:]
    assert not Path(workdir[1]).exists()
    leftovers = subprocess.run(["pgrep", "-f", re.escape(workdir[1])], capture_output=True, text=True)
    assert leftovers.stdout.strip() == "", leftovers.stdout
