"""`kubectl get` tables: the meta.k8s.io/v1 Table kube-apiserver 1.37 returns for `Accept: ...;as=Table`, built from
the printer each kind's registration names (sandbox/registry/kinds/), NAME/AGE for anything else.

kube-apiserver always prints with Wide on and lets kubectl hide priority-1 columns unless `-o wide`: the HTTP
handler should pass wide=True to match. Pure functions; `now` (epoch seconds) is only for tests."""
from __future__ import annotations

import time

from sandbox.machinery import errors
from sandbox.machinery.resources import ResourceType
from sandbox.printers import Printer, default_printer
from sandbox.registry import kinds

TABLE_API_VERSION = "meta.k8s.io/v1"
INCLUDE_OBJECT_VALUES = ("None", "Metadata", "Object")


def _row_object(obj: dict, include_object: str):
    """The row's `object`; it shares the caller's dicts (no copy: tables are serialized right away)."""
    if include_object == "None":
        return None
    if include_object == "Object":
        return obj
    metadata = obj.get("metadata")
    return {"kind": "PartialObjectMetadata", "apiVersion": TABLE_API_VERSION,
            "metadata": metadata if isinstance(metadata, dict) else {}}


def _table_metadata(objects: list[dict], list_metadata: dict | None) -> dict:
    """The list's resourceVersion/continue/remainingItemCount; a single object's resourceVersion for a GET."""
    if list_metadata is None:
        metadata = objects[0].get("metadata") if len(objects) == 1 else None
        rv = metadata.get("resourceVersion") if isinstance(metadata, dict) else None
        return {"resourceVersion": rv} if rv else {}
    return {k: list_metadata[k] for k in ("resourceVersion", "continue", "remainingItemCount")
            if list_metadata.get(k) not in (None, "")}


def printer_for(rt: ResourceType) -> Printer:
    kind = kinds.of(rt)
    return kind.printer_for(rt) if kind is not None else default_printer()


def _printed(printer: Printer, objects: list[dict], wide: bool, include_object: str,
             now: float) -> tuple[list[dict], list[dict]]:
    columns = printer.table_columns(objects)
    keep = [i for i, c in enumerate(columns) if wide or c.priority == 0]
    rows = []
    for obj in objects:
        cells = printer.cells(obj, now, wide, columns)
        row = {"cells": [cells[i] for i in keep], "object": _row_object(obj, include_object)}
        conditions = printer.conditions(obj)
        if conditions:
            row["conditions"] = conditions
        rows.append(row)
    return [columns[i].definition() for i in keep], rows


def table(rt: ResourceType, objects: list[dict], *, wide: bool = False, include_object: str = "Metadata",
          list_metadata: dict | None = None, no_headers: bool = False, now: float | None = None,
          printer: Printer | None = None) -> dict:
    """The meta.k8s.io/v1 Table for `objects` (one object for a GET, a list's items for a LIST).

    wide=False drops priority-1 columns and their cells (kube-apiserver prints wide, so the server passes True);
    include_object is the `includeObject` query parameter (None|Metadata|Object, "" means Metadata; anything else
    is a 400); list_metadata is the list's metadata; no_headers leaves out the column definitions (watch events
    after the first); printer, when given, replaces the resource type's own. Rows share the given objects' dicts."""
    if include_object in ("", None):
        include_object = "Metadata"
    if include_object not in INCLUDE_OBJECT_VALUES:
        raise errors.bad_request(f'includeObject: Invalid value: "{include_object}": '
                                 "must be 'Metadata', 'Object', 'None', or empty")
    objects = [o for o in objects if isinstance(o, dict)]
    now = time.time() if now is None else now
    columns, rows = _printed(printer or printer_for(rt), objects, wide, include_object, now)
    return {"kind": "Table", "apiVersion": TABLE_API_VERSION, "metadata": _table_metadata(objects, list_metadata),
            "columnDefinitions": [] if no_headers else columns, "rows": rows}


def wants_table(accept: str) -> bool:
    """True when an Accept header asks for a meta.k8s.io Table (as `kubectl get` does)."""
    for part in (accept or "").split(","):
        params = dict(p.strip().partition("=")[::2] for p in part.split(";")[1:])
        if params.get("as") == "Table" and params.get("g") == "meta.k8s.io" and params.get("v") in ("v1", "v1beta1"):
            return True
    return False
