"""The Registry: REST semantics shared by the HTTP handlers and the controllers (see sandbox/ARCHITECTURE.md).
It does what kube-apiserver's generic registry store and admission do around storage, once for every kind:
identity and resourceVersion, generateName, namespace lifecycle, then the kind's own rules through its registration
(sandbox/registry/kinds/: strategy, defaults, validation, storage hooks), managedFields, optimistic concurrency,
status and scale subresources, graceful deletion, finalizers and propagation policies. It never names a kind."""
from __future__ import annotations

import json
import logging
import os
import random
import uuid
from typing import Callable

from sandbox.clock import Clock
from sandbox.machinery import conversion, errors, labels, resources, server_side_apply, validation
from sandbox.machinery.errors import Cause
from sandbox.machinery.resources import ResourceType
from sandbox.registry import kinds, paging
from sandbox.registry.deletion import DeletionMixin
from sandbox.registry.eviction import EvictionMixin
from sandbox.registry.kind import Kind, Storage
from sandbox.registry.options import WriteOptions, write_options
from sandbox.registry.subresources import SubresourceMixin
from sandbox.registry.tokens import TokenRequestMixin
from sandbox.registry.trusted import check_decoded
from sandbox.registry.updates import UpdateMixin
from sandbox.registry.watches import Watch
from sandbox.storage.store import Expired, Store, dumps

log = logging.getLogger(__name__)

_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery's SimpleNameGenerator alphabet
_SERVER_SET = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink")


