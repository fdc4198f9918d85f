"""A learner may run a chapter again, and the chapter must not notice: each of the chapters where learners write,
restart and break things (03, 04, 05, 07, 08) runs twice in a row, each time in a fresh kernel, on this worker's
sandbox, and the second run shows what the first showed once the volatile parts are sanitized (helpers.volatile,
as nbval does). nbval runs every chapter once; together they check "twice in a row on a fresh kernel"."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from helpers import volatile

pytestmark = pytest.mark.sandbox
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
CHAPTERS = ["03", "04", "05", "07", "08"]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"  # a progress bar's model id differs on every run


def run(path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=300, startup_timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()  # raises on a failing cell
    return notebook


def shown(notebook: nbformat.NotebookNode) -> dict[int, str]:
    """What each code cell showed as text (its stream chunks joined: how output is split is timing), sanitized."""
    out = {}
    for index, cell in enumerate(notebook.cells):
        texts = [output.get("text") or output.get("data", {}).get("text/plain") or ""
                 for output in cell.get("outputs", []) if WIDGET_VIEW not in output.get("data", {})]
        if texts:
            out[index] = volatile.sanitize("".join(texts))
    return out


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_a_chapter_run_twice_shows_the_same_the_second_time(chapter):
    [path] = NOTEBOOKS.glob(f"{chapter}-*.ipynb")
    first, second = shown(run(path)), shown(run(path))
    assert sorted(second) == sorted(first), "the second run printed in other cells"
    for index, before in first.items():
        assert second[index] == before, f"{path.name} cell {index} showed something else the second time"
