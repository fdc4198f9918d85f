"""What kube-apiserver 1.37 defaults on StatefulSets, DaemonSets (pkg/apis/apps/v1/defaults.go) and
ReplicationControllers (pkg/apis/core/v1/defaults.go), with their pod templates' defaults and the defaults of a
StatefulSet's volumeClaimTemplates (each a PersistentVolumeClaim: status Pending, volumeMode Filesystem)."""
from __future__ import annotations

from . import volume_defaults
from .defaults import _template as template_defaults  # the pod template defaults every workload shares


def _d(value) -> dict:
    return value if isinstance(value, dict) else {}


def set_stateful_set_defaults(sts: dict) -> None:
    spec = sts.get("spec")
    if not isinstance(spec, dict):
        return
    if not spec.get("podManagementPolicy"):
        spec["podManagementPolicy"] = "OrderedReady"
    strategy = spec.get("updateStrategy")
    if not isinstance(strategy, dict):
        spec["updateStrategy"] = strategy = {}
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
        if not isinstance(strategy.get("rollingUpdate"), dict):
            strategy["rollingUpdate"] = {}
    rolling = strategy.get("rollingUpdate")
    if strategy["type"] == "RollingUpdate" and isinstance(rolling, dict):
        rolling.setdefault("partition", 0)
        rolling.setdefault("maxUnavailable", 1)  # MaxUnavailableStatefulSet (beta, on by default)
    policy = spec.get("persistentVolumeClaimRetentionPolicy")
    if not isinstance(policy, dict):
        spec["persistentVolumeClaimRetentionPolicy"] = policy = {}
    for key in ("whenDeleted", "whenScaled"):
        if not policy.get(key):
            policy[key] = "Retain"
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    template_defaults(spec)
    for claim in spec.get("volumeClaimTemplates") or []:
        if isinstance(claim, dict):
            claim.setdefault("apiVersion", "v1")
            claim.setdefault("kind", "PersistentVolumeClaim")
            volume_defaults.set_persistent_volume_claim_defaults(claim)


def set_daemon_set_defaults(ds: dict) -> None:
    spec = ds.get("spec")
    if not isinstance(spec, dict):
        return
    strategy = spec.get("updateStrategy")
    if not isinstance(strategy, dict):
        spec["updateStrategy"] = strategy = {}
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.get("rollingUpdate")
        if not isinstance(rolling, dict):
            strategy["rollingUpdate"] = rolling = {}
        rolling.setdefault("maxUnavailable", 1)
        rolling.setdefault("maxSurge", 0)
    spec.setdefault("revisionHistoryLimit", 10)
    template_defaults(spec)


def set_replication_controller_defaults(rc: dict) -> None:
    """SetDefaults_ReplicationController: an empty selector and empty labels take the template's labels."""
    spec = rc.get("spec")
    if not isinstance(spec, dict):
        return
    labels = _d(_d(spec.get("template")).get("metadata")).get("labels")
    if isinstance(labels, dict) and labels:
        if not spec.get("selector"):
            spec["selector"] = dict(labels)
        meta = rc.setdefault("metadata", {})
        if isinstance(meta, dict) and not meta.get("labels"):
            meta["labels"] = dict(labels)
    spec.setdefault("replicas", 1)
    template_defaults(spec)
