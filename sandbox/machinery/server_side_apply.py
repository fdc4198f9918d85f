"""Field ownership (metadata.managedFields, FieldsV1) and server-side apply, as kube-apiserver's fieldmanager and
structured-merge-diff do them:

- record_update(): after any non-apply write, the writer owns what it added or changed (and takes it from
  everyone else); fields that disappeared leave every manager's set.
- apply(): the applied configuration is merged into the live object (lists of type map by their keys, sets by
  value, atomic fields replaced); fields the manager applied last time and no longer applies are removed unless
  someone else owns them; changing a field another manager owns is a 409 Conflict unless forced. Like the real
  server, the manager "kubectl" may take over fields recorded in kubectl's last-applied-configuration annotation,
  and keeps that annotation in step."""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass

from . import errors, fieldpath as fp, resources, schemas
from .decoding import ref_name

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_STRIPPED = {(("f", k),) for k in ("apiVersion", "kind", "metadata")} | {
    (("f", "metadata"), ("f", k)) for k in ("name", "namespace", "creationTimestamp", "selfLink", "uid",
                                            "clusterName", "generation", "managedFields", "resourceVersion",
                                            "deletionTimestamp", "deletionGracePeriodSeconds")}
# Non-pointer Go structs: present (empty) even in a zero-value object, so creating them is not "adding" them.
_ALWAYS_PRESENT = {
    "io.k8s.api.apps.v1.DeploymentSpec": ("template", "strategy"),
    "io.k8s.api.apps.v1.ReplicaSetSpec": ("template",),
    "io.k8s.api.core.v1.PodTemplateSpec": ("metadata", "spec"),
    "io.k8s.api.core.v1.ServiceStatus": ("loadBalancer",),
    "io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec": ("scaleTargetRef",),
}


@dataclass
class Entry:
    manager: str
    operation: str
    api_version: str
    subresource: str = ""
    time: str | None = None
    raw: dict | None = None  # the stored FieldsV1, decoded only when this entry has to change

    def __post_init__(self):
        self._fields = None

    @property
    def fields(self) -> set:
        if self._fields is None:
            self._fields = fp.decode(self.raw)
        return self._fields

    @fields.setter
    def fields(self, value: set) -> None:
        self._fields, self.raw = value, None

    def drop(self, paths: set) -> None:
        """Remove paths from this manager's set (decoding the stored set only if it holds any of them)."""
        if self._fields is None and not any(fp.encoded_contains(self.raw, p) for p in paths):
            return
        self.fields = self.fields - paths

    def holds_all(self, paths: set) -> bool:
        if self._fields is not None:
            return paths <= self._fields
        return all(fp.encoded_contains(self.raw, p) for p in paths)

    def holds_none(self, paths: set) -> bool:
        if self._fields is not None:
            return self._fields.isdisjoint(paths)
        return not any(fp.encoded_contains(self.raw, p) for p in paths)

    def empty(self) -> bool:
        return not self.raw if self._fields is None else not self._fields

    @property
    def identity(self) -> tuple:
        # Appliers are one manager whatever version they applied with.
        return (self.manager, self.operation, self.api_version if self.operation == "Update" else "",
                self.subresource)

    def encode(self) -> dict:
        out = {"manager": self.manager, "operation": self.operation, "apiVersion": self.api_version}
        if self.time:
            out["time"] = self.time
        out["fieldsType"] = "FieldsV1"
        out["fieldsV1"] = self.raw if self._fields is None else fp.encode(self._fields)
        if self.subresource:
            out["subresource"] = self.subresource
        return out

    def describe(self) -> str:
        """printManager: how a conflict names this manager."""
        name = json.dumps(self.manager)
        if self.operation == "Update":
            return f"{name} using {self.api_version}"
        if self.subresource:
            return f"{name} with subresource {json.dumps(self.subresource)}"
        return name


