"""Where a DaemonSet's pods go, and how its rolling update replaces them, as pure functions
(pkg/controller/daemon/util and daemon_controller.go's NodeShouldRunDaemonPod, update.go's rollingUpdate):

- a daemon pod is the template with the tolerations the controller adds (not-ready and unreachable NoExecute,
  disk-, memory-, pid-pressure and unschedulable NoSchedule; network-unavailable with hostNetwork), the labels
  pod-template-generation and controller-revision-hash, and a required node affinity that pins it to its node by
  metadata.name (the default scheduler then binds it there);
- a node should run one when the template's nodeName, nodeSelector and required node affinity accept it and it
  has no NoSchedule or NoExecute taint the pod does not tolerate; a pod already there may keep running while it
  tolerates the NoExecute taints;
- the rolling update without surge deletes old pods within maxUnavailable (unavailable old pods at once); with
  maxSurge it starts a new pod beside an old one within maxSurge (at once where the old one is unavailable) and
  deletes the old pod once the new one is available."""
from __future__ import annotations

import json
import math
import time

from sandbox.controllers import history
from sandbox.controllers.scheduling import matches_node_affinity, tolerates
from sandbox.machinery import podutil

TEMPLATE_GENERATION_LABEL = "pod-template-generation"
DAEMON_TOLERATIONS = (("node.kubernetes.io/not-ready", "NoExecute"), ("node.kubernetes.io/unreachable", "NoExecute"),
                      ("node.kubernetes.io/disk-pressure", "NoSchedule"),
                      ("node.kubernetes.io/memory-pressure", "NoSchedule"),
                      ("node.kubernetes.io/pid-pressure", "NoSchedule"),
                      ("node.kubernetes.io/unschedulable", "NoSchedule"))
NETWORK_UNAVAILABLE = ("node.kubernetes.io/network-unavailable", "NoSchedule")


def _d(value) -> dict:
    return value if isinstance(value, dict) else {}


def add_daemon_tolerations(spec: dict) -> None:
    """AddOrUpdateDaemonPodTolerations."""
    tolerations = list(spec.get("tolerations") or [])
    wanted = list(DAEMON_TOLERATIONS) + ([NETWORK_UNAVAILABLE] if spec.get("hostNetwork") else [])
    for key, effect in wanted:
        toleration = {"key": key, "operator": "Exists", "effect": effect}
        if not any(t.get("key") == key and t.get("effect") == effect and t.get("operator") == "Exists"
                   for t in tolerations):
            tolerations.append(toleration)
    spec["tolerations"] = tolerations


def pin_to_node(spec: dict, node: str) -> None:
    """ReplaceDaemonSetPodNodeNameNodeAffinity: the required terms become one term on metadata.name."""
    affinity = spec.setdefault("affinity", {})
    node_affinity = affinity.setdefault("nodeAffinity", {})
    required = node_affinity.setdefault("requiredDuringSchedulingIgnoredDuringExecution", {})
    required["nodeSelectorTerms"] = [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]


def template_generation(ds: dict) -> str:
    return (ds["metadata"].get("annotations") or {}).get("deprecated.daemonset.template.generation", "1")


def new_pod(ds: dict, node: str, hash_: str) -> dict:
    """CreatePodTemplate and the pod made from it for `node`."""
    meta = ds["metadata"]
    template = json.loads(json.dumps(_d(ds.get("spec")).get("template") or {}))
    tmeta, spec = _d(template.get("metadata")), _d(template.get("spec"))
    add_daemon_tolerations(spec)
    pin_to_node(spec, node)
    labels = {**(tmeta.get("labels") or {}), TEMPLATE_GENERATION_LABEL: template_generation(ds),
              history.POD_REVISION_LABEL: hash_}
    pod_meta = {"generateName": meta["name"] + "-", "namespace": meta["namespace"], "labels": labels,
                "ownerReferences": [{"apiVersion": ds["apiVersion"], "kind": ds["kind"], "name": meta["name"],
                                     "uid": meta["uid"], "controller": True, "blockOwnerDeletion": True}]}
    for key in ("annotations", "finalizers"):
        if tmeta.get(key):
            pod_meta[key] = tmeta[key]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": spec}


def target_node(pod: dict) -> str:
    """GetTargetNodeName: spec.nodeName, else the node its metadata.name affinity names."""
    spec = _d(pod.get("spec"))
    if spec.get("nodeName"):
        return spec["nodeName"]
    required = _d(_d(_d(spec.get("affinity")).get("nodeAffinity")).get("requiredDuringSchedulingIgnoredDuringExecution"))
    for term in required.get("nodeSelectorTerms") or []:
        for field in term.get("matchFields") or []:
            if field.get("key") == "metadata.name" and field.get("operator") == "In" and len(field.get("values") or []) == 1:
                return field["values"][0]
    return ""


