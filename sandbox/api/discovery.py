"""Discovery documents, shaped as kube-apiserver 1.37 serves them: /version, /api, /apis, /apis/<group>,
/api/v1 and /apis/<group>/<version> (APIResourceList), and the aggregated discovery that kubectl asks for
first (apidiscovery.k8s.io/v2 APIGroupDiscoveryList on /api and /apis). All built from resources.py.

Pure functions returning fresh dicts (callers may mutate them)."""
from __future__ import annotations

import copy
import functools
import hashlib
import platform

from sandbox.machinery import resources
from sandbox.machinery.resources import ResourceType
from sandbox.registry import kinds

KUBERNETES_VERSION = "v1.37.0"

# kubectl (client-go) sends this first in its Accept header for /api and /apis; a response carrying this exact
# Content-Type is read as aggregated discovery, anything else as the legacy APIVersions/APIGroupList.
AGGREGATED_CONTENT_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

_SUBRESOURCE_VERBS = {"status": ("get", "patch", "update"), "scale": ("get", "patch", "update"), "log": ("get",),
                      "eviction": ("create",), "token": ("create",)}
# Subresources that answer with another group's kind. kubectl drain looks for pods/eviction in /api/v1 with exactly
# this group, version and kind (k8s.io/kubectl/pkg/drain CheckEvictionSupport), and falls back to DELETE without it.
_SUBRESOURCE_KINDS = {"scale": ("autoscaling", "v1", "Scale"), "eviction": ("policy", "v1", "Eviction"),
                     "token": ("authentication.k8s.io", "v1", "TokenRequest")}
# The apiextensions handler lists a custom resource's verbs in this fixed (unsorted) order.
_CRD_VERBS = ("delete", "deletecollection", "get", "list", "patch", "create", "update", "watch")


def _arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)


def version_info() -> dict:
    """GET /version. Every field the client's VersionInfo model requires is present (buildDate included).

    gitCommit and buildDate identify this simulator's build of the API, not an upstream binary."""
    return {
        "major": "1", "minor": "37",
        "emulationMajor": "1", "emulationMinor": "37",
        "minCompatibilityMajor": "1", "minCompatibilityMinor": "36",
        "gitVersion": KUBERNETES_VERSION,
        "gitCommit": hashlib.sha1(f"containo-workshop sandbox {KUBERNETES_VERSION}".encode()).hexdigest(),
        "gitTreeState": "clean",
        "buildDate": "2026-08-26T00:00:00Z",
        "goVersion": "go1.26.0",
        "compiler": "gc",
        "platform": f"linux/{_arch()}",
    }


def api_versions(server_address: str = "127.0.0.1:6443") -> dict:
    """GET /api (legacy): the core group's versions. `server_address` is the host:port clients reached."""
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def _group_version(group: str, version: str) -> dict:
    return {"groupVersion": f"{group}/{version}", "version": version}


def api_group(group: str) -> dict | None:
    """GET /apis/<group> (APIGroup), None for a group the sandbox does not serve."""
    if group not in resources.groups():
        return None
    versions = [_group_version(group, v) for v in resources.versions_of(group)]
    return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": versions,
            "preferredVersion": versions[0]}


def api_group_list() -> dict:
    """GET /apis (legacy): every named group, preferred version first."""
    groups = []
    for group in resources.groups():
        entry = api_group(group)
        del entry["kind"], entry["apiVersion"]
        groups.append(entry)
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def _is_custom(rt: ResourceType) -> bool:
    return rt.custom


def _verbs(rt: ResourceType) -> list[str]:
    if _is_custom(rt):
        return [v for v in _CRD_VERBS if v in rt.verbs]
    return sorted(rt.verbs)


def _singular(rt: ResourceType) -> str:
    """singularName: the kind in lower case, unless its registration says otherwise (metrics-server's)."""
    kind = kinds.of(rt)
    return (kind.singular if kind is not None else "") or rt.singular


def subresource_kind(rt: ResourceType, sub: str) -> tuple[str, str, str]:
    """(group, version, kind) a subresource answers with; ("", "", kind) means the parent's group-version."""
    return _SUBRESOURCE_KINDS.get(sub, ("", "", rt.kind))


