"""The tables `kubectl get` prints, from the Table the API server builds (`Accept: ...;as=Table`).

Every API server (the sandbox included) prints its own objects: kube-apiserver's printers fill the columns and
cells, with -o wide's extra columns marked priority 1. What kubectl adds on the client side is done here: headers in
capitals, wide columns only when asked, label columns (-L) and a LABELS column (--show-labels), rows sorted by
name, kubectl's column alignment and its "No resources found" wording. In Jupyter a table shows as HTML.
"""
from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from .api import Api, Resource

# What kubectl get asks for: a Table, or plain JSON from a server that cannot print one.
TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


@dataclass
class Table:
    """A kubectl-style table: text like `kubectl get` in a terminal, an HTML table in Jupyter."""
    title: str
    columns: list[str]
    rows: list[list[str]]
    empty_message: str = "No resources found."
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        if not self.rows:
            return self.empty_message
        return align([self.columns] + self.rows)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"{self.title}\n{self.text()}" if self.title else self.text()

    def _repr_html_(self) -> str:
        caption = f"<caption style='text-align:left'><b>{html.escape(self.title)}</b></caption>" if self.title else ""
        if not self.rows:
            return f"<table>{caption}<tr><td>{html.escape(self.empty_message)}</td></tr></table>"
        head = "".join(f"<th style='text-align:left'>{html.escape(c)}</th>" for c in self.columns)
        body = "".join("<tr>" + "".join(f"<td style='text-align:left'>{html.escape(v)}</td>" for v in row) + "</tr>"
                       for row in self.rows)
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def align(lines: list[list[str]]) -> str:
    """kubectl's tabwriter (min width 6, padding 3); the last column is not padded."""
    widths = [max(max(len(line[i]) for line in lines) + 3, 6) for i in range(len(lines[0]) - 1)]
    out = []
    for line in lines:
        cells = [cell.ljust(width) for cell, width in zip(line, widths)] + [line[-1]]
        out.append("".join(cells).rstrip())
    return "\n".join(out)


def fetch(api: Api, resource: Resource, namespace: str | None = None, *, label_selector: str = "") -> dict:
    """The server's meta.k8s.io/v1 Table of the objects (each row carrying its object's metadata)."""
    return api.request("GET", resource.path(namespace if resource.namespaced else None),
                       params={"labelSelector": label_selector}, accept=TABLE_ACCEPT)


def _cell(value) -> str:
    """A cell as kubectl prints it (Go's %v): booleans in lower case, nothing as an empty string."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _label_header(key: str) -> str:
    """kubectl's -L header: the label key's last path segment, in capitals (app.kubernetes.io/name -> NAME)."""
    return key.rsplit("/", 1)[-1].upper()


def render(resource: Resource, server_table: dict, *, wide: bool = False, namespace: str | None = None,
           label_columns: Sequence[str] = (), show_labels: bool = False) -> Table:
    """The table `kubectl get <resource>` prints from the server's Table (see the module docstring)."""
    definitions = server_table.get("columnDefinitions") or []
    keep = [i for i, column in enumerate(definitions) if wide or not column.get("priority")]
    columns = [definitions[i]["name"].upper() for i in keep] + [_label_header(k) for k in label_columns]
    if show_labels:
        columns.append("LABELS")
    rows = []
    for row in sorted(server_table.get("rows") or [], key=_row_name):
        cells = row.get("cells") or []
        labels = ((row.get("object") or {}).get("metadata") or {}).get("labels") or {}
        line = [_cell(cells[i]) if i < len(cells) else "" for i in keep]
        line += [labels.get(key, "") for key in label_columns]
        if show_labels:
            line.append(",".join(f"{k}={labels[k]}" for k in sorted(labels)) or "<none>")
        rows.append(line)
    scoped = resource.namespaced and namespace
    where = f" in {namespace} namespace" if scoped else ""
    title = f"{resource.plural}{' in ' + namespace if scoped else ''}"
    return Table(title, columns, rows, empty_message=f"No resources found{where}.")


def _row_name(row: dict) -> str:
    return (((row.get("object") or {}).get("metadata") or {}).get("name")) or ""
