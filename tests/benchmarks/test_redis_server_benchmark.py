"""`benchmarks/redis_server.py` measures the pinned Redis server end to end (start to PONG, memory idle and with
10,000 items) and prints each figure as `name: value  (detail)`. Only the shape is checked: timings vary."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.runtime import redis_binaries

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(redis_binaries.server_path() is None, reason=redis_binaries.missing_reason() or "")
def test_it_prints_the_three_figures_of_the_pinned_server():
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "redis_server.py")], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-4000:]
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["redis_start_ms", "redis_rss_idle", "redis_rss_10k_items"]
    assert re.match(r"redis_start_ms: [\d.]+ ms  \(median of 5 starts to the first PONG: .*valkey-server\)$", lines[0])
    assert re.match(r"redis_rss_10k_items: [\d.]+ MiB  \(VmRSS with 10000 order messages on one list\)$", lines[2])
