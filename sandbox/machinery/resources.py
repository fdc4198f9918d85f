"""The resource types the sandbox serves: their names (group, version, kind, plural, scope, short names, categories,
subresources, verbs), the one table every room looks a type up in. What the sandbox does with each kind is its
registration's (sandbox/registry/kinds/), keyed by the storage key these types give."""
from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ResourceType:
    group: str  # "" for the core group
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()  # "status", "scale", "log", "eviction"
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
    storage_version: str = ""  # set where several versions share one storage (autoscaling v1/v2)
    list_kind: str = field(default="", compare=False)
    custom: bool = field(default=False, compare=False)  # served from a CustomResourceDefinition
    singular_name: str = field(default="", compare=False)  # a CRD's spec.names.singular

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.singular_name or self.kind.lower()

    @property
    def storage_key(self) -> str:
        """Where objects of this type live, shared by every version of the same group and plural."""
        return f"{self.group}/{self.plural}" if self.group else self.plural

    @property
    def list_kind_name(self) -> str:
        return self.list_kind or f"{self.kind}List"


READ_ONLY = ("get", "list")
CREATE_ONLY = ("create",)  # reviews: answered on create, never stored (sandbox/registry/kinds/reviews.py)
_ALL = ("all",)

RESOURCES: tuple[ResourceType, ...] = (
    ResourceType("", "v1", "Namespace", "namespaces", False, ("ns",), ("status",),
                 verbs=("create", "delete", "get", "list", "patch", "update", "watch")),
    ResourceType("", "v1", "Node", "nodes", False, ("no",), ("status",)),
    ResourceType("", "v1", "Pod", "pods", True, ("po",), ("status", "log", "eviction"), _ALL),
    ResourceType("", "v1", "ConfigMap", "configmaps", True, ("cm",)),
    ResourceType("", "v1", "Secret", "secrets", True),
    ResourceType("", "v1", "Service", "services", True, ("svc",), ("status",), _ALL,
                 verbs=("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")),
    ResourceType("", "v1", "Endpoints", "endpoints", True, ("ep",), list_kind="EndpointsList"),
    ResourceType("", "v1", "Event", "events", True, ("ev",)),
    ResourceType("", "v1", "ServiceAccount", "serviceaccounts", True, ("sa",), ("token",)),
    ResourceType("apps", "v1", "Deployment", "deployments", True, ("deploy",), ("status", "scale"), _ALL),
    ResourceType("apps", "v1", "ReplicaSet", "replicasets", True, ("rs",), ("status", "scale"), _ALL),
    ResourceType("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True, ("hpa",),
                 ("status",), _ALL, storage_version="v2"),
    ResourceType("autoscaling", "v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True, ("hpa",),
                 ("status",), _ALL, storage_version="v2"),
    ResourceType("batch", "v1", "Job", "jobs", True, (), ("status",), _ALL),
    ResourceType("batch", "v1", "CronJob", "cronjobs", True, ("cj",), ("status",), _ALL),
    ResourceType("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", True, ("pdb",), ("status",)),
    # issue 11, apps-kinds: StatefulSets, DaemonSets and their revisions, ReplicationControllers, volumes, priorities
    ResourceType("apps", "v1", "StatefulSet", "statefulsets", True, ("sts",), ("status", "scale"), _ALL),
    ResourceType("apps", "v1", "DaemonSet", "daemonsets", True, ("ds",), ("status",), _ALL),
    ResourceType("apps", "v1", "ControllerRevision", "controllerrevisions", True),
    ResourceType("", "v1", "ReplicationController", "replicationcontrollers", True, ("rc",), ("status", "scale"),
                 _ALL),
    ResourceType("", "v1", "PersistentVolume", "persistentvolumes", False, ("pv",), ("status",)),
    ResourceType("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", True, ("pvc",), ("status",)),
    ResourceType("storage.k8s.io", "v1", "StorageClass", "storageclasses", False, ("sc",)),
    ResourceType("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", False, ("pc",)),
    ResourceType("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", True),
    ResourceType("metrics.k8s.io", "v1beta1", "PodMetrics", "pods", True, verbs=READ_ONLY),
    ResourceType("metrics.k8s.io", "v1beta1", "NodeMetrics", "nodes", False, verbs=READ_ONLY),
    ResourceType("authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", False,
                 verbs=CREATE_ONLY),
    ResourceType("authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", False,
                 verbs=CREATE_ONLY),
    ResourceType("authorization.k8s.io", "v1", "SelfSubjectRulesReview", "selfsubjectrulesreviews", False,
                 verbs=CREATE_ONLY),
    # issue 11, api-kinds: RBAC objects, API registration, CustomResourceDefinitions
    ResourceType("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False),
    ResourceType("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False),
    ResourceType("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", True),
    ResourceType("rbac.authorization.k8s.io", "v1", "Role", "roles", True),
    ResourceType("apiregistration.k8s.io", "v1", "APIService", "apiservices", False, (), ("status",),
                 ("api-extensions",)),
    ResourceType("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", False,
                 ("crd", "crds"), ("status",), ("api-extensions",)),
)

# The version a group advertises first (discovery's preferredVersion).
PREFERRED_VERSIONS = {"": "v1", "apps": "v1", "autoscaling": "v2", "batch": "v1", "policy": "v1",
                      "discovery.k8s.io": "v1",
                      "metrics.k8s.io": "v1beta1", "authentication.k8s.io": "v1",
                      "authorization.k8s.io": "v1",
                      "storage.k8s.io": "v1", "scheduling.k8s.io": "v1",
                      "rbac.authorization.k8s.io": "v1", "apiregistration.k8s.io": "v1", "apiextensions.k8s.io": "v1"}

# The body pods/eviction takes (decoded and checked as a resource of its own would be, but not served alone:
# policy/v1 serves poddisruptionbudgets only).
EVICTION = ResourceType("policy", "v1", "Eviction", "evictions", True, verbs=CREATE_ONLY)


# Types served from CustomResourceDefinitions, added and removed while the server runs (sandbox/registry/
# custom_resources.py keeps them in step with the stored CRDs): CRD name -> (the CRD, its served types).
_CUSTOM: dict[str, tuple[dict, tuple[ResourceType, ...]]] = {}
_generation = [0]


def custom_types(crd: dict) -> tuple[ResourceType, ...]:
    """The types a CRD serves, one per served version (its names, scope and subresources)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    versions = [v for v in spec.get("versions") or [] if isinstance(v, dict)]
    storage = next((v.get("name", "") for v in versions if v.get("storage")), "")
    out = []
    for version in versions:
        if not version.get("served"):
            continue
        subresources = version.get("subresources") or {}
        out.append(ResourceType(
            spec.get("group", ""), version.get("name", ""), names.get("kind", ""), names.get("plural", ""),
            spec.get("scope") == "Namespaced", tuple(names.get("shortNames") or ()),
            tuple(s for s in ("scale", "status") if isinstance(subresources.get(s), dict)),
            tuple(names.get("categories") or ()), storage_version=storage,
            list_kind=names.get("listKind") or "", custom=True, singular_name=names.get("singular") or ""))
    return tuple(out)


def serve_custom(crd: dict) -> None:
    """Serve (or serve anew) the types of one CRD; discovery and the OpenAPI documents follow."""
    def full(served_types):
        return [(rt, rt.list_kind, rt.singular_name) for rt in served_types]
    name = crd["metadata"]["name"]
    types = custom_types(crd)
    before = _CUSTOM.get(name)
    _CUSTOM[name] = (crd, types)
    if before is None or full(before[1]) != full(types) or before[0].get("spec") != crd.get("spec"):
        _generation[0] += 1


def stop_serving_custom(crd_name: str) -> None:
    if _CUSTOM.pop(crd_name, None) is not None:
        _generation[0] += 1


def custom_definition(rt: ResourceType) -> dict | None:
    """The CRD that serves `rt` (None for a built-in type)."""
    for crd, types in _CUSTOM.values():
        if rt in types:
            return crd
    return None


def served_crds() -> list[dict]:
    return [crd for crd, _ in _CUSTOM.values()]


def generation() -> int:
    """Moves whenever the served types change: caches of discovery and OpenAPI are keyed by it."""
    return _generation[0]


_INDEX: dict = {"generation": -1}


def _index() -> dict:
    """served() and its lookups, rebuilt when the served types change (lookups run on every request)."""
    if _INDEX["generation"] != _generation[0]:
        everything = RESOURCES + tuple(rt for _, types in _CUSTOM.values() for rt in types)
        by_plural: dict = {}
        by_kind_: dict = {}
        for rt in everything:
            by_plural.setdefault((rt.group, rt.version, rt.plural), rt)
            by_kind_.setdefault((rt.api_version, rt.kind), rt)
        _INDEX.update(generation=_generation[0], served=everything, by_plural=by_plural, by_kind=by_kind_)
    return _INDEX


def served() -> tuple[ResourceType, ...]:
    """Every type served now: the built-in ones, then those of the CRDs."""
    return _index()["served"]


def crd_groups() -> set[str]:
    return {rt.group for _, types in _CUSTOM.values() for rt in types}


def version_priority(version: str) -> tuple:
    """Kube-aware version order (v2 > v1 > v1beta2 > v1beta1 > v1alpha1 > anything else, alphabetically)."""
    match = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not match:
        return (1, 0, 0, 0, version)
    major, stage, minor = int(match[1]), match[2], int(match[3] or 0)
    return (0, {None: 0, "beta": 1, "alpha": 2}[stage], -major, -minor, "")


def preferred_version(group: str) -> str:
    if group in PREFERRED_VERSIONS and not any(rt.group == group for rt in served() if rt.custom):
        return PREFERRED_VERSIONS[group]
    versions = {rt.version for rt in served() if rt.group == group}
    return min(versions, key=version_priority) if versions else PREFERRED_VERSIONS.get(group, "")


def groups() -> list[str]:
    """API groups in discovery order (core group excluded)."""
    seen: list[str] = []
    for rt in served():
        if rt.group and rt.group not in seen:
            seen.append(rt.group)
    return seen


def versions_of(group: str) -> list[str]:
    out: list[str] = []
    for rt in served():
        if rt.group == group and rt.version not in out:
            out.append(rt.version)
    preferred = preferred_version(group)
    return [preferred] + sorted((v for v in out if v != preferred), key=version_priority)


def in_group_version(group: str, version: str) -> list[ResourceType]:
    return [rt for rt in served() if rt.group == group and rt.version == version]


def lookup(group: str, version: str, plural: str) -> ResourceType | None:
    try:
        return _index()["by_plural"].get((group, version, plural))
    except TypeError:  # not a name (a list from a malformed body)
        return None


def by_kind(api_version: str, kind: str) -> ResourceType | None:
    try:
        return _index()["by_kind"].get((api_version, kind))
    except TypeError:
        return None


def storage_type(storage_key: str) -> ResourceType:
    """The version objects are stored in: the preferred version of their group (a CRD's storage version)."""
    group, _, plural = storage_key.rpartition("/")
    candidates = [rt for rt in served() if rt.group == group and rt.plural == plural]
    for rt in candidates:
        if rt.storage_version and rt.version == rt.storage_version:
            return rt
    for rt in candidates:
        if rt.version == preferred_version(group):
            return rt
    raise KeyError(storage_key)


def _install_keda() -> None:
    """KEDA is installed: its CRDs serve from the start (registry/bootstrap.py stores the CRD objects too)."""
    from . import keda_crds
    for crd in keda_crds.crds():
        serve_custom(crd)


_install_keda()
