"""apiextensions-apiserver's naming and establishing controllers in one loop: a CRD's names are accepted unless
another CRD of the same group already uses its plural or kind (NamesAccepted: NoConflicts / NotAccepted), and a CRD
whose names are accepted is Established (InitialNamesAccepted), whereupon its custom resources are served
(registry/kinds/customresourcedefinition.py follows the stored CRDs)."""
from __future__ import annotations

from sandbox.controllers.base import Controller, rt_of
from sandbox.machinery import conditions
from sandbox.machinery.errors import StatusError

CRDS = rt_of("apiextensions.k8s.io", "customresourcedefinitions")
MANAGER = "kube-apiserver"


def conflict(crd: dict, others: list[dict]) -> str:
    """The message of the first name `crd` would take from another CRD of its group ("" when none)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    for other in others:
        if other["metadata"]["name"] == crd["metadata"]["name"]:
            continue
        other_spec = other.get("spec") or {}
        if other_spec.get("group") != spec.get("group"):
            continue
        accepted = (other.get("status") or {}).get("acceptedNames") or {}
        if names.get("plural") and names.get("plural") == accepted.get("plural"):
            return f'"{names["plural"]}" is already in use'
        if names.get("kind") and names.get("kind") == accepted.get("kind"):
            return f'"{names["kind"]}" is already in use'
    return ""


class CRDNamingController(Controller):
    name = "crd-naming-controller"

    def setup(self) -> None:
        self.crds = self.informer("apiextensions.k8s.io", "customresourcedefinitions")
        self.crds.add_handler(lambda kind, old, new: new and self.queue.add(new["metadata"]["name"]))

    async def reconcile(self, name: str) -> None:
        crd = self.crds.get(None, name)
        if crd is None:
            return
        now = self.ctx.clock.timestamp()
        status = dict(crd.get("status") or {})
        found = conflict(crd, self.crds.list())
        names = dict((crd.get("spec") or {}).get("names") or {})
        listed = conditions.set_condition_in_list(status.get("conditions"), "NamesAccepted",
                                                  "False" if found else "True", "NotAccepted" if found else
                                                  "NoConflicts", found or "no conflicts found", now)
        if not found:
            status["acceptedNames"] = names
            listed = conditions.set_condition_in_list(listed, "Established", "True", "InitialNamesAccepted",
                                                      "the initial names have been accepted", now)
        elif not conditions.find(listed, "Established"):
            listed = conditions.set_condition_in_list(listed, "Established", "False", "NotAccepted",
                                                      "not all names are accepted", now)
        status["conditions"] = listed
        if status == (crd.get("status") or {}):
            return
        try:
            self.registry.update(CRDS, None, name, dict(crd, status=status), subresource="status",
                                 field_manager=MANAGER)
        except StatusError as e:
            if e.code == 409:
                self.queue.add(name)
            elif e.code != 404:
                raise
