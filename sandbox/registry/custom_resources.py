"""The registration of a custom resource, made at run time from its CustomResourceDefinition (what
apiextensions-apiserver's crdHandler builds per CRD: its storage, strategy, validator, defaulter, table convertor).
Everything generic (the Registry, the HTTP layer, discovery) reaches it the way it reaches a built-in kind, through
`kinds.of(rt)`: a CRD registers a kind while the server runs. The served types themselves live in
machinery/resources.py (serve_custom), kept in step with the stored CRDs by the CRD storage
(registry/kinds/customresourcedefinition.py)."""
from __future__ import annotations

import functools
import json

from sandbox.machinery import crd_validation, errors, fields, resources, schemas
from sandbox.machinery.resources import ResourceType
from sandbox.printers import extensions
from sandbox.registry.kind import Kind, ScalePaths
from sandbox.registry.strategy import NOT_METADATA_OR_STATUS, Strategy

CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"


def condition_true(crd: dict, kind: str) -> bool:
    return any(isinstance(c, dict) and c.get("type") == kind and c.get("status") == "True"
               for c in (crd.get("status") or {}).get("conditions") or [])


class CustomResourceStrategy(Strategy):
    """customResourceStrategy: status dropped on create and kept on update when the status subresource is on,
    generation moving with anything but metadata and status; no create while the CRD is terminating."""

    def __init__(self, crd_name: str, status: bool):
        super().__init__(generation=NOT_METADATA_OR_STATUS, reset_status_on_create=status)
        self.crd_name = crd_name

    def prepare_for_create(self, obj: dict) -> None:
        crd = next((c for c in resources.served_crds() if c["metadata"]["name"] == self.crd_name), None)
        if crd is not None and condition_true(crd, "Terminating"):
            plural = crd["spec"]["names"]["plural"]
            raise errors.StatusError(405, "MethodNotAllowed", "create not allowed while custom resource definition "
                                     "is terminating", {"group": crd["spec"]["group"], "kind": plural})
        super().prepare_for_create(obj)


def _definition(obj: dict) -> dict:
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    name = schemas.definition_name(api_version, kind) if api_version and kind else None
    return schemas.definition(name) if name else {}


def _defaults(obj: dict) -> None:
    crd_validation.apply_defaults(obj, _definition(obj))


def _validate(obj: dict, old: dict | None) -> list:
    return crd_validation.validate(obj, _definition(obj))


def _version(crd: dict, name: str) -> dict:
    return next((v for v in crd["spec"].get("versions") or [] if v.get("name") == name), {})


def _columns(version: dict) -> tuple[tuple, ...]:
    return tuple((c.get("name", ""), c.get("type", "string"), c.get("format", ""), c.get("description", ""),
                  c.get("priority", 0), c.get("jsonPath", "")) for c in version.get("additionalPrinterColumns") or [])


def kind_for(rt: ResourceType) -> Kind | None:
    """The registration of a type a CRD serves now (None once it is no longer served)."""
    crd = resources.custom_definition(rt)
    if crd is None:
        return None
    return _kind(json.dumps(crd["spec"], sort_keys=True), crd["metadata"]["name"])


@functools.lru_cache(maxsize=256)
def _kind(spec_text: str, crd_name: str) -> Kind:
    crd = {"metadata": {"name": crd_name}, "spec": json.loads(spec_text)}
    types = resources.custom_types(crd)
    storage = _version(crd, types[0].storage_version) if types else {}
    subresources = storage.get("subresources") or {}
    scale = subresources.get("scale")
    return Kind(
        types=types,
        strategy=CustomResourceStrategy(crd_name, isinstance(subresources.get("status"), dict)),
        defaults=_defaults,
        validate=_validate,
        printer={rt.version: functools.partial(extensions.custom_resource_printer,
                                               _columns(_version(crd, rt.version))) for rt in types},
        field_labels=fields.labels(),
        scale=ScalePaths(scale.get("specReplicasPath", ""), scale.get("statusReplicasPath", ""),
                         scale.get("labelSelectorPath") or "") if isinstance(scale, dict) else False,
        storage=None,
        etcd_prefix=f"{crd['spec'].get('group', '')}/{crd['spec'].get('names', {}).get('plural', '')}",
    )
