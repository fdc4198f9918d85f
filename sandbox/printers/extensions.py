"""The API's own extension points: APIServices (kube-aggregator's table: NAME, SERVICE, AVAILABLE, AGE), the
CustomResourceDefinitions (the default table: NAME, CREATED AT) and custom resources (their CRD's
additionalPrinterColumns, read with JSONPath as apiextensions-apiserver's tableconvertor does)."""
from __future__ import annotations

import functools
import json
import re

from sandbox.machinery.timestamps import epoch

from .common import Column, Printer, age_column, age_of, as_list, dig, meta_doc, name_column, name_of, since
from .rbac import created_at

_SERVICE_DOC = "The reference to the service that hosts this API endpoint."


def _available(obj: dict) -> str:
    for condition in as_list(obj, "status", "conditions"):
        if isinstance(condition, dict) and condition.get("type") == "Available":
            status = str(condition.get("status", ""))
            if status != "True" and condition.get("reason"):
                return f"{status} ({condition['reason']})"
            return status
    return "Unknown"


def _service(obj: dict) -> str:
    service = dig(obj, "spec", "service")
    return f"{service.get('namespace', '')}/{service.get('name', '')}" if isinstance(service, dict) else "Local"


@functools.cache
def api_service_printer() -> Printer:
    return Printer((name_column(), Column("Service", description=_SERVICE_DOC),
                    Column("Available", description="Whether this service is available."), age_column()),
                   lambda obj, now, wide: [name_of(obj), _service(obj), _available(obj), age_of(obj, now)])


@functools.cache
def default_table_printer() -> Printer:
    """kube-apiserver's default table convertor (NAME, CREATED AT), what `kubectl get crd` shows."""
    return Printer((name_column(), Column("Created At", "date", description=meta_doc("creationTimestamp"))),
                   lambda obj, now, wide: [name_of(obj), created_at(obj)])


# custom resources ----------------------------------------------------------------------------------------------
_STEP = re.compile(r"""\.([^.\[]+)|\[(\d+|\*)\]|\[\?\(@\.([\w.-]+)\s*==\s*["']([^"']*)["']\)\]""")


def json_path_values(obj, path: str) -> list:
    """The values the simple JSONPath of a printer column finds (`.spec.replicas`, `.items[0].name`,
    `.spec.triggers[*].type`, `.status.conditions[?(@.type=="Ready")].status`), in order."""
    values, pos, path = [obj], 0, path.strip()
    if path.startswith("{") and path.endswith("}"):
        path = path[1:-1]
    while pos < len(path):
        step = _STEP.match(path, pos)
        if step is None:
            return []
        pos = step.end()
        key, index, field, wanted = step.groups()
        found = []
        for value in values:
            if key is not None and isinstance(value, dict) and key in value:
                found.append(value[key])
            elif index == "*" and isinstance(value, list):
                found.extend(value)
            elif index is not None and index != "*" and isinstance(value, list) and int(index) < len(value):
                found.append(value[int(index)])
            elif field is not None and isinstance(value, list):
                found.extend(v for v in value if isinstance(v, dict) and str(v.get(field)) == wanted)
        values = found
    return values


def _json_path(obj, path: str):
    """The first value found (the table convertor shows results[0][0]); None when nothing is."""
    values = json_path_values(obj, path)
    return values[0] if values else None


def _cell(value, column_type: str, now: float):
    """apiextensions' tableconvertor: a value of the column's type, or its JSON text; date columns as ages."""
    if value is None:
        return None
    if column_type == "date":  # ConvertToHumanReadableDateType
        return (since(value, now) if epoch(value) is not None else "<invalid>") if isinstance(value, str) else None
    if column_type == "integer" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if column_type == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if column_type == "boolean" and isinstance(value, bool):
        return value
    if column_type == "string" and isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return value if column_type == "string" else None


def custom_resource_printer(columns: tuple[tuple, ...]) -> Printer:
    """A printer for a CRD version's additionalPrinterColumns, as (name, type, format, description, priority,
    jsonPath) tuples; without columns the CRD's default is NAME and AGE (an Age date column)."""
    if not columns:
        columns = (("Age", "date", "", meta_doc("creationTimestamp"), 0, ".metadata.creationTimestamp"),)

    def row(obj: dict, now: float, wide: bool) -> list:
        return [name_of(obj)] + [_cell(_json_path(obj, path), kind, now) for _, kind, _, _, _, path in columns]

    return Printer((name_column(), *(Column(name, kind, description, priority, fmt)
                                     for name, kind, fmt, description, priority, _ in columns)), row)
