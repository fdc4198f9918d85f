"""`benchmarks/pod_network_benchmark.py --quick` end to end: a server and a load client as pod processes, direct
and through the service proxy. Only the shape of the output is checked: timings depend on the machine."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LINE = re.compile(r"^(?P<name>[a-z_]+): (?P<value>[\d.]+)(?: req/s)?  \((?P<detail>.+)\)$")
NAMES = [f"pod_network_{kind}{suffix}" for suffix in ("", "_new_connections")
         for kind in ("direct_rps", "proxy_rps", "proxy_ratio")]


def test_quick_run_prints_every_figure_and_leaves_nothing_behind():
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / "pod_network_benchmark.py"), "--quick"],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    lines = [LINE.match(line) for line in result.stdout.splitlines()]
    assert all(lines) and [m["name"] for m in lines] == NAMES, result.stdout
    assert all(float(m["value"]) > 0 for m in lines), result.stdout
    workdir = re.search(r"working in (\S+)", result.stderr)[1]
    assert not Path(workdir).exists()
