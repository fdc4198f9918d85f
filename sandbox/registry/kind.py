"""Kind: everything the sandbox knows about one kind, registered once, in that kind's own module of
sandbox/registry/kinds/ (kube-apiserver's pkg/registry/<group>/<kind>/). The generic Registry, the HTTP layer and
discovery ask the registration; none of them names a kind.

    types         its ResourceTypes, one per served version (the names every room looks up: machinery/resources.py)
    strategy      the generic store's hooks for it (registry/strategy.py)
    defaults      its defaulting function (machinery/defaults.py), or None
    validate      its own validation rules, (obj, old) -> causes (machinery/*_validation.py), or None
    printer       the Table columns `kubectl get` shows (sandbox/printers/), a factory or {version: factory}
    field_labels  the fieldSelector labels its list and watch accept
    scale         True when it serves /scale from spec.replicas, status.replicas and spec.selector; a ScalePaths
                  for a custom resource whose CRD declares the scale subresource
    storage       its own REST storage (Storage) for what it does beyond the generic store, or None
    singular      discovery's singularName when it is not the kind in lower case
    etcd_prefix   the key a real API server stores it under, when not its plural (quoted in storage errors)
    unlisted_subresources  subresources it serves beyond those discovery lists (pods/binding, namespaces/finalize)

A piece left out is MISSING, and tests/unit/registry/test_kinds.py names it: a kind with nothing to say for a
piece says None (no defaults, no rules of its own, no own storage).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields

from sandbox.machinery import errors, validation
from sandbox.machinery.errors import Cause
from sandbox.machinery.resources import ResourceType
from sandbox.printers.common import Printer
from sandbox.registry.strategy import Strategy


@dataclass(frozen=True)
class ScalePaths:
    """A CRD's scale subresource: where the replicas are asked for and reported, and where the status keeps the
    label selector (a string there; built-in kinds have a metav1.LabelSelector at spec.selector)."""
    spec_replicas: str = ".spec.replicas"
    status_replicas: str = ".status.replicas"
    label_selector: str = ""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()
REQUIRED = ("types", "strategy", "defaults", "validate", "printer", "field_labels", "scale", "storage")


class Storage:
    """A kind's own REST storage, made once per Registry, for what the generic store does not do for it (kube's
    pkg/registry/<group>/<kind>/storage). It defines only the operations it takes over or hooks into:

        get(rt, namespace, name) / list(rt, namespace, label_selector, field_selector)   reads from elsewhere
        create(rt, namespace, obj)                     answered, never stored (the decoded body in, the answer out)
        delete(rt, obj, changed, dry_run)              a deletion of its own
        admit(rt, obj, old, dry_run)                   the kind's mutating admission plugins (old None on create):
                                                       after the defaults and managedFields (what they add has no
                                                       manager), before validation; may change obj or refuse it
        begin_create(rt, obj, dry_run) / begin_update(rt, new, old, dry_run)   before the write, may refuse it
        after_delete(obj)                              after the object left the store
    """
    OPERATIONS = ("get", "list", "create", "delete", "admit", "begin_create", "begin_update", "after_delete")

    def __init__(self, registry):
        self.registry = registry

    def operations(self) -> dict[str, Callable]:
        return {name: getattr(self, name) for name in self.OPERATIONS if callable(getattr(self, name, None))}


@dataclass(frozen=True)
class Kind:
    types: tuple[ResourceType, ...] = MISSING
    strategy: Strategy = MISSING
    defaults: Callable[[dict], None] | None = MISSING
    validate: Callable[[dict, dict | None], list[Cause]] | None = MISSING
    printer: Callable[[], Printer] | Mapping[str, Callable[[], Printer]] = MISSING
    field_labels: tuple[str, ...] = MISSING
    scale: "bool | ScalePaths" = MISSING
    storage: type[Storage] | None = MISSING
    singular: str = ""
    etcd_prefix: str = ""
    unlisted_subresources: tuple[str, ...] = ()  # served (for controllers) but not in discovery: pods/binding

    @property
    def name(self) -> str:
        first = self.types[0] if isinstance(self.types, tuple) and self.types else None
        return f"{first.api_version} {first.kind}" if first else "a kind without types"

    def missing(self) -> list[str]:
        """The pieces this registration leaves out."""
        return [f.name for f in fields(self) if f.name in REQUIRED and getattr(self, f.name) is MISSING]

    def printer_for(self, rt: ResourceType) -> Printer:
        factory = self.printer[rt.version] if isinstance(self.printer, Mapping) else self.printer
        return factory()

    def default(self, obj: dict) -> None:
        """Fill in the kind's defaults in place (idempotent)."""
        if self.defaults is not None and isinstance(obj, dict):
            self.defaults(obj)

    def check(self, rt: ResourceType, obj: dict, old: dict | None = None) -> None:
        """Validate a create (old None) or an update: one 422 Invalid with every cause."""
        validation.validate(rt, obj, old, rules=self.validate,
                            metadata_first=self.strategy.validates_object_meta)

    def supported_fields(self) -> tuple[str, ...]:
        return self.field_labels

    def etcd_key(self, rt: ResourceType, namespace: str | None, name: str) -> str:
        """The key a real API server stores the object under, which its storage errors quote."""
        prefix = self.etcd_prefix or rt.plural
        return "/".join(["/registry", prefix, *([namespace] if namespace else []), name])


def invalid(rt: ResourceType, obj: dict, causes: list[Cause]) -> errors.StatusError:
    return errors.invalid(rt.group, rt.kind, (obj.get("metadata") or {}).get("name", ""), causes)
