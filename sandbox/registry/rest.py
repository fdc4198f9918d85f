"""The Registry: REST semantics shared by the HTTP handlers and the controllers (see sandbox/ARCHITECTURE.md).
It does what kube-apiserver's generic registry store and admission do around storage: identity and
resourceVersion, generateName, namespace lifecycle, defaults, validation, managedFields, optimistic concurrency,
status and scale subresources, graceful deletion, finalizers and propagation policies."""
from __future__ import annotations

import json
import logging
import os
import random
import uuid
from typing import Callable

from sandbox.clock import Clock
from sandbox.machinery import (conversion, defaults, errors, fields, labels, patching, resources,
                               server_side_apply, validation)
from sandbox.machinery.errors import Cause, StatusError
from sandbox.machinery.resources import ResourceType
from sandbox.registry import paging, reviews, strategies
from sandbox.registry.patch_types import APPLY_PATCH, JSON_PATCH, MERGE_PATCH, PATCH_TYPES
from sandbox.registry.deletion import DeletionMixin
from sandbox.registry.eviction import EvictionMixin
from sandbox.registry.service_allocations import ServiceAllocations
from sandbox.registry.subresources import SubresourceMixin
from sandbox.registry.watches import Watch
from sandbox.storage.store import Expired, Store, dumps

log = logging.getLogger(__name__)


FIELD_VALIDATION = ("Strict", "Warn", "Ignore")
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery's SimpleNameGenerator alphabet
_SERVER_SET = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink")


