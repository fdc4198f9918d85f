"""metrics-server's own tables for PodMetrics and NodeMetrics: NAME, one column per resource, WINDOW."""
from __future__ import annotations

import functools

from sandbox.machinery import quantity

from .common import Column, Printer, as_dict, as_list


def _quantity_sum(values: list) -> str:
    """Quantity.Add over metrics-server usages, printed canonically in the first value's format."""
    total, fmt = 0, None
    for value in values:
        try:
            amount, value_fmt = quantity.parse(value)
        except quantity.QuantityError:
            continue
        total, fmt = total + amount, fmt or value_fmt
    if fmt == "BinarySI" and total == int(total) and int(total) % 1024 == 0:
        return quantity.canonical(f"{int(total) // 1024}Ki")
    return quantity.canonical(f"{int(total * 10 ** 9)}n") if total else "0"


def _metrics_table_columns(usages: list[dict]) -> tuple[Column, ...]:
    names = sorted({name for usage in usages for name in usage})
    return (Column("Name", format="name", description="Name of the resource"),
            *(Column(n, format="quantity") for n in names), Column("Window", format="duration"))


def _usages(obj: dict) -> dict:
    if obj.get("kind") == "NodeMetrics" or "usage" in obj:
        return {k: [v] for k, v in as_dict(obj, "usage").items()}
    merged: dict[str, list] = {}
    for container in as_list(obj, "containers"):
        for name, value in as_dict(container, "usage").items():
            merged.setdefault(name, []).append(value)
    return merged


def metrics_columns(objects: list[dict]) -> tuple[Column, ...]:
    return _metrics_table_columns([_usages(o) for o in objects])


def metrics_cells(obj: dict, columns: tuple[Column, ...]) -> list:
    usage = _usages(obj)
    return [as_dict(obj, "metadata").get("name", ""),
            *(_quantity_sum(usage.get(c.name, [])) for c in columns[1:-1]), obj.get("window", "")]


class MetricsPrinter(Printer):
    """metrics-server prints its own table: its columns are the resources the objects measure."""

    def table_columns(self, objects: list[dict]) -> tuple[Column, ...]:
        return metrics_columns(objects)

    def cells(self, obj: dict, now: float, wide: bool, columns: tuple[Column, ...]) -> list:
        return metrics_cells(obj, columns)


@functools.cache
def metrics_printer() -> Printer:
    return MetricsPrinter((), lambda obj, now, wide: [])
