"""What every printer shares: the Column/Printer types, apimachinery's duration and label formatting, and
careful readers for objects that may lack any field (a printer never raises on odd input)."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

from sandbox.machinery import labels, schemas
from sandbox.machinery.timestamps import epoch


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "string"
    description: str = ""
    priority: int = 0
    format: str = ""

    def definition(self) -> dict:
        return {"name": self.name, "type": self.type, "format": self.format, "description": self.description,
                "priority": self.priority}


@dataclass(frozen=True)
class Printer:
    """A kind's Table: its columns, and a function from an object to the cells of every column."""
    columns: tuple[Column, ...]
    row: Callable[[dict, float, bool], list]  # (object, now, wide) -> cells for every column
    conditions: Callable[[dict], list] = lambda obj: []

    def table_columns(self, objects: list[dict]) -> tuple[Column, ...]:
        """The columns of a table of these objects (most printers have fixed columns)."""
        return self.columns

    def cells(self, obj: dict, now: float, wide: bool, columns: tuple[Column, ...]) -> list:
        return self.row(obj, now, wide)


def human_duration(seconds: float) -> str:
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration: "45s", "5m3s", "3h", "2d4h", "400d", "3y10d"."""
    whole = int(seconds)
    if whole < -1:
        return "<invalid>"
    if whole < 0:
        return "0s"
    if whole < 120:
        return f"{whole}s"
    minutes = whole // 60
    if minutes < 10:
        return f"{minutes}m" if whole % 60 == 0 else f"{minutes}m{whole % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = whole // 3600
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        years, days = hours // 24 // 365, hours // 24 % 365
        return f"{years}y" if days == 0 else f"{years}y{days}d"
    return f"{hours // 24 // 365}y"


def since(timestamp, now: float) -> str:
    """translateTimestampSince: the age of an RFC 3339 timestamp, "<unknown>" when it is unset."""
    seconds = epoch(timestamp)
    return "<unknown>" if seconds is None else human_duration(now - seconds)


def dig(obj, *path, default=None):
    for key in path:
        if not isinstance(obj, dict):
            return default
        obj = obj.get(key)
    return default if obj is None else obj


def as_list(obj, *path) -> list:
    value = dig(obj, *path)
    return value if isinstance(value, list) else []


def as_dict(obj, *path) -> dict:
    value = dig(obj, *path)
    return value if isinstance(value, dict) else {}


def format_labels(values) -> str:
    """labels.FormatLabels: `a=b,c=d` sorted by key, `<none>` when empty."""
    if not isinstance(values, dict) or not values:
        return "<none>"
    return ",".join(f"{k}={values[k]}" for k in sorted(values))


def selector_string(spec) -> str:
    """printDeployment's selector: LabelSelectorAsSelector(...).String(), "" when empty, "<invalid>" when bad."""
    text = labels.format_label_selector(spec)
    return {"<none>": "", "<error>": "<invalid>"}.get(text, text)


def container_cells(pod_spec) -> list[str]:
    containers = [c for c in as_list(pod_spec, "containers") if isinstance(c, dict)]
    return [",".join(str(c.get("name", "")) for c in containers), ",".join(str(c.get("image", "")) for c in containers)]


def as_int(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def more(items: list[str], count: int, maximum: int, empty: str) -> str:
    text = ",".join(items)
    if count > maximum:
        return f"{text} + {count - maximum} more..."
    return text or empty


@functools.cache
def doc(definition: str, field: str) -> str:
    """The API's own description of a field (what the Go printers read from SwaggerDoc())."""
    return as_dict(schemas.definition(definition), "properties", field).get("description", "")


def meta_doc(field: str) -> str:
    return doc("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", field)


def name_column(priority: int = 0) -> Column:
    return Column("Name", format="name", description=meta_doc("name"), priority=priority)


def age_column() -> Column:
    return Column("Age", description=meta_doc("creationTimestamp"))


def name_of(obj) -> str:
    return dig(obj, "metadata", "name", default="")


def age_of(obj, now: float) -> str:
    return since(dig(obj, "metadata", "creationTimestamp"), now)