class Registry(UpdateMixin, DeletionMixin, SubresourceMixin, EvictionMixin, TokenRequestMixin):
    # Tests set this (or SANDBOX_CHECK_TRUSTED_WRITES=1) to prove every trusted write is what decoding would
    # have produced: the trusted path must be an optimisation, never a difference.
    check_trusted = os.environ.get("SANDBOX_CHECK_TRUSTED_WRITES") == "1"

    def __init__(self, store: Store, clock: Clock | None = None, *, bookmark_interval: float = 60.0):
        self.store, self.clock = store, clock or Clock()
        self.metrics_provider = None  # set by the autoscaling simulation: .pod_metrics(ns) / .node_metrics()
        self.kubelet = None  # the nodes (registry/kubelet_connection.py), set by the controller manager
        self.bookmark_interval = bookmark_interval
        self._namespace_phases: dict[str, tuple[str, str | None]] = {}  # name -> (stored text, status.phase)
        # Each kind's own storage, made once: operation -> storage key -> the method that takes it over or hooks in.
        self._own: dict[str, dict[str, Callable]] = {op: {} for op in Storage.OPERATIONS}
        for kind in kinds.KINDS:
            if kind.storage is not None:
                operations = kind.storage(self).operations()
                for rt in kind.types:
                    for op, method in operations.items():
                        self._own[op][rt.storage_key] = method

    def kind(self, rt: ResourceType) -> Kind:
        """The registration of a served type (its rules, hooks and printer)."""
        kind = kinds.of(rt)
        if kind is None:
            raise errors.not_found(rt.group, rt.plural, "")
        return kind

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
        self.check_verb(rt, "get")
        own = self._own["get"].get(rt.storage_key)
        if own is not None:
            return own(rt, namespace, name)
        return self._out(rt, self._stored(rt, namespace, name))

    def get_json(self, rt: ResourceType, namespace: str | None, name: str) -> str:
        """get() as JSON text, without a parse when no conversion is needed (the HTTP fast path)."""
        if rt.storage_key in self._own["get"] or self._converter(rt):
            return dumps(self.get(rt, namespace, name))
        self.check_verb(rt, "get")
        raw = self.store.get(rt.storage_key, self._ns(rt, namespace), name)
        if raw is None:
            raise errors.not_found(rt.group, rt.plural, name)
        return raw

    def exists(self, rt: ResourceType, namespace: str | None, name: str) -> bool:
        """Whether the object is stored (what decides between 200 and 201 for a server-side apply)."""
        return self.store.get(rt.storage_key, self._ns(rt, namespace), name) is not None

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
        self.check_verb(rt, "list")
        own = self._own["list"].get(rt.storage_key)
        if own is not None:
            items = own(rt, namespace, label_selector, field_selector)
            return {"resourceVersion": str(self.store.rv)}, [dumps(item) for item in items]
        rv, start = self.store.rv, None
        if continue_token:
            rv, start = paging.decode_continue(continue_token)
        label_sel = labels.parse(label_selector) if label_selector else None
        field_sel = kinds.field_selector(field_selector, rt) if field_selector else None
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
        self.check_verb(rt, "watch")
        label_sel = labels.parse(label_selector) if label_selector else None
        field_sel = kinds.field_selector(field_selector, rt) if field_selector else None
        matches = paging.matcher(label_sel, field_sel)
        ns = self._ns(rt, namespace) if rt.namespaced and namespace else (None if rt.namespaced else "")
        since = paging.parse_rv(resource_version)
        replay = since in (None, 0) if send_initial_events is None else send_initial_events
        if since and since > self.store.rv:
            raise errors.StatusError(504, "Timeout", f"Too large resource version: {since}, current: {self.store.rv}")
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
    def create(self, rt: ResourceType, namespace: str | None, body: dict, options: WriteOptions | None = None, *,
               dry_run: bool = False, field_manager: str = "", field_validation: str = "Strict",
               warnings: list | None = None, trusted: bool = False, _applied: bool = False) -> dict:
        options = write_options(options, dry_run=dry_run, field_manager=field_manager,
                                field_validation=field_validation, warnings=warnings, trusted=trusted)
        self.check_verb(rt, "create")
        obj = self._decode(rt, body, options)
        own = self._own["create"].get(rt.storage_key)
        if own is not None:  # answered by the kind's own storage, never stored (the self reviews)
            return own(rt, namespace, obj)
        kind = self.kind(rt)
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
        kind.strategy.prepare_for_create(obj)
        kind.default(obj)
        if not _applied:  # managedFields before admission, as the create handler computes them
            obj = self._record(rt, None, obj, options.field_manager)
        admit = self._own["admit"].get(rt.storage_key)
        if admit is not None:  # mutating admission: what it adds has no manager
            admit(rt, obj, None, options.dry_run)
        kind.check(rt, obj)
        if self.store.get(rt.storage_key, ns, name) is not None:
            raise errors.already_exists(rt.group, rt.plural, name)
        begin = self._own["begin_create"].get(rt.storage_key)
        if begin is not None:
            begin(rt, obj, options.dry_run)
        stored = self._in(rt, obj)
        if options.dry_run:
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

    # shared checks --------------------------------------------------------------------------------------------
    def check_verb(self, rt: ResourceType, verb: str) -> None:
        """The one verb check (HTTP requests and in-process calls alike): 405 for a verb the type does not serve."""
        if verb not in rt.verbs:
            raise errors.method_not_allowed()

    def _decode(self, rt: ResourceType, body, options: WriteOptions) -> dict:
        """A fresh copy of body, checked as the apiserver's decoder does (type, apiVersion/kind, unknown fields).
        A `trusted` body (an in-process controller's, built from objects this decoder already produced) skips
        the type and unknown-field walk; validation still runs on it."""
        if not isinstance(body, dict):
            raise errors.bad_request(f"{rt.kind} in version \"{rt.version}\" cannot be handled as a {rt.kind}: "
                                     f"json: cannot unmarshal {_json_type(body)} into Go value of type "
                                     f"{rt.group or 'core'}.{rt.kind}")
        options.check()  # an unsupported fieldValidation is refused after a body that is no object
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
        if options.trusted:
            if self.check_trusted:
                check_decoded(rt, obj)
            return obj
        found = validation.decode(rt, obj, options.field_validation)
        if options.warnings is not None and found:
            options.warnings.extend(found)
        return obj


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
