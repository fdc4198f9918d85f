"""Revisions and hashing (pure): the pod-template-hash that names a Deployment's ReplicaSets, which ReplicaSet is
the new one, the revision annotations that make `kubectl rollout history` and `undo` work, and which old
ReplicaSets revisionHistoryLimit lets go.

Every ReplicaSet of a Deployment carries the annotation deployment.kubernetes.io/revision. The new ReplicaSet takes
the highest revision of the old ones plus one, so a rollback (`kubectl rollout undo`, which puts an old template
back) does not create a ReplicaSet: the old one whose template matches becomes new again and gets the next
revision, remembering the number it had in deployment.kubernetes.io/revision-history. For example, revisions 1 (web
v1) and 2 (web v2), then an undo: the v1 ReplicaSet becomes revision 3 with revision-history "1".
"""
from __future__ import annotations

import json

from sandbox.controllers.deployment.replica_sets import REVISION, ReplicaSetPlan, by_creation, replicas_of
from sandbox.controllers.deployment.rolling import max_surge

HASH_LABEL = "pod-template-hash"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
# The sizes a ReplicaSet was given for: they tell a scaling event (spec.replicas changed) from a rollout step, and
# hold the proportions proportional scaling keeps (see proportional.py).
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
ROLLBACK_TO = "deprecated.deployment.rollback.to"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# Deployment annotations never copied to its ReplicaSets (annotationsToSkip): the controller's own bookkeeping, and
# kubectl's last-applied configuration, which describes the Deployment, not the ReplicaSet.
SKIPPED_ANNOTATIONS = (LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, ROLLBACK_TO)
MAX_REV_HISTORY_CHARS = 2000
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


# pod-template-hash ------------------------------------------------------------------------------------------------
def fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for byte in data:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def safe_encode(text: str) -> str:
    """rand.SafeEncodeString: every character mapped into an alphabet without vowels (no accidental words)."""
    return "".join(SAFE_ALPHABET[ord(ch) % len(SAFE_ALPHABET)] for ch in text)


def without_hash(template: dict) -> dict:
    """The template minus its pod-template-hash label: what two templates are compared and hashed on."""
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
    safe-encoded: stable and up to 10 characters like Kubernetes' own, though not the same values. The collision
    count exists because a hash is not unique: when `<deployment>-<hash>` already names a ReplicaSet with another
    template, the controller bumps status.collisionCount and the next hash differs."""
    data = json.dumps(without_hash(template), sort_keys=True, separators=(",", ":")).encode()
    if collision_count is not None:
        data += int(collision_count).to_bytes(8, "little")
    return safe_encode(str(fnv32a(data)))


def equal_ignore_hash(a: dict, b: dict) -> bool:
    return without_hash(a) == without_hash(b)


def find_new(d: dict, plans: list[ReplicaSetPlan]) -> ReplicaSetPlan | None:
    """FindNewReplicaSet: the oldest ReplicaSet whose template equals the Deployment's (ignoring the hash label).
    The oldest, because two can match after a collision; the first one made is the one that has the pods."""
    template = (d.get("spec") or {}).get("template") or {}
    for rs in by_creation(plans):
        if equal_ignore_hash((rs.obj.get("spec") or {}).get("template") or {}, template):
            return rs
    return None


# revisions and annotations ---------------------------------------------------------------------------------------
def max_revision(plans: list[ReplicaSetPlan]) -> int:
    return max((rs.revision for rs in plans), default=0)


def replicas_annotations(d: dict) -> dict:
    """The sizes a ReplicaSet is written for: spec.replicas, and spec.replicas + maxSurge."""
    return {DESIRED_REPLICAS: str(replicas_of(d)), MAX_REPLICAS: str(replicas_of(d) + max_surge(d))}


def set_replicas_annotations(annotations: dict, d: dict) -> bool:
    """SetReplicasAnnotations into `annotations`; True when they changed."""
    wanted = replicas_annotations(d)
    changed = any(annotations.get(k) != v for k, v in wanted.items())
    annotations.update(wanted)
    return changed


def copy_deployment_annotations(d: dict, annotations: dict) -> bool:
    """copyDeploymentAnnotationsToReplicaSet into `annotations`, SKIPPED_ANNOTATIONS aside; True when they changed."""
    changed = False
    for key, value in ((d["metadata"].get("annotations")) or {}).items():
        if key in SKIPPED_ANNOTATIONS or annotations.get(key) == value:
            continue
        annotations[key] = value
        changed = True
    return changed


def set_new_rs_annotations(d: dict, annotations: dict, new_revision: int, exists: bool) -> bool:
    """SetNewReplicaSetAnnotations into the new ReplicaSet's `annotations`: the Deployment's copied, the revision
    raised to `new_revision` (never lowered: old ReplicaSets may have been deleted since it was given), the revision
    it had kept in revision-history when this raise is a rollback, and the size annotations on creation. True when
    the annotations changed."""
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


def cleanup_candidates(d: dict, old_plans: list[ReplicaSetPlan]) -> list[ReplicaSetPlan]:
    """cleanupDeployment's choice: the old ReplicaSets beyond revisionHistoryLimit, oldest revision first, that are
    scaled to zero, hold no pod and whose status is current (a ReplicaSet still settling is kept for now)."""
    limit = (d.get("spec") or {}).get("revisionHistoryLimit")
    if limit is None:
        return []
    alive = [rs for rs in old_plans if not rs.obj["metadata"].get("deletionTimestamp")]
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
