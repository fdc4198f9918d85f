"""The instructor guide's optional demonstration (a drained node, then a PodDisruptionBudget holding a drain back)
run verbatim, as a notebook cell would run it, on a sandbox of its own: the guide's code cannot rot unnoticed."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import helpers

pytestmark = pytest.mark.sandbox

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "instructor-guide.md"
SECTION = "## Going further: a node goes away"


def demo_code() -> str:
    section = GUIDE.read_text().split(SECTION, 1)[1].split("\n## ", 1)[0]
    [code] = re.findall(r"```python\n(.*?)```", section, re.S)
    return code


def test_the_drain_demo_runs_as_the_guide_says(sandbox_factory, capsys):
    sandbox = sandbox_factory()  # draining nodes of the session sandbox would move every later test's pods
    helpers.connect(context="workshop-sandbox", kubeconfig=str(sandbox.kubeconfig))
    try:
        helpers.ensure_chapter(3, timeout=120)
        capsys.readouterr()
        exec(compile("from helpers import *\n" + demo_code(), str(GUIDE), "exec"), {})
        shown = capsys.readouterr()
        out = shown.out + shown.err  # kubectl's retries and errors are on stderr, as in a notebook's red block
    finally:
        helpers.disconnect()
    assert re.search(r"node/sandbox-worker2? drained", out), out
    assert "poddisruptionbudget.policy/containo-orders-frontend created" in out
    assert "Cannot evict pod as it would violate the pod's disruption budget." in out
    assert out.count("uncordoned") == 2
    assert 'poddisruptionbudget.policy "containo-orders-frontend" deleted' in out
