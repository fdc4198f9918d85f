"""Updates and patches, as the generic store runs them for every kind: the request's object (PUT), or the stored
one patched (JSON patch, merge patch, strategic merge patch, server-side apply), then one shared write path:
preconditions, the kind's strategy for the main resource or the subresource, defaults, validation, managedFields,
the kind's storage hooks, and a write unless nothing changed."""
from __future__ import annotations

import json

from sandbox.machinery import errors, patching, server_side_apply
from sandbox.machinery.resources import ResourceType
from sandbox.registry.options import WriteOptions, write_options
from sandbox.registry.patch_types import APPLY_PATCH, JSON_PATCH, MERGE_PATCH, PATCH_TYPES


class UpdateMixin:
    """Registry.update and patch (mixed into Registry, whose helpers they use)."""

    def update(self, rt: ResourceType, namespace: str | None, name: str, body: dict,
               options: WriteOptions | None = None, *, subresource: str = "", dry_run: bool = False,
               field_manager: str = "", field_validation: str = "Strict", warnings: list | None = None,
               trusted: bool = False) -> dict:
        options = write_options(options, dry_run=dry_run, field_manager=field_manager,
                                field_validation=field_validation, warnings=warnings, trusted=trusted)
        self.check_verb(rt, "update")
        if subresource == "scale":
            return self._update_scale(rt, namespace, name, body, options)
        new = self._decode(rt, body, options)
        self._check_identity(rt, namespace, name, new)
        old = self._out(rt, self._stored(rt, namespace, name))
        return self._write_update(rt, old, new, subresource, options)

    def patch(self, rt: ResourceType, namespace: str | None, name: str, patch_type: str, patch,
              options: WriteOptions | None = None, *, subresource: str = "", dry_run: bool = False,
              field_manager: str = "", force: bool = False, field_validation: str = "Strict",
              warnings: list | None = None, trusted: bool = False) -> dict:
        options = write_options(options, dry_run=dry_run, field_manager=field_manager,
                                field_validation=field_validation, force=force, warnings=warnings, trusted=trusted)
        self.check_verb(rt, "patch")
        if patch_type not in PATCH_TYPES:
            raise errors.unsupported_media_type(patch_type)
        if subresource == "scale":
            return self._patch_scale(rt, namespace, name, patch_type, patch, options)
        raw = self.store.get(rt.storage_key, self._ns(rt, namespace), name)
        if patch_type == APPLY_PATCH:
            return self._apply(rt, namespace, name, raw, patch, subresource, options)
        if raw is None:
            raise errors.not_found(rt.group, rt.plural, name)
        old = self._out(rt, json.loads(raw))
        patched = self._patched(rt, old, patch_type, patch)
        try:
            new = self._decode(rt, patched, options)
        except errors.StatusError as e:
            if e.code == 400 and "cannot be handled as" in e.message and "strict decoding" not in e.message:
                raise patching.invalid_patch(patch_type, patch, patched, e.message) from None
            raise
        self._check_identity(rt, namespace, name, new)
        return self._write_update(rt, old, new, subresource, options)

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

    def _apply(self, rt: ResourceType, namespace: str | None, name: str, raw: str | None, applied, subresource: str,
               options: WriteOptions) -> dict:
        if not options.field_manager:
            raise errors.bad_request("PATCH, application/apply-patch+yaml requests must have a fieldManager")
        if not isinstance(applied, dict):
            raise errors.bad_request("error decoding YAML: the applied configuration must be an object")
        applied = self._decode(rt, applied, WriteOptions(field_validation=options.field_validation,
                                                         warnings=options.warnings))
        applied_name = applied["metadata"].get("name")
        if applied_name not in (None, name):
            raise errors.bad_request(f"the name of the object ({applied_name}) does not match the name on the URL "
                                     f"({name})")
        ssa = server_side_apply
        if raw is None:
            if subresource:
                raise errors.not_found(rt.group, rt.plural, name)
            applied["metadata"]["name"] = name
            merged = ssa.apply(None, applied, options.field_manager, options.force, rt.api_version, rt.kind,
                               self.clock.timestamp())
            return self.create(rt, namespace, merged, WriteOptions(options.dry_run, options.field_manager, "Ignore"),
                               _applied=True)
        old = self._out(rt, json.loads(raw))
        merged = ssa.apply(old, applied, options.field_manager, options.force, rt.api_version, rt.kind,
                           self.clock.timestamp())
        return self._write_update(rt, old, merged, subresource, options, recorded=True)

    def _write_update(self, rt: ResourceType, old: dict, new: dict, subresource: str, options: WriteOptions,
                      recorded: bool = False) -> dict:
        """The part of update every write path shares: preconditions, the kind's strategy, defaults, validation,
        managedFields, the kind's storage hook, then a write unless nothing changed."""
        kind = self.kind(rt)
        name, ns = old["metadata"]["name"], old["metadata"].get("namespace", "")
        meta = new["metadata"]
        wanted_rv = meta.get("resourceVersion")
        if wanted_rv and wanted_rv != "0" and wanted_rv != old["metadata"]["resourceVersion"]:  # "0": unconditional
            raise errors.conflict(rt.group, rt.plural, name, errors.STALE_OBJECT)
        if meta.get("uid") and meta["uid"] != old["metadata"]["uid"]:
            raise errors.conflict(rt.group, rt.plural, name, errors.storage_invalid_object(
                kind.etcd_key(rt, ns, name), f"Precondition failed: UID in precondition: {meta['uid']}, UID in "
                f"object meta: {old['metadata']['uid']}"))
        _keep_server_fields(new, old)  # generation included: only the strategy may move it
        # Defaults come with decoding, before the strategy compares: a patch that spells out less than the stored
        # object but means the same (a probe without its defaulted periodSeconds) moves no generation.
        kind.default(new)
        if subresource == "status":
            new = kind.strategy.prepare_for_status_update(new, old)
        elif subresource:
            new = kind.strategy.prepare_for_subresource_update(subresource, new, old)
            if new is None:
                raise errors.method_not_allowed()
        else:
            kind.strategy.prepare_for_update(rt, new, old)
        if not recorded:  # managedFields before admission, as the update handler computes them
            new = self._record(rt, old, new, options.field_manager, subresource)
        admit = self._own["admit"].get(rt.storage_key)
        if admit is not None and not subresource:  # mutating admission: what it adds has no manager
            admit(rt, new, old, options.dry_run)
        kind.check(rt, new, old)
        begin = self._own["begin_update"].get(rt.storage_key)
        if begin is not None and not subresource:
            begin(rt, new, old, options.dry_run)
        new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
        if _same(new, old):
            return old
        if kind.strategy.should_delete_during_update(new, old):
            if not options.dry_run:
                self._remove(rt, ns, name, old)
            return new
        stored = self._in(rt, new)
        if options.dry_run:
            return new
        self.store.put(rt.storage_key, ns, name, stored)
        return self._out(rt, stored) if stored is not new else new

    def _check_identity(self, rt: ResourceType, namespace: str | None, name: str, obj: dict) -> None:
        meta = obj["metadata"]
        if meta.get("name") and meta["name"] != name:
            raise errors.bad_request(f"the name of the object ({meta['name']}) does not match the name on the "
                                     f"URL ({name})")
        meta["name"] = name
        self._set_namespace(rt, namespace, meta)


def _keep_server_fields(new: dict, old: dict) -> None:
    meta, old_meta = new["metadata"], old["metadata"]
    for key in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"):
        if key in old_meta:
            meta[key] = old_meta[key]
        else:
            meta.pop(key, None)


def _same(new: dict, old: dict) -> bool:
    """A write that changes nothing but managedFields timestamps is skipped (no new resourceVersion)."""
    if new.get("metadata", {}).get("managedFields") == old.get("metadata", {}).get("managedFields"):
        return new == old

    def strip(o):
        return {**o, "metadata": {k: v for k, v in o["metadata"].items() if k != "managedFields"}}

    def managers(o):
        return [(m.get("manager"), m.get("operation"), m.get("subresource", ""), m.get("fieldsV1"))
                for m in o["metadata"].get("managedFields") or []]
    return strip(new) == strip(old) and managers(new) == managers(old)
