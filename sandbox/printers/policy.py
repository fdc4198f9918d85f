"""PodDisruptionBudgets (printPodDisruptionBudget)."""
from __future__ import annotations

import functools

from .common import Column, Printer, age_column, age_of, as_dict, as_int, name_column, name_of


def _int_or_string(value) -> str:
    """IntOrString.String() of a set field, "N/A" for a nil one."""
    return "N/A" if value is None else str(value)


def _pdb_row(obj: dict, now: float, wide: bool) -> list:
    spec = as_dict(obj, "spec")
    return [name_of(obj), _int_or_string(spec.get("minAvailable")), _int_or_string(spec.get("maxUnavailable")),
            as_int(as_dict(obj, "status").get("disruptionsAllowed")), age_of(obj, now)]


@functools.cache
def pod_disruption_budget_printer() -> Printer:
    # these descriptions are the printer's own words, not the API's field docs
    return Printer((
        name_column(), Column("Min Available", description="The minimum number of pods that must be available."),
        Column("Max Unavailable", description="The maximum number of pods that may be unavailable."),
        Column("Allowed Disruptions", "integer", "Calculated number of pods that may be disrupted at this time."),
        age_column(),
    ), _pdb_row)

