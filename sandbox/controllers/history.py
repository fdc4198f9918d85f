"""ControllerRevisions as kube-controller-manager's pkg/controller/history makes them for StatefulSets and
DaemonSets (pure): a revision's data is the owner's pod template as a strategic merge patch that replaces it
(`{"spec": {"template": {..., "$patch": "replace"}}}`, what `kubectl rollout undo` applies), its name the owner's
name and a hash of that data (with the collision count), its number one more than the highest; revisions equal in
data are one revision; history beyond revisionHistoryLimit is dropped oldest first, never a live one."""
from __future__ import annotations

import json
import zlib

_SAFE = "bcdfghjklmnpqrstvwxz2456789"  # rand.SafeEncodeString's alphabet
HASH_LABEL = "controller.kubernetes.io/hash"
POD_REVISION_LABEL = "controller-revision-hash"


def patch_data(owner: dict) -> dict:
    """getPatch: the template, marked to replace the one it is applied to."""
    template = json.loads(json.dumps((owner.get("spec") or {}).get("template") or {}))
    template["$patch"] = "replace"
    return {"spec": {"template": template}}


def hash_of(data: dict, collision_count: int | None = None) -> str:
    """HashControllerRevision: a 32-bit hash of the data (and the collision count), safe-encoded."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    if collision_count:
        text += str(collision_count)
    number = str(zlib.crc32(text.encode()) & 0xFFFFFFFF)
    return "".join(_SAFE[ord(c) % len(_SAFE)] for c in number)


def revision_name(owner_name: str, hash_: str) -> str:
    return f"{owner_name[:223]}-{hash_}"


def new_revision(owner: dict, data: dict, number: int, collision_count: int | None, labels: dict,
                 annotations: dict | None = None) -> dict:
    """NewControllerRevision: owned by `owner` (its controller reference), labelled with `labels` and the hash."""
    meta = owner["metadata"]
    hash_ = hash_of(data, collision_count)
    return {"apiVersion": "apps/v1", "kind": "ControllerRevision",
            "metadata": {"name": revision_name(meta["name"], hash_), "namespace": meta["namespace"],
                         "labels": {**labels, HASH_LABEL: hash_}, **({"annotations": dict(annotations)}
                                                                       if annotations else {}),
                         "ownerReferences": [{"apiVersion": owner["apiVersion"], "kind": owner["kind"],
                                              "name": meta["name"], "uid": meta["uid"], "controller": True,
                                              "blockOwnerDeletion": True}]},
            "data": data, "revision": number}


def sort_revisions(revisions: list[dict]) -> list[dict]:
    return sorted(revisions, key=lambda r: (r.get("revision") or 0, r["metadata"].get("creationTimestamp") or "",
                                            r["metadata"]["name"]))


def next_number(revisions: list[dict]) -> int:
    return max((r.get("revision") or 0 for r in revisions), default=0) + 1


def equal(revision: dict, data: dict) -> bool:
    return revision.get("data") == data


def to_truncate(revisions: list[dict], live: set[str], limit: int) -> list[dict]:
    """truncateHistory: the oldest revisions that are not live, beyond `limit` of them."""
    old = [r for r in sort_revisions(revisions) if r["metadata"]["name"] not in live]
    return old[:max(len(old) - max(limit, 0), 0)]
