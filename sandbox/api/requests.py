"""What an HTTP request says, read once: the URL's target (RequestInfo: type, namespace, name, subresource), the
query (one RequestQuery, whose write and delete options are the Registry's option objects), the body (JSON, YAML or
the protobuf bodies kubectl sends) and what the Accept header asks for (a Table, aggregated discovery)."""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl

import yaml
from aiohttp import web

from sandbox.api import protobuf
from sandbox.machinery import decoding, errors, resources
from sandbox.machinery.errors import StatusError
from sandbox.machinery.resources import ResourceType
from sandbox.registry import kinds
from sandbox.registry.options import DeleteOptions, WriteOptions, check_dry_run

TABLE_VERSIONS = ("v1", "v1beta1")


def not_served() -> StatusError:
    return StatusError(404, "NotFound", "the server could not find the requested resource", {})


@dataclass
class Target:
    """What a resource URL names."""
    rt: ResourceType
    namespace: str | None
    name: str | None
    subresource: str
    legacy_watch: bool


def target(group: str, version: str, rest: list[str]) -> Target:
    legacy_watch = rest[0] == "watch"
    if legacy_watch:
        rest = rest[1:]
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        rt = resources.lookup(group, version, rest[2])
        if rt is not None and rt.namespaced:
            namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        raise not_served()
    rt = resources.lookup(group, version, rest[0])
    if rt is None or (rt.namespaced and namespace is None and len(rest) > 1):
        raise not_served()
    name = rest[1] if len(rest) > 1 else None
    subresource = rest[2] if len(rest) > 2 else ""
    if subresource == "proxy" and rt.plural in ("pods", "services", "nodes") and not rt.group:
        raise StatusError(400, "BadRequest", f"{rt.plural}/proxy is not available in the workshop sandbox (use "
                          "kubectl port-forward, or a kind cluster)")
    if subresource and subresource not in _subresources(rt):
        raise not_served()
    if (name is not None and not _valid_path_segment(name)) or \
            (namespace is not None and not _valid_path_segment(namespace)):
        raise not_served()
    return Target(rt, namespace, name, subresource, legacy_watch)


def _subresources(rt: ResourceType) -> set[str]:
    """Those discovery lists, and those the kind's registration serves unlisted (pods/binding for the scheduler)."""
    kind = kinds.of(rt)
    return set(rt.subresources) | set(kind.unlisted_subresources if kind is not None else ())


def _valid_path_segment(segment: str) -> bool:
    return segment not in ("", ".", "..")


# the query ------------------------------------------------------------------------------------------------------
def query_int(key: str, value: str | None) -> int | None:
    """An integer query parameter (None when absent or empty); 400 when it is not an integer."""
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise errors.bad_request(f'invalid value for {key}: "{value}": must be an integer') from None


class RequestQuery:
    """The query parameters (the first value of each; dryRun may repeat), read once."""

    def __init__(self, request: web.Request):
        self.values: dict[str, str] = {}
        for key, value in parse_qsl(request.query_string, keep_blank_values=True):
            self.values.setdefault(key, value)
        self._dry_run = [v for k, v in parse_qsl(request.query_string) if k == "dryRun"]
        self._user_agent = request.headers.get("User-Agent", "unknown")

    def get(self, key: str, default: str = "") -> str:
        return self.values.get(key, default)

    def has(self, key: str) -> bool:
        return key in self.values

    def int(self, key: str) -> int | None:
        return query_int(key, self.values.get(key))

    def bool(self, key: str) -> bool:
        return self.values.get(key, "").lower() in ("true", "1")

    def dry_run(self) -> bool:
        return check_dry_run([v for value in self._dry_run for v in value.split(",") if v])

    def field_manager(self) -> str:
        """fieldManager, or (as the apiserver defaults it) the User-Agent up to its first '/'."""
        manager = self.values.get("fieldManager")
        if manager:
            if len(manager) > 128:
                raise errors.bad_request("fieldManager: Too long: may not be more than 128 bytes")
            return manager
        return self._user_agent.split("/")[0][:128] or "unknown"

    def write_options(self, warnings: list[str], *, apply: bool = False, with_manager: bool = True) -> WriteOptions:
        """Create, update, patch and eviction options: fieldValidation defaults to Warn over HTTP, as on
        kube-apiserver; a server-side apply takes its fieldManager from the query only, an eviction none."""
        dry_run = self.dry_run()
        if not with_manager:
            return WriteOptions(dry_run, "", self.get("fieldValidation", "Warn"), warnings=warnings)
        manager = self.get("fieldManager") if apply else self.field_manager()
        return WriteOptions(dry_run, manager, self.get("fieldValidation", "Warn"), self.bool("force"),
                            warnings=warnings)

    def delete_options(self, body) -> DeleteOptions:
        """The body's DeleteOptions (JSON, YAML or protobuf), with the query's parameters taking precedence."""
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise errors.bad_request("json: cannot unmarshal into Go value of type v1.DeleteOptions")
        body = dict(body)
        if self.has("gracePeriodSeconds"):
            body["gracePeriodSeconds"] = self.int("gracePeriodSeconds")
        if self.get("propagationPolicy"):
            body["propagationPolicy"] = self.get("propagationPolicy")
        if self.has("orphanDependents"):
            body["orphanDependents"] = self.get("orphanDependents")
        options = DeleteOptions.from_body(body)
        return replace(options, dry_run=self.dry_run() or options.dry_run)


