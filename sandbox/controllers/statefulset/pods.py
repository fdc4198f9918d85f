"""A StatefulSet's pods and claims as pure functions (pkg/controller/statefulset/stateful_set_utils.go): names
`<set>-<ordinal>`, the identity the controller keeps on each pod (hostname, subdomain, the pod-name and pod-index
labels), its claims `<template>-<set>-<ordinal>` mounted in place of the template's volumes, which revision a new
pod gets under a partition, health, and the rolling update's choice of pods to delete."""
from __future__ import annotations

import json
import re

from sandbox.controllers import history
from sandbox.machinery import podutil

POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
_ORDINAL = re.compile(r"^(.*)-([0-9]+)$")


def _d(value) -> dict:
    return value if isinstance(value, dict) else {}


def start_ordinal(sts: dict) -> int:
    return int(_d(_d(sts.get("spec")).get("ordinals")).get("start") or 0)


def replicas(sts: dict) -> int:
    value = _d(sts.get("spec")).get("replicas")
    return 1 if value is None else int(value)


def ordinal_of(pod: dict, set_name: str) -> int | None:
    """getParentNameAndOrdinal: the ordinal when the pod's name is `<set>-<n>`, else None."""
    found = _ORDINAL.match(pod["metadata"]["name"])
    if not found or found.group(1) != set_name:
        return None
    return int(found.group(2))


def pod_name(set_name: str, ordinal: int) -> str:
    return f"{set_name}-{ordinal}"


def claim_name(template_name: str, set_name: str, ordinal: int) -> str:
    return f"{template_name}-{set_name}-{ordinal}"


def claims_for(sts: dict, ordinal: int) -> list[dict]:
    """getPersistentVolumeClaims: each template as a claim of this ordinal, labelled with the set's matchLabels."""
    meta, spec = sts["metadata"], _d(sts.get("spec"))
    out = []
    for template in spec.get("volumeClaimTemplates") or []:
        claim = json.loads(json.dumps(template))
        claim_meta = _d(claim.get("metadata"))
        name = claim_name(claim_meta.get("name", ""), meta["name"], ordinal)
        match = _d(_d(spec.get("selector")).get("matchLabels"))
        out.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                    "metadata": {**{k: v for k, v in claim_meta.items() if k in ("annotations",)}, "name": name,
                                 "namespace": meta["namespace"], "labels": {**(claim_meta.get("labels") or {}),
                                                                            **match}},
                    "spec": claim.get("spec") or {}})
    return out


def new_pod(sts: dict, ordinal: int, revision: str) -> dict:
    """newStatefulSetPod + setPodRevision: the template's pod with the set's identity, storage and revision."""
    meta, spec = sts["metadata"], _d(sts.get("spec"))
    template = json.loads(json.dumps(spec.get("template") or {}))
    tmeta = _d(template.get("metadata"))
    name = pod_name(meta["name"], ordinal)
    labels = {**(tmeta.get("labels") or {}), POD_NAME_LABEL: name, POD_INDEX_LABEL: str(ordinal),
              history.POD_REVISION_LABEL: revision}
    pod_meta = {"name": name, "namespace": meta["namespace"], "labels": labels,
                "ownerReferences": [{"apiVersion": sts["apiVersion"], "kind": sts["kind"], "name": meta["name"],
                                     "uid": meta["uid"], "controller": True, "blockOwnerDeletion": True}]}
    for key in ("annotations", "finalizers"):
        if tmeta.get(key):
            pod_meta[key] = tmeta[key]
    pod_spec = _d(template.get("spec"))
    pod_spec["hostname"] = name
    if spec.get("serviceName"):
        pod_spec["subdomain"] = spec["serviceName"]
    claims = {t["metadata"]["name"]: claim_name(t["metadata"]["name"], meta["name"], ordinal)
              for t in spec.get("volumeClaimTemplates") or [] if _d(t.get("metadata")).get("name")}
    volumes = [v for v in pod_spec.get("volumes") or [] if v.get("name") not in claims]
    volumes += [{"name": template_name, "persistentVolumeClaim": {"claimName": claim}}
                for template_name, claim in claims.items()]
    if volumes:
        pod_spec["volumes"] = volumes
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": pod_spec}


def identity_matches(pod: dict, sts: dict, ordinal: int) -> bool:
    """identityMatches: the name, hostname, subdomain and labels the set gives that ordinal."""
    spec, labels = _d(pod.get("spec")), pod["metadata"].get("labels") or {}
    name = pod_name(sts["metadata"]["name"], ordinal)
    return (pod["metadata"]["name"] == name and spec.get("hostname") == name
            and (spec.get("subdomain") or "") == (_d(sts.get("spec")).get("serviceName") or "")
            and labels.get(POD_NAME_LABEL) == name and labels.get(POD_INDEX_LABEL) == str(ordinal))


def revision_of(pod: dict) -> str:
    return (pod["metadata"].get("labels") or {}).get(history.POD_REVISION_LABEL, "")


def revision_for_new_pod(sts: dict, ordinal: int, current: str, update: str, current_replicas: int) -> str:
    """newVersionedStatefulSetPod: under RollingUpdate, ordinals below the partition (or, without rollingUpdate,
    below the current replicas) are made at the current revision, the others at the update revision."""
    strategy = _d(_d(sts.get("spec")).get("updateStrategy"))
    if strategy.get("type") == "RollingUpdate":
        rolling = strategy.get("rollingUpdate")
        bound = current_replicas if rolling is None else int(_d(rolling).get("partition") or 0)
        if ordinal < start_ordinal(sts) + bound:
            return current
    return update


def running_and_ready(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and podutil.is_ready(pod)


def available(pod: dict, min_ready: float, now: float, time_scale: float) -> bool:
    return running_and_ready(pod) and podutil.ready_for(podutil.ready_since(pod), min_ready, now, time_scale)


def healthy(pod: dict, min_ready: float, now: float, time_scale: float) -> bool:
    """isHealthy: running, ready (for minReadySeconds) and not terminating."""
    return available(pod, min_ready, now, time_scale) and not podutil.is_terminating(pod)


def max_unavailable(sts: dict) -> int:
    """getStatefulSetMaxUnavailable: a count, or a percentage of replicas rounded down, at least 1."""
    value = _d(_d(_d(sts.get("spec")).get("updateStrategy")).get("rollingUpdate")).get("maxUnavailable", 1)
    count = replicas(sts)
    if isinstance(value, str) and value.endswith("%"):
        number = count * int(value[:-1]) // 100
    else:
        number = int(value or 1)
    return max(number, 1)


def to_update(sts: dict, pods: list[dict | None], update: str, unhealthy: int) -> list[dict]:
    """The rolling update's next deletions (updateStatefulSetAfterInvariantEstablished): with fewer than
    maxUnavailable replicas unhealthy, the highest ordinals at or above the partition whose revision is not the
    update revision, as many as the room left. `pods` is indexed by ordinal - start."""
    strategy = _d(_d(sts.get("spec")).get("updateStrategy"))
    if strategy.get("type") != "RollingUpdate":
        return []
    partition = int(_d(strategy.get("rollingUpdate")).get("partition") or 0)
    room = max_unavailable(sts) - unhealthy
    out = []
    for index in range(len(pods) - 1, partition - 1, -1):
        if room <= 0:
            break
        pod = pods[index]
        if pod is not None and revision_of(pod) != update and not podutil.is_terminating(pod):
            out.append(pod)
            room -= 1
    return out
