"""The clusterrole aggregation controller (pkg/controller/clusterroleaggregation): a ClusterRole with an
aggregationRule gets, as its rules, the rules of every other ClusterRole that one of its clusterRoleSelectors
selects, visited in name order, each rule once. That is how `admin`, `edit` and `view` get their rules from the
system:aggregate-to-* roles, and how a learner's role labelled `rbac.authorization.k8s.io/aggregate-to-view: "true"`
extends `view`."""
from __future__ import annotations

from sandbox.controllers.base import Controller, rt_of
from sandbox.machinery import labels
from sandbox.machinery.errors import StatusError

CLUSTER_ROLES = rt_of("rbac.authorization.k8s.io", "clusterroles")
MANAGER = "clusterrole-aggregation-controller"


def aggregated_rules(role: dict, roles: list[dict]) -> list[dict]:
    """The rules `role`'s aggregationRule selects, in the controller's order, without repeats."""
    selectors = [labels.from_label_selector(s) for s in
                 (role.get("aggregationRule") or {}).get("clusterRoleSelectors") or [] if isinstance(s, dict)]
    rules: list[dict] = []
    for other in sorted(roles, key=lambda r: r["metadata"]["name"]):
        if other["metadata"]["name"] == role["metadata"]["name"]:
            continue
        other_labels = other["metadata"].get("labels") or {}
        if not any(selector.matches(other_labels) for selector in selectors):
            continue
        for rule in other.get("rules") or []:
            if rule not in rules:
                rules.append(rule)
    return rules


class ClusterRoleAggregationController(Controller):
    name = "clusterrole-aggregation-controller"

    def setup(self) -> None:
        self.roles = self.informer("rbac.authorization.k8s.io", "clusterroles")
        self.roles.add_handler(self._on_role)

    def _on_role(self, kind: str, old: dict | None, new: dict | None) -> None:
        # Any role may be selected by any aggregating role: re-check every aggregating one.
        for role in self.roles.list():
            if role.get("aggregationRule"):
                self.queue.add(role["metadata"]["name"])

    async def reconcile(self, name: str) -> None:
        role = self.roles.get(None, name)
        if role is None or not role.get("aggregationRule"):
            return
        rules = aggregated_rules(role, self.roles.list())
        if (role.get("rules") or []) == rules:
            return
        body = dict(role, rules=rules)
        try:
            self.registry.update(CLUSTER_ROLES, None, name, body, field_manager=MANAGER)
        except StatusError as e:
            if e.code == 409:
                self.queue.add(name)
            elif e.code != 404:
                raise