def _decode_entries(entries) -> dict[tuple, Entry]:
    out: dict[tuple, Entry] = {}
    for raw in entries if isinstance(entries, list) else []:
        if not isinstance(raw, dict) or not isinstance(raw.get("manager"), str):
            continue
        fields = raw.get("fieldsV1") if isinstance(raw.get("fieldsV1"), dict) else {}
        entry = Entry(raw["manager"], str(raw.get("operation") or "Update"), str(raw.get("apiVersion") or ""),
                      str(raw.get("subresource") or ""), raw.get("time"), fields)
        if entry.identity in out:
            out[entry.identity].fields = out[entry.identity].fields | entry.fields
        else:
            out[entry.identity] = entry
    return out


def _encode_entries(managers: dict[tuple, Entry]) -> list[dict]:
    live = [e for e in managers.values() if not e.empty()]
    live.sort(key=lambda e: (e.operation, e.time or "", e.manager, e.api_version, e.subresource))
    return [e.encode() for e in live]


def _without_managed_fields(obj) -> dict:
    out = copy.copy(obj) if isinstance(obj, dict) else {}
    meta = out.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        out["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
    return out


def _status_subresource(api_version: str, kind) -> bool:
    rt = resources.by_kind(api_version, kind) if isinstance(kind, str) else None
    return rt is not None and "status" in rt.subresources


def _tracked(paths: set, status_mode: str) -> set:
    """Drop what the field manager never tracks: identity metadata, and status on the main resource (or
    everything but status on /status)."""
    out = set()
    for path in paths:
        if path in _STRIPPED or path[:2] == (("f", "metadata"), ("f", "managedFields")):
            continue
        in_status = path[:1] == (("f", "status"),)
        if (status_mode == "main" and in_status) or (status_mode == "status" and not in_status):
            continue
        out.add(path)
    return out


def _status_mode(api_version: str, kind, subresource: str) -> str:
    if subresource == "status":
        return "status"
    return "main" if _status_subresource(api_version, kind) else "all"


def _with_zero_structs(old: dict, new: dict, schema: dict) -> dict:
    """`old` as the typed object would show it: a zero-value Go object always holds metadata/spec/status and
    the non-pointer structs (and null slices) below them, so filling those in is not "adding" them."""
    out = dict(old)
    for key in ("metadata", "spec", "status"):
        if isinstance(new.get(key), dict):
            out[key] = _zero_struct(out.get(key), new[key], schemas.property_schema(schema, key))
    return out


_ALWAYS_NULL = {"io.k8s.api.core.v1.PodSpec": ("containers",)}  # slices without omitempty


def _zero_struct(old, new: dict, schema: dict):
    if old is not None and not isinstance(old, dict):
        return old
    out = dict(old) if isinstance(old, dict) else {}
    name = ref_name(schema)
    for key in _ALWAYS_NULL.get(name, ()):
        if key in new and key not in out:
            out[key] = None
    for key in _ALWAYS_PRESENT.get(name, ()):
        if isinstance(new.get(key), dict):
            out[key] = _zero_struct(out.get(key), new[key], schemas.property_schema(schema, key))
    return out


def _incoming_entries(new: dict, old: dict | None):
    """Clients may rewrite managedFields: unset or [] keeps the stored ones, [{}] clears them."""
    meta = new.get("metadata") if isinstance(new.get("metadata"), dict) else {}
    incoming = meta.get("managedFields")
    stored = (old.get("metadata") or {}).get("managedFields") if isinstance(old, dict) else None
    if incoming in (None, []) or incoming is stored or incoming == stored:
        return stored
    if incoming == [{}]:
        return []
    return incoming if _decode_entries(incoming) or not stored else stored


def _check_object(obj, what: str) -> dict:
    if not isinstance(obj, dict):
        raise errors.bad_request(f"{what} must be a JSON object")
    if not isinstance(obj.get("metadata", {}), dict):
        raise errors.bad_request(f"the metadata of {what} must be a JSON object")
    return obj


# --- update ------------------------------------------------------------------------------------------------------
def record_update(old: dict | None, new: dict, manager: str, api_version: str, timestamp: str,
                  subresource: str = "") -> dict:
    """`new` with managedFields updated for a create (old None) or an update by `manager`."""
    new = _check_object(new, "the object")
    if isinstance(old, dict) and not isinstance(old.get("metadata", {}), dict):
        old = None
    try:
        return _record_update(old if isinstance(old, dict) else None, new, manager or "unknown", api_version,
                              timestamp, subresource)
    except RecursionError:
        raise errors.bad_request("the object is nested too deeply") from None


def _record_update(old, new, manager, api_version, timestamp, subresource) -> dict:
    kind = new.get("kind")
    schema = schemas.for_kind(api_version, kind)
    managers = _decode_entries(_incoming_entries(new, old))
    mode = _status_mode(api_version, kind, subresource)
    before = _with_zero_structs(_without_managed_fields(old), new, schema)
    after = _without_managed_fields(new)
    if mode == "status":  # nothing outside status is tracked: compare only that
        before, after = _only(before, "status"), _only(after, "status")
    elif mode == "main":
        before, after = _without(before, "status"), _without(after, "status")
    added, modified, removed = fp.compare(before, after, schema)
    current = _tracked(added | modified, mode)
    me = Entry(manager, "Update", api_version, subresource)
    previous = managers.get(me.identity)
    for entry in managers.values():
        if entry is not previous or not current:
            entry.drop(current | removed)
    if current:
        if previous is not None and previous.holds_all(current) and previous.holds_none(removed):
            previous.time = timestamp  # the writer's set is unchanged (a status or count bump): no re-encoding
        else:
            if previous is not None:
                previous.drop(current | removed)
            me.fields = current | (previous.fields if previous else set())
            me.time = timestamp
            managers[me.identity] = me
    out = dict(new)  # only metadata.managedFields changes: share the rest
    out["metadata"] = dict(new.get("metadata") or {})
    _write_entries(out, managers)
    return out


def _only(obj: dict, key: str) -> dict:
    return {key: obj[key]} if key in obj else {}


def _without(obj: dict, key: str) -> dict:
    return {k: v for k, v in obj.items() if k != key}


def _write_entries(obj: dict, managers: dict) -> None:
    meta = obj.setdefault("metadata", {})
    encoded = _encode_entries(managers)
    if encoded:
        meta["managedFields"] = encoded
    else:
        meta.pop("managedFields", None)


# --- apply -------------------------------------------------------------------------------------------------------
def apply(live: dict | None, applied: dict, manager: str, force: bool, api_version: str, kind: str,
          timestamp: str) -> dict:
    """The object after `manager` applies `applied` to `live` (None: create). 409 Conflict unless `force`."""
    applied = _check_object(applied, "the applied configuration")
    if not manager:
        raise errors.bad_request("PATCH, application/apply-patch+yaml requests must have a fieldManager")
    meta = applied.get("metadata")
    if isinstance(meta, dict) and meta.get("managedFields"):
        raise errors.bad_request("metadata.managedFields must be nil")
    if isinstance(live, dict):
        _check_object(live, "the live object")
    try:
        return _apply(live if isinstance(live, dict) else None, applied, manager, bool(force), api_version, kind,
                      timestamp)
    except RecursionError:
        raise errors.bad_request("the applied configuration is nested too deeply") from None


def _apply(live, applied, manager, force, api_version, kind, timestamp) -> dict:
    schema = schemas.for_kind(api_version, kind)
    config = _without_managed_fields(applied)
    mode = _status_mode(api_version, kind, "")
    if live is None:
        base, managers = {}, {}
    else:
        base = _without_managed_fields(live)
        managers = _decode_entries((live.get("metadata") or {}).get("managedFields"))
        if not managers:  # objects never tracked get a manager owning everything they hold
            first = Entry("before-first-apply", "Update", str(live.get("apiVersion") or api_version))
            first.fields = _tracked(fp.to_set(base, schema), mode)
            managers[first.identity] = first
    merged = fp.merge(base, config, schema)
    me = Entry(manager, "Apply", api_version)
    previous = managers.get(me.identity)
    last = previous.fields if previous else set()
    me.fields = _tracked(fp.to_set(config, schema), mode)
    me.time = previous.time if previous else None
    managers[me.identity] = me
    if last:
        merged = _prune(merged, last, managers, schema)
    added, modified, removed = fp.compare(_with_zero_structs(base, merged, schema), merged, schema)
    changed = added | modified
    conflicts = {key: e.fields & changed for key, e in managers.items() if key != me.identity and e.fields & changed}
    if conflicts and not force:
        allowed = _allowed_by_last_applied(live, schema) if manager == "kubectl" else set()
        remaining = {k: v - allowed for k, v in conflicts.items() if v - allowed}
        if remaining:
            raise _conflict_error(remaining, managers)
    for key, taken in conflicts.items():
        managers[key].fields = managers[key].fields - taken
    for key, entry in managers.items():
        if key != me.identity:
            entry.drop(removed)
    if merged != base or previous is None:
        me.time = timestamp
    if manager == "kubectl" and live is not None and _last_applied(live):
        _set_last_applied(merged, applied)
    out = merged
    _write_entries(out, managers)
    return out


def _prune(merged: dict, last: set, managers: dict, schema: dict) -> dict:
    """Remove what the applier owned last time, no longer applies, and nobody else owns."""
    owned = set()
    for entry in managers.values():
        owned |= entry.fields
    last_members = fp.with_named_fields(last, schema)
    owned_members = fp.with_named_fields(owned, schema)
    return fp.remove(merged, schema, lambda path: path in last_members and path not in owned_members
                     and path not in _STRIPPED)


def _last_applied(obj) -> str:
    annotations = (obj.get("metadata") or {}).get("annotations") if isinstance(obj, dict) else None
    value = annotations.get(LAST_APPLIED) if isinstance(annotations, dict) else None
    return value if isinstance(value, str) else ""


def _allowed_by_last_applied(live, schema: dict) -> set:
    """Fields kubectl's client-side apply recorded with the value they still have: `kubectl apply
    --server-side` may take them over (the upgrade path from client-side apply)."""
    text = _last_applied(live) if live is not None else ""
    try:
        last = json.loads(text) if text else None
    except ValueError:
        return set()
    if not isinstance(last, dict):
        return set()
    _, modified, removed = fp.compare(last, _without_managed_fields(live), schema)
    return fp.to_set(last, schema) - modified - removed


def _set_last_applied(obj: dict, applied: dict) -> None:
    recorded = copy.deepcopy(applied)
    meta = recorded.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("annotations"), dict):
        meta["annotations"].pop(LAST_APPLIED, None)
        if not meta["annotations"]:
            del meta["annotations"]
    text = json.dumps(recorded, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    obj.setdefault("metadata", {}).setdefault("annotations", {})[LAST_APPLIED] = text


def _conflict_error(conflicts: dict, managers: dict) -> errors.StatusError:
    pairs = []
    for key in sorted(conflicts, key=lambda k: managers[k].describe()):
        for path in sorted(conflicts[key], key=fp.path_string):
            pairs.append((managers[key].describe(), fp.path_string(path)))
    causes = [{"reason": "FieldManagerConflict", "message": f"conflict with {who}", "field": path}
              for who, path in pairs]
    if len(pairs) == 1:
        message = f"Apply failed with 1 conflict: conflict with {pairs[0][0]}: {pairs[0][1]}"
    else:
        lines, current = [], None
        for who, path in pairs:
            if who != current:
                lines.append(f"conflicts with {who}:")
                current = who
            lines.append(f"- {path}")
        message = f"Apply failed with {len(pairs)} conflicts: " + "\n".join(lines)
    return errors.StatusError(409, "Conflict", message, {"causes": causes})
