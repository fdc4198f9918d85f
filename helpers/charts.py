"""Line charts as small SVG documents: replicas and a metric over time.

An SVG line chart is a few dozen lines of text, so it is drawn here rather than with a plotting library: the
notebooks store it as `image/svg+xml`, which GitHub and JupyterLab both show. LiveChart keeps one chart output
that changes in place while a helper waits (a Jupyter display handle); the notebook keeps its last version.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from .display import in_notebook

FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
AXIS, GRID, TEXT = "#8a94a0", "#e6e9ee", "#222"
BLUE, GREEN, ORANGE = "#3b6fd8", "#2f9e55", "#d9822b"
CHART_CLASS = "workshop-chart"  # on the root element: helpers.volatile finds stored charts by it


@dataclass(frozen=True)
class Series:
    """One line: points (x, y) against the left or the right y axis."""
    label: str
    points: Sequence[tuple[float, float]]
    axis: str = "left"
    color: str = BLUE
    step: bool = False  # a value that holds until the next point (replicas), instead of a straight line
    dashed: bool = False
    width: float = 2.0


@dataclass(frozen=True)
class Guide:
    """A horizontal reference line (a target, a minimum, a maximum) with its label."""
    value: float
    label: str
    axis: str = "left"
    color: str = AXIS


def nice_ticks(top: float, count: int = 5, integer: bool = False) -> list[float]:
    """0, step, 2*step ... up to at least `top`, with a step of 1, 2, 2.5 or 5 times a power of ten."""
    top = top if top > 0 else 1.0  # an empty or all-zero axis still needs a scale
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw * (1 - 1e-9))
    if integer:
        step = max(1, math.ceil(step))
    return [round(i * step, 12) for i in range(max(1, math.ceil(top / step - 1e-9)) + 1)]


def _label(value: float) -> str:
    return f"{value:g}"


class _Frame:
    """The plotting area and its three scales."""

    def __init__(self, width: int, height: int, x_ticks, left_ticks, right_ticks):
        self.left, self.right, self.top, self.bottom = 56, width - (64 if right_ticks else 24), 60, height - 52
        self.x_ticks, self.left_ticks, self.right_ticks = x_ticks, left_ticks, right_ticks

    def x(self, value: float) -> float:
        return self.left + (self.right - self.left) * value / self.x_ticks[-1]

    def y(self, value: float, axis: str = "left") -> float:
        ticks = self.right_ticks if axis == "right" else self.left_ticks
        return self.bottom - (self.bottom - self.top) * value / ticks[-1]


def _path(frame: _Frame, series: Series) -> str:
    points, words = list(series.points), []
    for i, (x, y) in enumerate(points):
        px, py = frame.x(x), frame.y(y, series.axis)
        if i and series.step:
            words.append(f"L{px:.1f},{frame.y(points[i - 1][1], series.axis):.1f}")
        words.append(f"{'L' if i else 'M'}{px:.1f},{py:.1f}")
    dash = ' stroke-dasharray="6,4"' if series.dashed else ""
    return (f'<path d="{" ".join(words)}" fill="none" stroke="{series.color}" stroke-width="{series.width}" '
            f'stroke-linejoin="round"{dash}/>')


def _text(x: float, y: float, text: str, *, size: float = 11, anchor: str = "start", color: str = TEXT,
          weight: str = "normal", rotate: float = 0) -> str:
    turn = f' transform="rotate({rotate} {x:.1f} {y:.1f})"' if rotate else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="{size}" fill="{color}" '
            f'text-anchor="{anchor}" font-weight="{weight}"{turn}>{escape(text)}</text>')


def _axes(frame: _Frame, x_label: str, left_label: str, right_label: str) -> list[str]:
    parts = []
    for tick in frame.left_ticks:
        y = frame.y(tick)
        parts.append(f'<line x1="{frame.left}" y1="{y:.1f}" x2="{frame.right}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(_text(frame.left - 6, y + 4, _label(tick), anchor="end"))
    for tick in frame.right_ticks:
        parts.append(_text(frame.right + 6, frame.y(tick, "right") + 4, _label(tick)))
    for tick in frame.x_ticks:
        x = frame.x(tick)
        parts.append(f'<line x1="{x:.1f}" y1="{frame.bottom}" x2="{x:.1f}" y2="{frame.bottom + 4}" stroke="{AXIS}"/>')
        parts.append(_text(x, frame.bottom + 17, _label(tick), anchor="middle"))
    parts.append(f'<path d="M{frame.left},{frame.top} V{frame.bottom} H{frame.right}" fill="none" stroke="{AXIS}"/>')
    middle = (frame.top + frame.bottom) / 2
    parts.append(_text((frame.left + frame.right) / 2, frame.bottom + 38, x_label, anchor="middle"))
    parts.append(_text(16, middle, left_label, anchor="middle", rotate=-90))
    if right_label:
        parts.append(_text(frame.right + 50, middle, right_label, anchor="middle", rotate=90))
    return parts


def _legend(series: Sequence[Series], frame: _Frame) -> list[str]:
    parts, x = [], frame.left
    for s in series:
        dash = ' stroke-dasharray="6,4"' if s.dashed else ""
        parts.append(f'<line x1="{x}" y1="36" x2="{x + 18}" y2="36" stroke="{s.color}" '
                     f'stroke-width="{s.width}"{dash}/>')
        parts.append(_text(x + 23, 40, s.label))
        x += 30 + 6.5 * len(s.label)
    return parts


def _guides(frame: _Frame, guides: Sequence[Guide]) -> list[str]:
    parts = []
    for g in guides:
        y = frame.y(g.value, g.axis)
        parts.append(f'<line x1="{frame.left}" y1="{y:.1f}" x2="{frame.right}" y2="{y:.1f}" stroke="{g.color}" '
                     f'stroke-dasharray="2,3"/>')
        parts.append(_text(frame.right - 4 if g.axis == "right" else frame.left + 4, y - 4, g.label, size=10,
                           anchor="end" if g.axis == "right" else "start", color=g.color))
    return parts


def line_chart(series: Sequence[Series], *, title: str = "", x_label: str = "", left_label: str = "",
               right_label: str = "", guides: Sequence[Guide] = (), width: int = 720, height: int = 320,
               left_integer: bool = True) -> str:
    """An SVG line chart: x from 0, a left axis (integers by default: replicas) and an optional right one."""
    def top(axis: str) -> float:
        values = [y for s in series if s.axis == axis for _, y in s.points]
        values += [g.value for g in guides if g.axis == axis]
        return max(values, default=0.0)

    x_top = max((x for s in series for x, _ in s.points), default=0.0)
    uses_right = any(s.axis == "right" for s in series)
    frame = _Frame(width, height, nice_ticks(x_top, 6), nice_ticks(top("left"), 5, left_integer),
                   nice_ticks(top("right"), 5) if uses_right else [])
    parts = [f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
             _text(frame.left, 18, title, size=13, weight="bold")]
    parts += _axes(frame, x_label, left_label, right_label if uses_right else "")
    parts += _guides(frame, guides)
    parts += [_path(frame, s) for s in series if s.points]
    parts += _legend(series, frame)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="{CHART_CLASS}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">' + "".join(parts) + "</svg>")


class LiveChart:
    """One chart output, changed in place while a helper waits (Jupyter only; elsewhere it shows nothing and the
    helper prints its own lines). `text` is the output's plain-text form."""

    def __init__(self, text: str):
        self.text = text
        self._handle = None
        self._last = ""

    def _bundle(self, svg: str) -> dict:
        return {"image/svg+xml": svg, "text/plain": self.text}

    def show(self, svg: str) -> None:
        if not in_notebook():
            return
        from IPython.display import display

        self._handle = display(self._bundle(svg), raw=True, display_id=True)
        self._last = svg

    def update(self, svg: str) -> None:
        if self._handle is not None and svg != self._last:
            self._handle.update(self._bundle(svg), raw=True)
            self._last = svg
