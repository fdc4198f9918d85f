"""`benchmarks/zygote_benchmark.py --quick` runs end to end against real app processes, started directly and
through real zygotes, and prints each figure as `name: value  (detail)`. Only the shape is checked: the
numbers depend on the machine."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
METRIC = re.compile(r"^(?P<name>[a-z_]+): (?P<value>\S.*?)  \((?P<detail>.+)\)$")
WAYS = ("direct", "zygote", "zygote_no_freeze", "zygote_no_preload")
EXPECTED = {
    **{f"app_api_pss_{way}": r"\d+ MiB" for way in WAYS},
    **{f"app_api_pss_{way}_after_load": r"\d+ MiB" for way in WAYS},
    **{f"app_api_healthz_{way}": r"[\d.]+ s alone" for way in WAYS},
    "import_redis_cpu_direct": r"[\d.]+ s",
    "import_redis_cpu_zygote": r"[\d.]+ s",
    "full_collection_private_zygote": r"[+-][\d.]+ MiB",
    "full_collection_private_zygote_no_freeze": r"[+-][\d.]+ MiB",
}


def test_quick_run_prints_every_figure_once_with_its_unit():
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "zygote_benchmark.py"), "--quick"],
                          cwd=REPO, capture_output=True, text=True, timeout=540)
    assert done.returncode == 0, done.stderr[-4000:]
    lines = [METRIC.match(line) for line in done.stdout.splitlines()]
    assert all(lines), f"stdout holds only metric lines:\n{done.stdout}"
    values = {m["name"]: m["value"] for m in lines}
    assert sorted(values) == sorted(EXPECTED) and len(lines) == len(EXPECTED), done.stdout
    for name, pattern in EXPECTED.items():
        assert re.fullmatch(pattern, values[name]), f"{name}: {values[name]!r}"
