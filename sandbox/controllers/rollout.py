"""The deployment controller's decisions as pure functions (pkg/controller/deployment and its util package):
the pod-template-hash, maxSurge/maxUnavailable fenceposts, which ReplicaSet is new, how far a rolling update
may scale the new one up and the old ones down, proportional scaling, revisions and the status and conditions.

ReplicaSets are wrapped in `RS`, whose `replicas` is the planned spec.replicas: a step changes it and the
controller writes every RS whose replicas moved."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass

from sandbox.machinery import conditions, timestamps

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
ROLLBACK_TO = "deprecated.deployment.rollback.to"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# Deployment annotations never copied to its ReplicaSets (annotationsToSkip).
SKIPPED_ANNOTATIONS = (LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, ROLLBACK_TO)
MAX_REV_HISTORY_CHARS = 2000
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

# condition reasons
NEW_RS_CREATED = "NewReplicaSetCreated"
FOUND_NEW_RS = "FoundNewReplicaSet"
RS_UPDATED = "ReplicaSetUpdated"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
PAUSED = "DeploymentPaused"
RESUMED = "DeploymentResumed"
MIN_AVAILABLE = "MinimumReplicasAvailable"
MIN_UNAVAILABLE = "MinimumReplicasUnavailable"


# pod-template-hash --------------------------------------------------------------------------------------------
def fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for byte in data:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def safe_encode(text: str) -> str:
    """rand.SafeEncodeString: every character mapped into an alphabet without vowels (no accidental words)."""
    return "".join(SAFE_ALPHABET[ord(ch) % len(SAFE_ALPHABET)] for ch in text)


def without_hash(template: dict) -> dict:
    labels = dict((template.get("metadata") or {}).get("labels") or {})
    labels.pop(HASH_LABEL, None)
    meta = dict(template.get("metadata") or {})
    if labels:
        meta["labels"] = labels
    else:
        meta.pop("labels", None)
    return {**template, "metadata": meta}


def pod_template_hash(template: dict, collision_count: int | None = None) -> str:
    """controller.ComputeHash: fnv32a over the template (here its canonical JSON, where Kubernetes hashes Go's
    printed struct) and, when set, the collision count as 8 little-endian bytes, written in decimal and
    safe-encoded: stable and up to 10 characters like Kubernetes' own, though not the same values."""
    data = json.dumps(without_hash(template), sort_keys=True, separators=(",", ":")).encode()
    if collision_count is not None:
        data += int(collision_count).to_bytes(8, "little")
    return safe_encode(str(fnv32a(data)))


def equal_ignore_hash(a: dict, b: dict) -> bool:
    return without_hash(a) == without_hash(b)


# intstr fenceposts ------------------------------------------------------------------------------------------
def scaled_value(value, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    text = str(value)
    if not text.endswith("%"):
        return int(text)
    percent = int(text[:-1])
    exact = percent * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)


