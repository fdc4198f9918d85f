"""PodDisruptionBudgets (pkg/registry/policy/poddisruptionbudget): created with an empty status whose counts Go
writes as zeros, their generation moving with the spec; their Validate leaves ObjectMeta to the store."""
from __future__ import annotations

from sandbox.machinery import fields, policy_validation, resources
from sandbox.printers import policy
from sandbox.registry.kind import Kind
from sandbox.registry.strategy import SPEC, Strategy

# A PodDisruptionBudgetStatus{} as Go encodes it: its four counts have no omitempty.
EMPTY_STATUS = {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0}


class PodDisruptionBudgetStrategy(Strategy):
    def prepare_for_create(self, obj: dict) -> None:
        super().prepare_for_create(obj)
        obj["status"] = dict(EMPTY_STATUS)


KIND = Kind(
    types=(resources.lookup("policy", "v1", "poddisruptionbudgets"),),
    strategy=PodDisruptionBudgetStrategy(generation=SPEC, reset_status_on_create=True, validates_object_meta=False),
    defaults=None,
    validate=policy_validation.validate_pdb,
    printer=policy.pod_disruption_budget_printer,
    field_labels=fields.labels(),
    scale=False,
    storage=None,
)
