"""Every kind the sandbox serves, each registered once in its own module here (kube-apiserver's
pkg/registry/<group>/<kind>/): its ResourceTypes, strategy, defaults, validation, printer, field labels, scale
subresource and own storage (registry/kind.py says what each piece is). Everything that needs to know about a kind
asks `of(rt)`, keyed by the ResourceType's storage key ("apps/deployments"), the one key style of the sandbox.

Adding a kind: sandbox/ARCHITECTURE.md, "Adding a kind". tests/unit/registry/test_kinds.py fails, naming the piece,
when a served kind is not registered or leaves a piece out.
"""
from __future__ import annotations

from sandbox.machinery import fields, resources
from sandbox.machinery.resources import RESOURCES, ResourceType
from sandbox.registry import custom_resources
from sandbox.registry.kind import Kind
from sandbox.registry.kinds import (configmap, deployment, endpoints, endpointslice, event, horizontalpodautoscaler,
                                    metrics, namespace, node, pod, poddisruptionbudget, replicaset, reviews,
                                    secret, service, serviceaccount)
from sandbox.registry.kinds import cronjob, job  # batch/v1
from sandbox.registry.kinds import (controllerrevision, daemonset, persistentvolume, persistentvolumeclaim,
                                    priorityclass, replicationcontroller, statefulset, storageclass)  # apps-kinds
from sandbox.registry.kinds import (apiservice, clusterrole, clusterrolebinding,  # issue 11, api-kinds
                                    customresourcedefinition, role, rolebinding)

KINDS: tuple[Kind, ...] = (
    namespace.KIND, node.KIND, pod.KIND, configmap.KIND, secret.KIND, service.KIND, endpoints.KIND, event.KIND,
    serviceaccount.KIND, deployment.KIND, replicaset.KIND, horizontalpodautoscaler.KIND, poddisruptionbudget.KIND,
    endpointslice.KIND, *metrics.KINDS, *reviews.KINDS,
    job.KIND, cronjob.KIND,  # batch/v1
    # issue 11, apps-kinds
    statefulset.KIND, daemonset.KIND, controllerrevision.KIND, replicationcontroller.KIND, persistentvolume.KIND,
    persistentvolumeclaim.KIND, storageclass.KIND, priorityclass.KIND,
    # issue 11, api-kinds (KEDA's ScaledObject is a custom resource now: registry/custom_resources.py)
    clusterrolebinding.KIND, clusterrole.KIND, rolebinding.KIND, role.KIND, apiservice.KIND,
    customresourcedefinition.KIND,
)
_BY_STORAGE_KEY: dict[str, Kind] = {rt.storage_key: kind for kind in KINDS
                                    if isinstance(kind.types, tuple) for rt in kind.types}


def of(rt: ResourceType) -> Kind | None:
    """The registration of the kind `rt` is a version of; None for a type the sandbox does not serve. A type a
    CustomResourceDefinition serves is registered from it while it is served (registry/custom_resources.py)."""
    kind = _BY_STORAGE_KEY.get(rt.storage_key)
    if kind is not None:
        return kind
    served = next((t for t in resources.served() if t.custom and t.storage_key == rt.storage_key), None)
    return custom_resources.kind_for(served) if served is not None else None


def problems() -> list[str]:
    """What is missing: served types nobody registered, and the pieces each registration leaves out."""
    found = [f"{rt.api_version} {rt.kind} ({rt.storage_key}) is served but not registered in sandbox/registry/kinds/"
             for rt in RESOURCES if of(rt) is None]
    for kind in KINDS:
        found += [f"{kind.name}: no {piece} (sandbox/registry/kind.py says what it is; None says there is none)"
                  for piece in kind.missing()]
    return found


# the kind's rules by ResourceType: what the Registry runs, and what tests call --------------------------------------
def apply_defaults(rt: ResourceType, obj: dict) -> None:
    kind = of(rt)
    if kind is not None:
        kind.default(obj)


def validate(rt: ResourceType, obj: dict, old: dict | None = None) -> None:
    kind = of(rt)
    if kind is not None:
        kind.check(rt, obj, old)


def field_selector(text, rt: ResourceType) -> fields.FieldSelector:
    """The `fieldSelector` of a list or watch of `rt`, with the kind's field labels."""
    kind = of(rt)
    return fields.parse(text, kind.field_labels if kind is not None else fields.METADATA)