def should_run(ds: dict, node: dict) -> tuple[bool, bool]:
    """NodeShouldRunDaemonPod: (should run a pod there, may keep one running there)."""
    template_spec = _d(_d(_d(ds.get("spec")).get("template")).get("spec"))
    name = node["metadata"]["name"]
    if template_spec.get("nodeName") not in (None, "", name):
        return False, False
    pod = new_pod({**ds, "metadata": {**ds["metadata"], "uid": ds["metadata"].get("uid", "")}}, name, "")
    if not matches_node_affinity(pod, node):
        return False, False
    taints = _d(node.get("spec")).get("taints") or []
    tolerations = pod["spec"].get("tolerations") or []
    untolerated = [t for t in taints if t.get("effect") in ("NoSchedule", "NoExecute")
                   and not any(tolerates(x, t) for x in tolerations)]
    if untolerated:
        return False, not any(t.get("effect") == "NoExecute" for t in untolerated)
    return True, True


def is_updated(pod: dict, hash_: str, generation: str) -> bool:
    """IsPodUpdated: the revision hash, or the template generation, is the current one."""
    labels = pod["metadata"].get("labels") or {}
    return (bool(hash_) and labels.get(history.POD_REVISION_LABEL) == hash_) or \
        labels.get(TEMPLATE_GENERATION_LABEL) == generation


def available(pod: dict, min_ready: float, time_scale: float, now: float | None = None) -> bool:
    return podutil.is_available(pod, min_ready, time.time() if now is None else now, time_scale)


def scaled(value, total: int) -> int:
    """GetScaledValueFromIntOrPercent with rounding up."""
    if isinstance(value, str) and value.endswith("%"):
        return math.ceil(total * int(value[:-1]) / 100)
    return int(value or 0)


def surge_and_unavailable(ds: dict, desired: int) -> tuple[int, int]:
    rolling = _d(_d(_d(ds.get("spec")).get("updateStrategy")).get("rollingUpdate"))
    surge = scaled(rolling.get("maxSurge", 0), desired)
    unavailable = scaled(rolling.get("maxUnavailable", 1), desired)
    if desired > 0 and surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def split_pods(pods: list[dict], hash_: str, generation: str) -> tuple[dict | None, dict | None, bool]:
    """findUpdatedPodsOnNode: (new pod, old pod, ok); not ok when there are two of either."""
    new = old = None
    for pod in pods:
        if podutil.is_terminating(pod):
            continue
        if is_updated(pod, hash_, generation):
            if new is not None:
                return None, None, False
            new = pod
        else:
            if old is not None:
                return None, None, False
            old = pod
    return new, old, True


def rolling_update(ds: dict, by_node: dict[str, list[dict]], should_run_on: dict[str, bool], desired: int,
                   hash_: str, time_scale: float) -> tuple[list[dict], list[str]]:
    """(old pods to delete, nodes to start a new pod on beside an old one) for this pass."""
    generation = template_generation(ds)
    min_ready = _d(ds.get("spec")).get("minReadySeconds") or 0
    surge, max_unavailable = surge_and_unavailable(ds, desired)
    now = time.time()
    ready = lambda pod: available(pod, min_ready, time_scale, now)
    if surge == 0:
        unavailable, replace, candidates = 0, [], []
        for node in sorted(by_node):
            new, old, ok = split_pods(by_node[node], hash_, generation)
            if not ok or (new is None) == (old is None):
                unavailable += 1
            elif new is not None:
                unavailable += not ready(new)
            elif not ready(old):
                replace.append(old)
            elif unavailable < max_unavailable:
                candidates.append(old)
        room = min(max(max_unavailable - unavailable, 0), len(candidates))
        return replace + candidates[:room], []
    delete, allowed, candidates, not_running = [], [], [], []
    surging = available_count = 0
    for node in sorted(by_node):
        new, old, ok = split_pods(by_node[node], hash_, generation)
        if not ok:
            surging += 1
            continue
        if old is not None:
            available_count += ready(old)
        elif new is not None:
            available_count += ready(new)
        if old is None:
            continue
        if new is None:
            if not ready(old):
                (allowed if should_run_on.get(node) else delete).append(node if should_run_on.get(node) else old)
            elif not should_run_on.get(node):
                not_running.append(old)
            elif surging < surge:
                candidates.append(node)
        elif not ready(new):
            surging += 1
        else:
            delete.append(old)
    deletable = min(max(available_count - desired, 0), len(not_running))
    delete += not_running[:deletable]
    room = min(max(surge - surging, 0), len(candidates))
    return delete, allowed + candidates[:room]
