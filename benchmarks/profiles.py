"""Summaries of the two profiles a benchmark run can take of its sandboxes: cProfile's .prof files (--profile)
and py-spy's collapsed stacks (--py-spy, `py-spy record --format raw --full-filenames`: one
`frame;frame;... count` per line, each frame `function (file:line)`). Both end up as a short text file."""
from __future__ import annotations

import pstats
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOP = 40
NO_STACK = "(no Python frame: native code or between bytecodes)"


def summarize_cprofile(prof: Path) -> Path:
    text = prof.with_suffix(".txt")
    with open(text, "w") as out:
        stats = pstats.Stats(str(prof), stream=out).strip_dirs()
        stats.sort_stats("tottime").print_stats(TOP)
        stats.sort_stats("cumulative").print_stats(TOP)
    return text


def _short(frame: str) -> str:
    """`f (/work/main/sandbox/x.py:42)` -> `f (sandbox/x.py:42)`; `loads (/.../lib/python3.11/json/__init__.py:3)`
    -> `loads (json/__init__.py:3)`."""
    name, _, where = frame.partition(" (")
    for marker in (f"{REPO}/", "/site-packages/", "/lib/python3.11/"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where}"


def _ours(frame: str) -> bool:
    return f"({REPO}/" in frame and "/site-packages/" not in frame


def _stacks(collapsed: Path):
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rstrip().rpartition(" ")
        if count.isdigit():
            yield [f for f in stack.split(";") if f.strip()], int(count)


def _section(out, title: str, counter: Counter, total: int) -> None:
    out.write(f"\n{title}\n")
    out.writelines(f"{100 * n / total:6.1f}%  {where}\n" for where, n in counter.most_common(TOP))


def summarize_pyspy(collapsed: Path) -> Path:
    """Three views, as percentages of all samples: self time per source line (where the time goes), the same
    charged to the deepest line of our own code (which of our lines spends it, json and asyncio included), and
    inclusive time per function (what it is spent for)."""
    own, charged, inclusive, total = Counter(), Counter(), Counter(), 0
    for frames, count in _stacks(collapsed):
        total += count
        if not frames:
            own[NO_STACK] += count
            charged[NO_STACK] += count
            continue
        own[_short(frames[-1])] += count
        charged[_short(next((f for f in reversed(frames) if _ours(f)), frames[-1]))] += count
        for function in {_short(f).rsplit(":", 1)[0] + ")" for f in frames}:  # once per stack
            inclusive[function] += count
    text = collapsed.with_suffix(".txt")
    with open(text, "w") as out:
        out.write(f"{total} samples\n")
        _section(out, "self (by line)", own, total)
        _section(out, "self, charged to the deepest line of the project's code", charged, total)
        _section(out, "inclusive (by function)", inclusive, total)
    return text