class Registry(DeletionMixin, SubresourceMixin, EvictionMixin):
    # Tests set this (or SANDBOX_CHECK_TRUSTED_WRITES=1) to prove every trusted write is what decoding would
    # have produced: the trusted path must be an optimisation, never a difference.
    check_trusted = os.environ.get("SANDBOX_CHECK_TRUSTED_WRITES") == "1"

    def __init__(self, store: Store, clock: Clock | None = None, *, bookmark_interval: float = 60.0):
        self.store, self.clock = store, clock or Clock()
        self.metrics_provider = None  # set by the autoscaling simulation: .pod_metrics(ns) / .node_metrics()
        self.kubelet = None  # the nodes (registry/kubelet_connection.py), set by the controller manager
        self.bookmark_interval = bookmark_interval
        self.services = ServiceAllocations()
        self._namespace_phases: dict[str, tuple[str, str | None]] = {}  # name -> (stored text, status.phase)
        for _, _, entry in store.entries("services"):
            self.services.restore(json.loads(entry.raw))

    # conversion between the served version and the storage version -------------------------------------------
    @staticmethod
    def _converter(rt: ResourceType) -> Callable[[dict], dict] | None:
        if not rt.storage_version or rt.version == rt.storage_version:
            return None
        return lambda obj: conversion.convert(obj, rt.api_version)

    def _out(self, rt: ResourceType, obj: dict) -> dict:
        convert = self._converter(rt)
        return convert(obj) if convert else obj

    def _in(self, rt: ResourceType, obj: dict) -> dict:
        if not rt.storage_version or rt.version == rt.storage_version:
            return obj
        return conversion.convert(obj, resources.storage_type(rt.storage_key).api_version)

    @staticmethod
    def _ns(rt: ResourceType, namespace: str | None) -> str:
        return (namespace or "") if rt.namespaced else ""

    def _stored(self, rt: ResourceType, namespace: str | None, name: str) -> dict:
        raw = self.store.get(rt.storage_key, self._ns(rt, namespace), name)
        if raw is None:
            raise errors.not_found(rt.group, rt.plural, name)
        return json.loads(raw)

    # reads ----------------------------------------------------------------------------------------------------
    def get(self, rt: ResourceType, namespace: str | None, name: str) -> dict:
        if rt.group == "metrics.k8s.io":
            return self._metric(rt, namespace, name)
        return self._out(rt, self._stored(rt, namespace, name))

    def get_json(self, rt: ResourceType, namespace: str | None, name: str) -> str:
        """get() as JSON text, without a parse when no conversion is needed (the HTTP fast path)."""
        if rt.group == "metrics.k8s.io" or self._converter(rt):
            return dumps(self.get(rt, namespace, name))
        raw = self.store.get(rt.storage_key, self._ns(rt, namespace), name)
        if raw is None:
            raise errors.not_found(rt.group, rt.plural, name)
        return raw

    def list(self, rt: ResourceType, namespace: str | None = None, label_selector: str = "",
             field_selector: str = "", limit: int = 0, continue_token: str = "") -> dict:
        metadata, raws = self._list_raw(rt, namespace, label_selector, field_selector, limit, continue_token)
        return {"kind": rt.list_kind_name, "apiVersion": rt.api_version, "metadata": metadata,
                "items": [json.loads(raw) for raw in raws]}

    def list_json(self, rt: ResourceType, namespace: str | None = None, label_selector: str = "",
                  field_selector: str = "", limit: int = 0, continue_token: str = "") -> str:
        """list() as JSON text, splicing the stored objects' text instead of parsing and re-encoding them."""
        metadata, raws = self._list_raw(rt, namespace, label_selector, field_selector, limit, continue_token)
        head = dumps({"kind": rt.list_kind_name, "apiVersion": rt.api_version, "metadata": metadata})
        return head[:-1] + ',"items":[' + ",".join(raws) + "]}"

    def _list_raw(self, rt, namespace, label_selector, field_selector, limit, continue_token):
        if rt.group == "metrics.k8s.io":
            items = self._metrics(rt, namespace, label_selector, field_selector)
            return {"resourceVersion": str(self.store.rv)}, [dumps(item) for item in items]
        rv, start = self.store.rv, None
        if continue_token:
            rv, start = paging.decode_continue(continue_token)
        label_sel = labels.parse(label_selector) if label_selector else None
        field_sel = fields.parse(field_selector, rt) if field_selector else None
        convert = self._converter(rt)
        ns = self._ns(rt, namespace) if rt.namespaced and namespace else (None if rt.namespaced else "")
        raws: list[str] = []
        last = None
        more = False
        for item_ns, name, entry in self.store.entries(rt.storage_key, ns, start):
            if label_sel is not None and not label_sel.matches(entry.labels):
                continue
            if field_sel is not None and not field_sel.matches(json.loads(entry.raw)):
                continue
            if limit and len(raws) >= limit:
                more = True
                break
            raws.append(dumps(convert(json.loads(entry.raw))) if convert else entry.raw)
            last = (item_ns, name)
        metadata: dict = {"resourceVersion": str(rv)}
        if more and last is not None:
            metadata["continue"] = paging.encode_continue(rv, last)
            if label_sel is None and field_sel is None:
                remaining = sum(1 for _ in self.store.entries(rt.storage_key, ns, last))
                metadata["remainingItemCount"] = remaining
        return metadata, raws

    def watch(self, rt: ResourceType, namespace: str | None = None, resource_version: str = "",
              label_selector: str = "", field_selector: str = "", allow_bookmarks: bool = False,
              send_initial_events: bool | None = None) -> Watch:
        if rt.group == "metrics.k8s.io":
            raise errors.method_not_allowed()
        label_sel = labels.parse(label_selector) if label_selector else None
        field_sel = fields.parse(field_selector, rt) if field_selector else None
        matches = paging.matcher(label_sel, field_sel)
        ns = self._ns(rt, namespace) if rt.namespaced and namespace else (None if rt.namespaced else "")
        since = paging.parse_rv(resource_version)
        replay = since in (None, 0) if send_initial_events is None else send_initial_events
        if since and since > self.store.rv:
            raise StatusError(504, "Timeout", f"Too large resource version: {since}, current: {self.store.rv}")
        initial: list[str] = []
        if replay:
            for _, _, entry in self.store.entries(rt.storage_key, ns):
                if label_sel is not None and not label_sel.matches(entry.labels):
                    continue
                if field_sel is not None and not field_sel.matches(json.loads(entry.raw)):
                    continue
                initial.append(entry.raw)
        try:
            watcher = self.store.watch(rt.storage_key, ns, since if since and not replay else None)
        except Expired as e:
            raise errors.gone(str(e)) from None
        return Watch(watcher, initial=initial, current_rv=lambda: self.store.rv, kind=rt.kind,
                     api_version=rt.api_version, matches=matches, convert=self._converter(rt),
                     allow_bookmarks=allow_bookmarks, bookmark_interval=self.bookmark_interval,
                     initial_end_rv=self.store.rv if send_initial_events and allow_bookmarks else None)

    def subscribe(self, callback: Callable[[str, str, dict], None], storage_keys=None, *,
                  lazy: bool = False) -> Callable[[], None]:
        """callback(event_type, storage_key, obj) after every committed write, with its own copy of obj.
        With `storage_keys` (any container, consulted at every write, so it may grow), only writes to those
        keys are passed on: most writes are Events, which few subscribers want. With `lazy`, the callback gets
        a function returning a fresh copy instead of obj, and parses only what it reads (a pod is ~5 KB)."""
        def deliver(event) -> None:
            if storage_keys is None or event.storage_key in storage_keys:
                raw = event.raw
                callback(event.type, event.storage_key, (lambda: json.loads(raw)) if lazy else json.loads(raw))
        return self.store.subscribe(deliver)

    # create ---------------------------------------------------------------------------------------------------
    def create(self, rt: ResourceType, namespace: str | None, body: dict, *, dry_run: bool = False,
               field_manager: str = "", field_validation: str = "Strict", warnings: list | None = None,
               _applied: bool = False, trusted: bool = False) -> dict:
        self._check_verb(rt, "create")
        obj = self._decode(rt, body, field_validation, warnings, trusted)
        if reviews.is_review(rt):  # answered, never stored
            return reviews.answer(rt, obj, self.clock.timestamp())
        meta = obj["metadata"]
        ns = self._ns(rt, namespace)
        self._set_namespace(rt, ns, meta)
        if meta.get("resourceVersion"):
            raise errors.bad_request("resourceVersion should not be set on objects to be created")
        if not meta.get("name") and not meta.get("generateName"):
            raise errors.invalid(rt.group, rt.kind, "", [Cause(
                "metadata.name", "Required value: name or generateName is required", "FieldValueRequired")])
        if rt.namespaced:
            self._admit_namespace(rt, ns, meta.get("name") or "")
        if not meta.get("name"):
            meta["name"] = self._generate_name(rt, ns, meta["generateName"])
        name = meta["name"]
        for key in _SERVER_SET:
            meta.pop(key, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = self.clock.timestamp()
        strategies.prepare_create(rt, obj)
        defaults.apply_defaults(rt, obj)
        validation.validate(rt, obj)
        if self.store.get(rt.storage_key, ns, name) is not None:
            raise errors.already_exists(rt.group, rt.plural, name)
        if not _applied:
            obj = self._record(rt, None, obj, field_manager)
        if rt.storage_key == "services":
            self._allocate(rt, obj, None, dry_run)
        stored = self._in(rt, obj)
        if dry_run:
            meta.pop("resourceVersion", None)
            return obj
        self.store.put(rt.storage_key, ns, name, stored)
        return self._out(rt, stored) if stored is not obj else obj

    def _generate_name(self, rt: ResourceType, ns: str, prefix: str) -> str:
        prefix = prefix[:58]  # maxGeneratedNameLength = 63 - 5
        for _ in range(8):  # the apiserver retries a generated name that collides
            name = prefix + "".join(random.choice(_NAME_CHARS) for _ in range(5))
            if self.store.get(rt.storage_key, ns, name) is None:
                return name
        raise errors.already_exists(rt.group, rt.plural, name)

    def _admit_namespace(self, rt: ResourceType, ns: str, name: str) -> None:
        """NamespaceLifecycle admission: the namespace must exist and must not be terminating."""
        raw = self.store.get("namespaces", "", ns)
        if raw is None:
            raise errors.not_found("", "namespaces", ns)
        seen = self._namespace_phases.get(ns)
        if seen is None or seen[0] is not raw:  # the stored text is replaced on every write to the namespace
            namespace = json.loads(raw)
            seen = self._namespace_phases[ns] = (raw, (namespace.get("status") or {}).get("phase"))
        if seen[1] == "Terminating":
            error = errors.forbidden(rt.group, rt.plural, name, f"unable to create new content in namespace {ns} "
                                     "because it is being terminated")
            error.details["causes"] = [{"reason": "NamespaceTerminating", "message":
                                        f"namespace {ns} is being terminated", "field": "metadata.namespace"}]
            raise error

    # update and patch -----------------------------------------------------------------------------------------
    def update(self, rt: ResourceType, namespace: str | None, name: str, body: dict, *, subresource: str = "",
               dry_run: bool = False, field_manager: str = "", field_validation: str = "Strict",
               warnings: list | None = None, trusted: bool = False) -> dict:
        self._check_verb(rt, "update")
        if subresource == "scale":
            return self._update_scale(rt, namespace, name, body, dry_run, field_manager)
        new = self._decode(rt, body, field_validation, warnings, trusted)
        self._check_identity(rt, namespace, name, new)
        old = self._out(rt, self._stored(rt, namespace, name))
        return self._write_update(rt, old, new, subresource, dry_run, field_manager)

    def patch(self, rt: ResourceType, namespace: str | None, name: str, patch_type: str, patch, *,
              subresource: str = "", dry_run: bool = False, field_manager: str = "", force: bool = False,
              field_validation: str = "Strict", warnings: list | None = None, trusted: bool = False) -> dict:
        self._check_verb(rt, "patch")
        if patch_type not in PATCH_TYPES:
            raise errors.unsupported_media_type(patch_type)
        if subresource == "scale":
            return self._patch_scale(rt, namespace, name, patch_type, patch, dry_run, field_manager)
        raw = self.store.get(rt.storage_key, self._ns(rt, namespace), name)
        if patch_type == APPLY_PATCH:
            return self._apply(rt, namespace, name, raw, patch, subresource, dry_run, field_manager, force,
                               field_validation, warnings)
        if raw is None:
            raise errors.not_found(rt.group, rt.plural, name)
        old = self._out(rt, json.loads(raw))
        new = self._patched(rt, old, patch_type, patch)
        new = self._decode(rt, new, field_validation, warnings, trusted)
        self._check_identity(rt, namespace, name, new)
        return self._write_update(rt, old, new, subresource, dry_run, field_manager)

    def _patched(self, rt: ResourceType, old: dict, patch_type: str, patch) -> dict:
        if patch_type == JSON_PATCH:
            if not isinstance(patch, list):
                raise errors.bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
            return patching.apply_json_patch(old, patch)
        if not isinstance(patch, dict):
            raise errors.bad_request("json: cannot unmarshal array into Go value of type map[string]interface {}")
        if patch_type == MERGE_PATCH:
            return patching.apply_merge_patch(old, patch)
        return patching.apply_strategic_merge_patch(old, patch, rt.api_version, rt.kind)

    def _apply(self, rt, namespace, name, raw, applied, subresource, dry_run, field_manager, force,
               field_validation, warnings) -> dict:
        if not field_manager:
            raise errors.bad_request("PATCH, application/apply-patch+yaml requests must have a fieldManager")
        if not isinstance(applied, dict):
            raise errors.bad_request("error decoding YAML: the applied configuration must be an object")
        applied = self._decode(rt, applied, field_validation, warnings)
        applied_name = applied["metadata"].get("name")
        if applied_name not in (None, name):
            raise errors.bad_request(f"the name of the object ({applied_name}) does not match the name on the URL "
                                     f"({name})")
        ssa = server_side_apply
        if raw is None:
            if subresource:
                raise errors.not_found(rt.group, rt.plural, name)
            applied["metadata"]["name"] = name
            merged = ssa.apply(None, applied, field_manager, force, rt.api_version, rt.kind, self.clock.timestamp())
            return self.create(rt, namespace, merged, dry_run=dry_run, field_manager=field_manager,
                               field_validation="Ignore", _applied=True)
        old = self._out(rt, json.loads(raw))
        merged = ssa.apply(old, applied, field_manager, force, rt.api_version, rt.kind, self.clock.timestamp())
        return self._write_update(rt, old, merged, subresource, dry_run, field_manager, recorded=True)

    def _write_update(self, rt: ResourceType, old: dict, new: dict, subresource: str, dry_run: bool,
                      field_manager: str, recorded: bool = False) -> dict:
        """The part of update every write path shares: preconditions, strategy, defaults, validation,
        managedFields, then a write unless nothing changed."""
        name, ns = old["metadata"]["name"], old["metadata"].get("namespace", "")
        meta = new["metadata"]
        wanted_rv = meta.get("resourceVersion")
        if wanted_rv and wanted_rv != old["metadata"]["resourceVersion"]:
            raise errors.conflict(rt.group, rt.plural, name, errors.STALE_OBJECT)
        if meta.get("uid") and meta["uid"] != old["metadata"]["uid"]:
            raise errors.conflict(rt.group, rt.plural, name, errors.storage_invalid_object(
                resources.etcd_key(rt, ns, name), f"Precondition failed: UID in precondition: {meta['uid']}, UID in "
                f"object meta: {old['metadata']['uid']}"))
        self._keep_server_fields(new, old)  # generation included: only prepare_update may move it
        if subresource == "status":
            new = strategies.prepare_status_update(rt, new, old)
        elif subresource == "finalize" and rt.storage_key == "namespaces":
            new = strategies.prepare_finalize_update(new, old)
        elif subresource:
            raise errors.method_not_allowed()
        else:
            strategies.prepare_update(rt, new, old)
        defaults.apply_defaults(rt, new)
        validation.validate(rt, new, old)
        if not recorded:
            new = self._record(rt, old, new, field_manager, subresource)
        if rt.storage_key == "services" and not subresource:
            self._allocate(rt, new, old, dry_run)
        new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
        if _same(new, old):
            return old
        if self._should_delete_on_update(new, old):
            if not dry_run:
                self._remove(rt, ns, name, old)
            return new
        stored = self._in(rt, new)
        if dry_run:
            return new
        self.store.put(rt.storage_key, ns, name, stored)
        return self._out(rt, stored) if stored is not new else new

    @staticmethod
    def _keep_server_fields(new: dict, old: dict) -> None:
        meta, old_meta = new["metadata"], old["metadata"]
        for key in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"):
            if key in old_meta:
                meta[key] = old_meta[key]
            else:
                meta.pop(key, None)

    @staticmethod
    def _should_delete_on_update(new: dict, old: dict) -> bool:
        """Generic store's ShouldDeleteDuringUpdate (namespaces also wait for spec.finalizers)."""
        meta, old_meta = new["metadata"], old["metadata"]
        if meta.get("finalizers") or not old_meta.get("deletionTimestamp"):
            return False
        if old.get("kind") == "Namespace" and (new.get("spec") or {}).get("finalizers"):
            return False
        return not old_meta.get("deletionGracePeriodSeconds")

    def _check_identity(self, rt: ResourceType, namespace: str | None, name: str, obj: dict) -> None:
        meta = obj["metadata"]
        if meta.get("name") and meta["name"] != name:
            raise errors.bad_request(f"the name of the object ({meta['name']}) does not match the name on the "
                                     f"URL ({name})")
        meta["name"] = name
        self._set_namespace(rt, namespace, meta)

    def _set_namespace(self, rt: ResourceType, namespace: str | None, meta: dict) -> None:
        """EnsureObjectNamespaceMatchesRequestNamespace: a body names the URL's namespace or none (then gets it)."""
        if not rt.namespaced:
            meta.pop("namespace", None)
            return
        ns = self._ns(rt, namespace)
        if meta.get("namespace") not in (None, "", ns):
            raise errors.bad_request("the namespace of the provided object does not match the namespace sent on "
                                     "the request")
        meta["namespace"] = ns

    def _record(self, rt: ResourceType, old: dict | None, new: dict, manager: str, subresource: str = "") -> dict:
        return server_side_apply.record_update(old, new, manager or "unknown", rt.api_version,
                                                             self.clock.timestamp(), subresource)

    def _allocate(self, rt: ResourceType, service: dict, old: dict | None, dry_run: bool) -> None:
        causes = self.services.allocate(service, old, dry_run)
        if causes:
            raise errors.invalid(rt.group, rt.kind, service["metadata"]["name"], causes)

    # shared checks --------------------------------------------------------------------------------------------
    @staticmethod
    def _check_verb(rt: ResourceType, verb: str) -> None:
        if verb not in rt.verbs:
            raise errors.method_not_allowed()

    def _decode(self, rt: ResourceType, body, field_validation: str, warnings: list | None,
                trusted: bool = False) -> dict:
        """A fresh copy of body, checked as the apiserver's decoder does (type, apiVersion/kind, unknown fields).
        A `trusted` body (an in-process controller's, built from objects this decoder already produced) skips
        the type and unknown-field walk; validation still runs on it."""
        if not isinstance(body, dict):
            raise errors.bad_request(f"{rt.kind} in version \"{rt.version}\" cannot be handled as a {rt.kind}: "
                                     f"json: cannot unmarshal {_json_type(body)} into Go value of type "
                                     f"{rt.group or 'core'}.{rt.kind}")
        if field_validation not in FIELD_VALIDATION:
            raise errors.bad_request(f'fieldValidation: Unsupported value: "{field_validation}": supported values: '
                                     f'"Ignore", "Strict", "Warn"')
        obj = json.loads(dumps(body))
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if api_version and kind and (api_version, kind) != (rt.api_version, rt.kind):
            if api_version != rt.api_version:
                raise errors.bad_request(f"the API version in the data ({api_version}) does not match the "
                                         f"expected API version ({rt.api_version})")
            raise errors.bad_request(f"{kind} in version \"{rt.version}\" cannot be handled as a {rt.kind}: "
                                     f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})")
        obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
        if not isinstance(obj.get("metadata", {}), dict):
            raise errors.bad_request(f"{rt.kind} in version \"{rt.version}\" cannot be handled as a {rt.kind}: "
                                     f"json: cannot unmarshal {_json_type(obj['metadata'])} into Go struct field "
                                     f"{rt.kind}.metadata of type v1.ObjectMeta")
        obj.setdefault("metadata", {})
        if trusted:
            if self.check_trusted:
                _check_decoded(rt, obj)
            return obj
        found = validation.decode(rt, obj, field_validation)
        if warnings is not None and found:
            warnings.extend(found)
        return obj


