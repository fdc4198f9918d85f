"""The three documents that list the chapters agree with the notebooks: README.md, notebooks/README.md and the
instructor guide name every notebook; the guide's Timings table has one row per notebook, whose teaching time is
the one the notebook announces ("*Time: about N minutes.*"); notebooks/README.md points at that table instead of
repeating its numbers. Read from the files; nothing runs."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(ROOT.glob("notebooks/[0-9][0-9]-*.ipynb")) + sorted(ROOT.glob("notebooks/appendix-*.ipynb"))
GUIDE = ROOT / "docs" / "instructor-guide.md"
DOCS = [ROOT / "README.md", ROOT / "notebooks" / "README.md", GUIDE]


def timings_rows() -> dict[str, list[str]]:
    """The guide's Timings table: notebook name -> its cells."""
    text = GUIDE.read_text()
    section = re.search(r"^## Timings\n(.*?)(?=^## )", text, re.MULTILINE | re.DOTALL)
    assert section, "the instructor guide has no '## Timings' section"
    rows = {}
    for line in section.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        name = re.fullmatch(r"`([\w-]+)`.*", cells[0]) if line.startswith("|") else None
        if name:
            rows[name.group(1)] = cells
    return rows


def announced_minutes(notebook: Path) -> int | None:
    for cell in json.loads(notebook.read_text())["cells"]:
        found = re.search(r"\*Time: about (\d+) minutes", "".join(cell["source"]))
        if found:
            return int(found.group(1))
    return None


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_notebook_is_named(doc):
    text = doc.read_text()
    missing = [nb.stem for nb in NOTEBOOKS if f"`{nb.stem}`" not in text]
    assert not missing, f"{doc.relative_to(ROOT)} does not name {missing}"


def test_the_timings_table_has_a_row_per_notebook_with_its_announced_teaching_time():
    rows = timings_rows()
    present = {nb.stem for nb in NOTEBOOKS}
    assert present == set(rows), f"Timings rows {sorted(set(rows))}, notebooks {sorted(present)}"
    for notebook in NOTEBOOKS:
        minutes = announced_minutes(notebook)
        teaching = rows[notebook.stem][1]
        if minutes is not None and re.fullmatch(r"\d+ min", teaching):
            assert teaching == f"{minutes} min", f"{notebook.name} announces {minutes} minutes, the guide {teaching}"


def test_notebooks_readme_points_at_the_table_instead_of_repeating_it():
    text = (ROOT / "notebooks" / "README.md").read_text()
    assert "../docs/instructor-guide.md#timings" in text
    assert not re.search(r"\|\s*\d+ (?:s|min \d+ s)\s*\|", text), "run times belong in the guide's Timings table"


def test_the_three_hour_plan_gives_each_chapter_its_teaching_time_and_ends_by_three_hours():
    text = GUIDE.read_text()
    section = re.search(r"^### A 3-hour plan\n(.*?)(?=^##)", text, re.MULTILINE | re.DOTALL)
    assert section, "the instructor guide's Timings section has no '### A 3-hour plan'"
    rows = re.findall(r"^\| (\d):(\d\d) \| (\d):(\d\d) \| (.*?) \|$", section.group(1), re.MULTILINE)
    assert rows, "the plan has no rows"
    teaching = timings_rows()
    end = 0
    for h1, m1, h2, m2, what in rows:
        start, stop = int(h1) * 60 + int(m1), int(h2) * 60 + int(m2)
        assert start == end, f"the plan has a gap or an overlap before {what}"
        end = stop
        name = re.match(r"`([\w-]+)`", what)
        if name:
            assert f"{stop - start} min" == teaching[name.group(1)][1], f"the plan gives {what} {stop - start} min"
    assert 0 < end <= 180
    assert sum("break" in what for *_, what in rows) >= 2
