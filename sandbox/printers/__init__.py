"""Printers: for each kind the sandbox serves, the Table columns kube-apiserver 1.37 prints and a function from an
object to its cells (pkg/printers/internalversion/printers.go, KEDA's printer columns, metrics-server's table),
and NAME/AGE for a kind without its own. Pure, like machinery/: each kind's registration
(sandbox/registry/kinds/) names its printer; the helpers read the pod STATUS and service PORT(S) from here too."""
from __future__ import annotations

import functools

from .common import Column, Printer, age_column, age_of, name_column, name_of

__all__ = ["Column", "Printer", "default_printer"]


@functools.cache
def default_printer() -> Printer:
    """NAME and AGE: what kube-apiserver's default table convertor prints for a kind without a printer."""
    return Printer((name_column(), age_column()), lambda obj, now, wide: [name_of(obj), age_of(obj, now)])