def _same(new: dict, old: dict) -> bool:
    """A write that changes nothing but managedFields timestamps is skipped (no new resourceVersion)."""
    if new.get("metadata", {}).get("managedFields") == old.get("metadata", {}).get("managedFields"):
        return new == old
    strip = lambda o: {**o, "metadata": {k: v for k, v in o["metadata"].items() if k != "managedFields"}}
    managers = lambda o: [(m.get("manager"), m.get("operation"), m.get("subresource", ""), m.get("fieldsV1"))
                          for m in o["metadata"].get("managedFields") or []]
    return strip(new) == strip(old) and managers(new) == managers(old)


def _check_decoded(rt: ResourceType, obj: dict) -> None:
    """Raise AssertionError unless decoding `obj` strictly would change nothing that defaulting does not restore
    (see Registry.check_trusted)."""
    decoded, kept = json.loads(dumps(obj)), json.loads(dumps(obj))
    try:
        validation.decode(rt, decoded, "Strict")
    except StatusError as e:
        raise AssertionError(f"a trusted {rt.kind} write does not decode: {e.message}") from None
    state = random.getstate()  # defaulting draws random names: draw the same ones for both
    defaults.apply_defaults(rt, decoded)
    random.setstate(state)
    defaults.apply_defaults(rt, kept)
    if decoded != kept:
        raise AssertionError(f"a trusted {rt.kind} write changes when decoded at {_first_difference(kept, decoded)}")


def _first_difference(a, b, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if a.get(key, _MISSING) != b.get(key, _MISSING):
                return _first_difference(a.get(key, _MISSING), b.get(key, _MISSING), f"{path}.{key}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
    return f"{path}: {a!r} -> {b!r}"


_MISSING = "<missing>"


def _json_type(value) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "object"