def _api_resource(rt: ResourceType) -> dict:
    entry = {"name": rt.plural, "singularName": _singular(rt), "namespaced": rt.namespaced, "kind": rt.kind,
             "verbs": _verbs(rt)}
    if rt.short_names:
        entry["shortNames"] = list(rt.short_names)
    if rt.categories:
        entry["categories"] = list(rt.categories)
    return entry


def _api_subresource(rt: ResourceType, sub: str) -> dict:
    group, version, kind = subresource_kind(rt, sub)
    entry = {"name": f"{rt.plural}/{sub}", "singularName": "", "namespaced": rt.namespaced}
    if group or version:
        entry.update(group=group, version=version)
    entry.update(kind=kind, verbs=list(_SUBRESOURCE_VERBS[sub]))
    return entry


def resource_list(group: str, version: str) -> dict | None:
    """GET /api/v1 or /apis/<group>/<version> (APIResourceList), None for a group-version not served.

    Resources (and their subresources as `deployments/scale`) come sorted by name, as the installer
    registers them; storageVersionHash is left out (it is optional and only meaningful with etcd)."""
    types = resources.in_group_version(group, version)
    if not types:
        return None
    entries = []
    for rt in sorted(types, key=lambda t: t.plural):
        entries.append(_api_resource(rt))
        entries.extend(_api_subresource(rt, sub) for sub in sorted(rt.subresources))
    if not group:  # the core group's list carries no apiVersion, the named groups' lists do
        return {"kind": "APIResourceList", "groupVersion": version, "resources": entries}
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{group}/{version}",
            "resources": entries}


def _discovery_resource(rt: ResourceType) -> dict:
    entry = {"resource": rt.plural, "responseKind": {"group": "", "version": "", "kind": rt.kind},
             "scope": "Namespaced" if rt.namespaced else "Cluster", "singularResource": _singular(rt),
             "verbs": _verbs(rt)}
    if rt.short_names:
        entry["shortNames"] = list(rt.short_names)
    if rt.categories:
        entry["categories"] = list(rt.categories)
    subs = []
    for sub in sorted(rt.subresources):
        group, version, kind = subresource_kind(rt, sub)
        subs.append({"subresource": sub, "responseKind": {"group": group, "version": version, "kind": kind},
                     "verbs": list(_SUBRESOURCE_VERBS[sub])})
    if subs:
        entry["subresources"] = subs
    return entry


def _discovery_group(group: str) -> dict:
    versions = []
    for version in resources.versions_of(group):
        types = sorted(resources.in_group_version(group, version), key=lambda t: t.plural)
        versions.append({"version": version, "resources": [_discovery_resource(rt) for rt in types],
                         "freshness": "Current"})
    metadata = {"name": group} if group else {}
    return {"metadata": metadata, "versions": versions}


def _aggregated(core: bool) -> dict:
    return _aggregated_at(core, resources.generation())


@functools.lru_cache(maxsize=4)
def _aggregated_at(core: bool, generation: int) -> dict:
    groups = [""] if core else resources.groups()
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {},
            "items": [_discovery_group(g) for g in groups]}


def aggregated(core: bool) -> dict:
    """Aggregated discovery (apidiscovery.k8s.io/v2 APIGroupDiscoveryList): for /api when `core`, else /apis.

    Serve it with Content-Type AGGREGATED_CONTENT_TYPE when `wants_aggregated(accept)`."""
    return copy.deepcopy(_aggregated(core))


def _media_ranges(accept: str) -> list[tuple[str, dict[str, str]]]:
    ranges = []
    for part in (accept or "").split(","):
        pieces = [p.strip() for p in part.split(";")]
        params = {}
        for piece in pieces[1:]:
            key, _, value = piece.partition("=")
            params[key.strip().lower()] = value.strip().strip('"')
        ranges.append((pieces[0].lower(), params))
    return ranges


def wants_aggregated(accept: str) -> bool:
    """True when the first media range of an Accept header the server can honour is aggregated discovery
    apidiscovery.k8s.io/v2 (1.37 no longer serves v2beta1; a range it cannot serve is skipped)."""
    for media, params in _media_ranges(accept):
        if media not in ("application/json", "application/*", "*/*"):
            continue
        if "as" not in params:
            return False
        if (params.get("g"), params.get("v"), params["as"]) == ("apidiscovery.k8s.io", "v2", "APIGroupDiscoveryList"):
            return True
    return False
