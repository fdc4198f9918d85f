"""The resource types the sandbox serves: their names (group, version, kind, plural, scope, short names, categories,
subresources, verbs), the one table every room looks a type up in. What the sandbox does with each kind is its
registration's (sandbox/registry/kinds/), keyed by the storage key these types give."""
from __future__ import annotations

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

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

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
    ResourceType("", "v1", "ServiceAccount", "serviceaccounts", True, ("sa",)),
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
    ResourceType("keda.sh", "v1alpha1", "ScaledObject", "scaledobjects", True, ("so",), ("status",)),
    ResourceType("authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", False,
                 verbs=CREATE_ONLY),
    ResourceType("authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", False,
                 verbs=CREATE_ONLY),
    ResourceType("authorization.k8s.io", "v1", "SelfSubjectRulesReview", "selfsubjectrulesreviews", False,
                 verbs=CREATE_ONLY),
)

# The version a group advertises first (discovery's preferredVersion).
PREFERRED_VERSIONS = {"": "v1", "apps": "v1", "autoscaling": "v2", "batch": "v1", "policy": "v1",
                      "discovery.k8s.io": "v1",
                      "metrics.k8s.io": "v1beta1", "keda.sh": "v1alpha1", "authentication.k8s.io": "v1",
                      "authorization.k8s.io": "v1",
                      "storage.k8s.io": "v1", "scheduling.k8s.io": "v1"}

# The body pods/eviction takes (decoded and checked as a resource of its own would be, but not served alone:
# policy/v1 serves poddisruptionbudgets only).
EVICTION = ResourceType("policy", "v1", "Eviction", "evictions", True, verbs=CREATE_ONLY)


def groups() -> list[str]:
    """API groups in discovery order (core group excluded)."""
    seen: list[str] = []
    for rt in RESOURCES:
        if rt.group and rt.group not in seen:
            seen.append(rt.group)
    return seen


def versions_of(group: str) -> list[str]:
    out: list[str] = []
    for rt in RESOURCES:
        if rt.group == group and rt.version not in out:
            out.append(rt.version)
    preferred = PREFERRED_VERSIONS[group]
    return [preferred] + [v for v in out if v != preferred]


def in_group_version(group: str, version: str) -> list[ResourceType]:
    return [rt for rt in RESOURCES if rt.group == group and rt.version == version]


def lookup(group: str, version: str, plural: str) -> ResourceType | None:
    for rt in RESOURCES:
        if (rt.group, rt.version, rt.plural) == (group, version, plural):
            return rt
    return None


def by_kind(api_version: str, kind: str) -> ResourceType | None:
    for rt in RESOURCES:
        if rt.api_version == api_version and rt.kind == kind:
            return rt
    return None


def storage_type(storage_key: str) -> ResourceType:
    """The version objects are stored in: the preferred version of their group."""
    group, _, plural = storage_key.rpartition("/")
    for rt in RESOURCES:
        if rt.group == group and rt.plural == plural and rt.version == PREFERRED_VERSIONS[group]:
            return rt
    raise KeyError(storage_key)