def replicas_of(obj: dict) -> int:
    value = (obj.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


def is_rolling(d: dict) -> bool:
    return ((d.get("spec") or {}).get("strategy") or {}).get("type", "RollingUpdate") == "RollingUpdate"


def fenceposts(d: dict) -> tuple[int, int]:
    """ResolveFenceposts: (maxSurge rounded up, maxUnavailable rounded down); never both zero."""
    rolling = ((d.get("spec") or {}).get("strategy") or {}).get("rollingUpdate") or {}
    desired = replicas_of(d)
    surge = scaled_value(rolling.get("maxSurge", "25%"), desired, True)
    unavailable = scaled_value(rolling.get("maxUnavailable", "25%"), desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(d: dict) -> int:
    return fenceposts(d)[0] if is_rolling(d) else 0


def max_unavailable(d: dict) -> int:
    desired = replicas_of(d)
    if not is_rolling(d) or desired == 0:
        return 0
    return min(fenceposts(d)[1], desired)


# ReplicaSet views ---------------------------------------------------------------------------------------------
@dataclass
class RS:
    obj: dict
    replicas: int  # planned spec.replicas

    @classmethod
    def of(cls, obj: dict) -> "RS":
        return cls(obj, replicas_of(obj))

    @property
    def name(self) -> str:
        return self.obj["metadata"]["name"]

    @property
    def status(self) -> dict:
        return self.obj.get("status") or {}

    @property
    def spec_replicas(self) -> int:
        return replicas_of(self.obj)

    @property
    def scaled(self) -> bool:
        return self.replicas != self.spec_replicas

    @property
    def actual(self) -> int:
        return int(self.status.get("replicas") or 0)

    @property
    def available(self) -> int:
        # Pods beyond a lowered spec.replicas are on their way out: never count them as available.
        return min(int(self.status.get("availableReplicas") or 0), self.spec_replicas)

    @property
    def ready(self) -> int:
        return int(self.status.get("readyReplicas") or 0)

    @property
    def terminating(self) -> int:
        return int(self.status.get("terminatingReplicas") or 0)

    @property
    def annotations(self) -> dict:
        return self.obj["metadata"].get("annotations") or {}

    @property
    def revision(self) -> int:
        try:
            return int(self.annotations.get(REVISION, "0"))
        except ValueError:
            return 0

    @property
    def created(self) -> tuple:
        meta = self.obj["metadata"]
        return (timestamps.epoch(meta.get("creationTimestamp")) or 0.0, meta["name"])


def by_creation(rss: list[RS]) -> list[RS]:
    return sorted(rss, key=lambda rs: rs.created)


def active(rss: list[RS]) -> list[RS]:
    return [rs for rs in rss if rs is not None and rs.replicas > 0]


def replica_count(rss: list[RS]) -> int:
    """Pods the ReplicaSets want or still hold. Kubernetes sums spec.replicas; counting the pods a ReplicaSet
    still has after its spec went down keeps maxSurge honoured while those pods are being deleted."""
    return sum(max(rs.replicas, rs.actual) for rs in rss if rs is not None)


def spec_count(rss: list[RS]) -> int:
    return sum(rs.replicas for rs in rss if rs is not None)


def available_count(rss: list[RS]) -> int:
    return sum(rs.available for rs in rss if rs is not None)


def find_new(d: dict, rss: list[RS]) -> RS | None:
    """The oldest ReplicaSet whose template equals the deployment's (ignoring the hash label)."""
    template = (d.get("spec") or {}).get("template") or {}
    for rs in by_creation(rss):
        if equal_ignore_hash((rs.obj.get("spec") or {}).get("template") or {}, template):
            return rs
    return None


# rolling update -------------------------------------------------------------------------------------------------
def new_rs_replicas(d: dict, all_rss: list[RS], new: RS | None) -> int:
    """NewRSNewReplicas: how big the new ReplicaSet may be now."""
    desired = replicas_of(d)
    current = new.replicas if new else 0
    if not is_rolling(d):
        return desired
    max_total = desired + max_surge(d)
    pods = replica_count(all_rss)
    if pods >= max_total:
        return current
    scale_up = min(max_total - pods, desired - current)
    return current + max(scale_up, 0)


def reconcile_new(d: dict, all_rss: list[RS], new: RS) -> bool:
    """reconcileNewReplicaSet: scale the new ReplicaSet toward spec.replicas within maxSurge."""
    desired = replicas_of(d)
    if new.replicas == desired:
        return False
    if new.replicas > desired:
        new.replicas = desired
        return True
    target = new_rs_replicas(d, all_rss, new)
    changed = target != new.replicas
    new.replicas = target
    return changed


def reconcile_old(d: dict, all_rss: list[RS], old_rss: list[RS], new: RS | None) -> bool:
    """reconcileOldReplicaSets: scale old ReplicaSets down while availability stays above
    spec.replicas - maxUnavailable; unhealthy old pods go first."""
    if spec_count(old_rss) == 0:
        return False
    min_available = replicas_of(d) - max_unavailable(d)
    new_unavailable = (new.replicas - new.available) if new else 0
    max_scaled_down = spec_count(all_rss) - min_available - new_unavailable
    if max_scaled_down <= 0:
        return False
    cleaned = _cleanup_unhealthy(old_rss, max_scaled_down)
    scaled = _scale_down_old(d, all_rss, old_rss)
    return cleaned + scaled > 0


def _cleanup_unhealthy(old_rss: list[RS], max_cleanup: int) -> int:
    total = 0
    for rs in by_creation(old_rss):
        if total >= max_cleanup:
            break
        if rs.replicas == 0 or rs.replicas == rs.available:
            continue
        count = min(max_cleanup - total, rs.replicas - rs.available)
        rs.replicas -= count
        total += count
    return total


def _scale_down_old(d: dict, all_rss: list[RS], old_rss: list[RS]) -> int:
    min_available = replicas_of(d) - max_unavailable(d)
    available = available_count(all_rss)
    if available <= min_available:
        return 0
    budget = available - min_available
    total = 0
    for rs in by_creation(old_rss):
        if total >= budget:
            break
        if rs.replicas == 0:
            continue
        count = min(rs.replicas, budget - total)
        rs.replicas -= count
        total += count
    return total


def old_pods_running(old_rss: list[RS], old_pods: list[dict]) -> bool:
    """Recreate waits until no old pod is left that is not finished."""
    if any(rs.actual > 0 for rs in old_rss):
        return True
    return any((p.get("status") or {}).get("phase") not in ("Succeeded", "Failed") for p in old_pods)


# proportional scaling ---------------------------------------------------------------------------------------------
def _annotation_int(rs: RS, name: str) -> int | None:
    try:
        return int(rs.annotations[name])
    except (KeyError, ValueError):
        return None


def is_scaling_event(d: dict, rss: list[RS]) -> bool:
    """Some active ReplicaSet was sized for a different spec.replicas than the deployment has now."""
    desired = replicas_of(d)
    for rs in active(rss):
        wanted = _annotation_int(rs, DESIRED_REPLICAS)
        if wanted is not None and wanted != desired:
            return True
    return False


def find_active_or_latest(new: RS | None, old_rss: list[RS]) -> RS | None:
    if new is None and not old_rss:
        return None
    olds = sorted(old_rss, key=lambda rs: rs.created, reverse=True)
    live = active(([new] if new else []) + olds)
    if not live:
        return new if new else olds[0]
    return live[0] if len(live) == 1 else None


def is_saturated(d: dict, rs: RS | None) -> bool:
    if rs is None:
        return False
    desired = replicas_of(d)
    return (rs.replicas == desired and _annotation_int(rs, DESIRED_REPLICAS) == desired
            and int(rs.status.get("availableReplicas") or 0) == desired)


def scale(d: dict, new: RS | None, old_rss: list[RS]) -> None:
    """DeploymentController.scale: replicas changed mid-rollout, so spread the difference over the active
    ReplicaSets in proportion to their size (the largest takes the rounding leftovers)."""
    desired = replicas_of(d)
    target = find_active_or_latest(new, old_rss)
    if target is not None:
        target.replicas = desired
        return
    if is_saturated(d, new):
        for rs in active(old_rss):
            rs.replicas = 0
        return
    if not is_rolling(d):
        return
    live = active(([new] if new else []) + old_rss)
    allowed = desired + max_surge(d) if desired > 0 else 0
    to_add = allowed - spec_count(live)
    if to_add:  # bigger first; among equals newer first when adding (BySizeNewer), older first when removing
        live.sort(key=lambda rs: rs.created, reverse=to_add > 0)
        live.sort(key=lambda rs: -rs.replicas)
    added = 0
    sizes = {}
    for rs in live:
        proportion = _proportion(rs, d, to_add, added) if to_add else 0
        sizes[rs.name] = rs.replicas + proportion
        added += proportion
    for i, rs in enumerate(live):
        size = sizes[rs.name]
        if i == 0 and to_add:
            size = max(size + to_add - added, 0)
        rs.replicas = size


def _proportion(rs: RS, d: dict, to_add: int, added: int) -> int:
    if rs.replicas == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = _fraction(rs, d)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def _fraction(rs: RS, d: dict) -> int:
    desired = replicas_of(d)
    if desired == 0:
        return -rs.replicas
    max_now = desired + max_surge(d)
    before = _annotation_int(rs, MAX_REPLICAS)
    if not before:
        before = int((d.get("status") or {}).get("replicas") or 0)
        if before == 0:
            return 0
    size = rs.replicas * max_now / before
    return int(math.floor(size + 0.5)) - rs.replicas  # integer.RoundToInt32 rounds half up


# annotations and revisions ---------------------------------------------------------------------------------------
def max_revision(rss: list[RS]) -> int:
    return max((rs.revision for rs in rss), default=0)


def replicas_annotations(d: dict) -> dict:
    return {DESIRED_REPLICAS: str(replicas_of(d)), MAX_REPLICAS: str(replicas_of(d) + max_surge(d))}


def set_replicas_annotations(annotations: dict, d: dict) -> bool:
    wanted = replicas_annotations(d)
    changed = any(annotations.get(k) != v for k, v in wanted.items())
    annotations.update(wanted)
    return changed


def copy_deployment_annotations(d: dict, annotations: dict) -> bool:
    changed = False
    for key, value in ((d["metadata"].get("annotations")) or {}).items():
        if key in SKIPPED_ANNOTATIONS or annotations.get(key) == value:
            continue
        annotations[key] = value
        changed = True
    return changed


def set_new_rs_annotations(d: dict, annotations: dict, new_revision: int, exists: bool) -> bool:
    """SetNewReplicaSetAnnotations: copy the deployment's annotations, raise the revision (remembering the old
    one in revision-history when this is a rollback to an older template), size annotations on creation."""
    changed = copy_deployment_annotations(d, annotations)
    old_text = annotations.get(REVISION)
    try:
        old = int(old_text) if old_text else 0
    except ValueError:
        return changed
    if old < new_revision:
        annotations[REVISION] = str(new_revision)
        changed = True
        if old_text:
            history = annotations.get(REVISION_HISTORY, "")
            entries = [e for e in history.split(",") if e] if history else []
            entries.append(old_text)
            while entries and len(",".join(entries)) > MAX_REV_HISTORY_CHARS:
                entries.pop(0)
            annotations[REVISION_HISTORY] = ",".join(entries)
    if not exists and set_replicas_annotations(annotations, d):
        changed = True
    return changed


def cleanup_candidates(d: dict, old_rss: list[RS]) -> list[RS]:
    """Old ReplicaSets beyond revisionHistoryLimit that are scaled down and settled, oldest revision first."""
    limit = (d.get("spec") or {}).get("revisionHistoryLimit")
    if limit is None:
        return []
    alive = [rs for rs in old_rss if not rs.obj["metadata"].get("deletionTimestamp")]
    excess = len(alive) - int(limit)
    if excess <= 0:
        return []
    alive.sort(key=lambda rs: (rs.revision, rs.created))
    out = []
    for rs in alive[:excess]:
        status = rs.status
        if (status.get("replicas") or 0) != 0 or rs.spec_replicas != 0:
            continue
        if (rs.obj["metadata"].get("generation") or 0) > (status.get("observedGeneration") or 0):
            continue
        out.append(rs)
    return out


# status and conditions -----------------------------------------------------------------------------------------
def calculate_status(d: dict, all_rss: list[RS], new: RS | None, now: str) -> dict:
    rss = [rs for rs in all_rss if rs is not None]
    available = sum(int(rs.status.get("availableReplicas") or 0) for rs in rss)
    unavailable = max(spec_count(rss) - available, 0)
    old = d.get("status") or {}
    status: dict = {"observedGeneration": d["metadata"].get("generation", 1),
                    "replicas": sum(rs.actual for rs in rss),
                    "updatedReplicas": new.actual if new else 0,
                    "readyReplicas": sum(rs.ready for rs in rss),
                    "availableReplicas": available,
                    "unavailableReplicas": unavailable,
                    "terminatingReplicas": sum(rs.terminating for rs in rss)}
    status = {k: v for k, v in status.items() if v or k in ("observedGeneration", "terminatingReplicas")}
    if old.get("collisionCount") is not None:
        status["collisionCount"] = old["collisionCount"]
    if old.get("conditions"):
        status["conditions"] = [dict(c) for c in old["conditions"]]
    if available >= replicas_of(d) - max_unavailable(d):
        conditions.set_deployment_condition(status, conditions.new_deployment_condition("Available", "True", MIN_AVAILABLE,
                                            "Deployment has minimum availability.", now))
    else:
        conditions.set_deployment_condition(status, conditions.new_deployment_condition("Available", "False", MIN_UNAVAILABLE,
                                            "Deployment does not have minimum availability.", now))
    return status


def complete(d: dict, status: dict) -> bool:
    desired = replicas_of(d)
    return (status.get("updatedReplicas", 0) == desired and status.get("replicas", 0) == desired
            and status.get("availableReplicas", 0) == desired
            and status.get("observedGeneration", 0) >= d["metadata"].get("generation", 1))


def progressing(d: dict, status: dict) -> bool:
    old = d.get("status") or {}
    old_old = old.get("replicas", 0) - old.get("updatedReplicas", 0)
    new_old = status.get("replicas", 0) - status.get("updatedReplicas", 0)
    return (status.get("updatedReplicas", 0) > old.get("updatedReplicas", 0) or new_old < old_old
            or status.get("readyReplicas", 0) > old.get("readyReplicas", 0)
            or status.get("availableReplicas", 0) > old.get("availableReplicas", 0))


def timed_out(d: dict, status: dict, now_wall: float, time_scale: float) -> bool:
    """DeploymentTimedOut: no progress for progressDeadlineSeconds (simulated) since the Progressing
    condition's lastUpdateTime."""
    deadline = (d.get("spec") or {}).get("progressDeadlineSeconds")
    cond = conditions.find(status.get("conditions"), "Progressing")
    if deadline is None or cond is None:
        return False
    if cond.get("reason") == NEW_RS_AVAILABLE:
        return False
    if cond.get("reason") == TIMED_OUT:
        return True
    since = timestamps.epoch(cond.get("lastUpdateTime"))
    return since is not None and (now_wall - since) * time_scale > deadline


def rollout_status(d: dict, all_rss: list[RS], new: RS | None, now: str, now_wall: float,
                   time_scale: float) -> dict:
    """syncRolloutStatus: the status plus the Progressing condition (and ReplicaFailure copied from the RSs)."""
    status = calculate_status(d, all_rss, new, now)
    if (d.get("spec") or {}).get("progressDeadlineSeconds") is None:
        conditions.remove_deployment_condition(status, "Progressing")
    else:
        current = conditions.find(status.get("conditions"), "Progressing")
        done = (status.get("replicas", 0) == status.get("updatedReplicas", 0) and current is not None
                and current.get("reason") == NEW_RS_AVAILABLE)
        if not done:
            name = new.name if new else None
            if complete(d, status):
                message = f'ReplicaSet "{name}" has successfully progressed.' if name else \
                    f'Deployment "{d["metadata"]["name"]}" has successfully progressed.'
                conditions.set_deployment_condition(status, conditions.new_deployment_condition("Progressing", "True", NEW_RS_AVAILABLE, message, now))
            elif progressing(d, status):
                message = f'ReplicaSet "{name}" is progressing.' if name else \
                    f'Deployment "{d["metadata"]["name"]}" is progressing.'
                cond = conditions.new_deployment_condition("Progressing", "True", RS_UPDATED, message, now)
                if current is not None:
                    if current["status"] == "True":
                        cond["lastTransitionTime"] = current["lastTransitionTime"]
                    conditions.remove_deployment_condition(status, "Progressing")
                conditions.set_deployment_condition(status, cond)
            elif timed_out(d, status, now_wall, time_scale):
                message = f'ReplicaSet "{name}" has timed out progressing.' if name else \
                    f'Deployment "{d["metadata"]["name"]}" has timed out progressing.'
                conditions.set_deployment_condition(status, conditions.new_deployment_condition("Progressing", "False", TIMED_OUT, message, now))
    failure = next((conditions.find(rs.status.get("conditions"), "ReplicaFailure") for rs in all_rss
                    if rs is not None and conditions.find(rs.status.get("conditions"), "ReplicaFailure")), None)
    if failure:
        conditions.set_deployment_condition(status, {**failure, "lastUpdateTime": failure.get("lastTransitionTime", now)})
    else:
        conditions.remove_deployment_condition(status, "ReplicaFailure")
    return status


def seconds_until_deadline(d: dict, status: dict, now_wall: float, time_scale: float) -> float | None:
    """requeueStuckDeployment: simulated seconds until the progress deadline would pass (None: no need)."""
    deadline = (d.get("spec") or {}).get("progressDeadlineSeconds")
    cond = conditions.find(status.get("conditions"), "Progressing")
    if deadline is None or cond is None or complete(d, status) or cond.get("reason") in (NEW_RS_AVAILABLE,
                                                                                        TIMED_OUT):
        return None
    since = timestamps.epoch(cond.get("lastUpdateTime"))
    if since is None:
        return None
    return max(deadline - (now_wall - since) * time_scale, 0.0) + 1.0