# the body -------------------------------------------------------------------------------------------------------
async def body(request: web.Request, *, yaml_ok: bool = True, allow_empty: bool = False, kind: str = ""):
    """The request's body, parsed. `kind` is the kind a create or update expects: a body that is no JSON then gets
    the apiserver's `the object provided is unrecognized (must be of type <kind>): ...` with the body summarized."""
    data = await request.read()
    if not data.strip():
        if allow_empty:
            return None
        raise errors.bad_request("the body of the request was empty")
    content_type = request.content_type
    if content_type in ("application/yaml", "application/apply-patch+yaml") and yaml_ok:
        return _yaml(data)
    if content_type == protobuf.CONTENT_TYPE:
        return protobuf.decode(data)
    if content_type.startswith("application/vnd.kubernetes.protobuf"):
        raise errors.unsupported_media_type(content_type)
    try:
        return json.loads(data)
    except UnicodeDecodeError:
        raise errors.bad_request("the body of the request is not valid UTF-8") from None
    except RecursionError:
        raise errors.bad_request("couldn't get version/kind; json parse error: exceeded max depth") from None
    except ValueError as e:
        if content_type in ("application/json", "application/octet-stream", "") or content_type.endswith("+json"):
            why = decoding.go_json_error(e) if isinstance(e, json.JSONDecodeError) else str(e)
            if kind:
                raise errors.bad_request(f"the object provided is unrecognized (must be of type {kind}): couldn't "
                                         f"get version/kind; json parse error: {why} ({decoding.summarize(data)})"
                                         ) from None
            raise errors.bad_request(f"couldn't get version/kind; json parse error: {why}") from None
        return _yaml(data)


class _JSONCompatibleLoader(yaml.SafeLoader):
    """YAML as kube-apiserver reads it (YAML to JSON): timestamps stay strings, not datetime objects."""


_JSONCompatibleLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _yaml(data: bytes):
    try:
        value = yaml.load(data, Loader=_JSONCompatibleLoader)  # a SafeLoader
        json.dumps(value)  # what JSON cannot hold (a self-referencing alias, binary, sets) is the client's error
        return value
    except (yaml.YAMLError, UnicodeDecodeError, ValueError, TypeError, RecursionError) as e:
        raise errors.bad_request(f"error converting YAML to JSON: {str(e).splitlines()[0]}") from None


# the Accept header ----------------------------------------------------------------------------------------------
def _accepted(request: web.Request) -> list[dict[str, str]]:
    """The Accept header's media ranges, each as {"type": ..., parameter: value}."""
    ranges = []
    for item in request.headers.get("Accept", "").split(","):
        parts = [f.strip() for f in item.split(";")]
        entry = {"type": parts[0]}
        for param in parts[1:]:
            key, _, value = param.partition("=")
            entry[key.strip()] = value.strip()
        ranges.append(entry)
    return ranges


def table_request(request: web.Request) -> dict | None:
    """Table options when the client asks for `application/json;as=Table;g=meta.k8s.io;v=v1`, else None.
    Like kube-apiserver, the server prints wide and kubectl hides priority-1 columns unless `-o wide`."""
    for entry in _accepted(request):
        if entry.get("as") == "Table" and entry.get("g") == "meta.k8s.io" and entry.get("v") in TABLE_VERSIONS:
            return {"wide": True, "include_object": request.query.get("includeObject") or "Metadata"}
    return None


def wants_aggregated(request: web.Request) -> bool:
    return any(e.get("as") == "APIGroupDiscoveryList" and e.get("g") == "apidiscovery.k8s.io" and e.get("v") == "v2"
               for e in _accepted(request))
