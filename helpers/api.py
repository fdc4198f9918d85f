"""A thin layer over the official client's ApiClient that speaks plain dicts.

The helpers work on any kind of object (a Deployment, a KEDA ScaledObject) the way kubectl does: find the
resource through discovery, then GET / PATCH / DELETE / watch its path. Using the ApiClient keeps the
kubeconfig handling (CA data, bearer tokens, client certificates) of the official client.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines

from .errors import NoSuchKind

TIMEOUT = 30  # seconds for one ordinary request


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    singular: str = ""
    short_names: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """kubectl's name for the type: `deployment.apps`, `service`, `scaledobject.keda.sh`."""
        return f"{self.kind.lower()}.{self.group}" if self.group else self.kind.lower()

    def path(self, namespace: str | None = None, name: str | None = None, subresource: str = "") -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        if name:
            base += f"/{name}"
        if subresource:
            base += f"/{subresource}"
        return base


class Api:
    def __init__(self, client: ApiClient):
        self.client = client
        self._discovered: dict[str, list[Resource]] = {}
        self._preferred: list[str] | None = None

    # --- requests ---------------------------------------------------------------------------------------------

    def _send(self, method: str, path: str, params: dict | None, body, content_type: str | None, timeout,
              accept: str = "application/json"):
        headers = {"Accept": accept}
        if content_type:
            headers["Content-Type"] = content_type
        query = [(k, v) for k, v in (params or {}).items() if v not in (None, "")]
        request = self.client.param_serialize(method, path, query_params=query, header_params=headers, body=body,
                                              auth_settings=["BearerToken"])
        return self.client.call_api(*request, _request_timeout=timeout)

    def request(self, method: str, path: str, *, params: dict | None = None, body=None,
                content_type: str | None = None, timeout=TIMEOUT, accept: str = "application/json") -> dict:
        """One request; returns the decoded JSON body, raises ApiException (with the Status body) on errors."""
        if body is not None and content_type is None:
            content_type = "application/json"
        response = self._send(method, path, params, body, content_type, timeout, accept)
        data = response.read()
        text = data.decode("utf-8", errors="replace") if data else ""
        if not 200 <= response.status <= 299:
            raise ApiException(status=response.status, reason=response.reason, body=text)
        return json.loads(text) if text else {}

    def get(self, path: str, **params) -> dict:
        return self.request("GET", path, params=params)

    def stream(self, path: str, params: dict, timeout: float) -> Iterator[dict]:
        """Watch events from `path` (a list path; `watch=true` is added) until the server ends the watch."""
        params = {**params, "watch": "true", "timeoutSeconds": str(max(1, int(timeout)))}
        response = self._send("GET", path, params, None, None, (10, timeout + 10))
        if not 200 <= response.status <= 299:
            data = response.read()
            raise ApiException(status=response.status, reason=response.reason,
                               body=data.decode("utf-8", errors="replace"))
        raw = response.response
        try:
            for line in iter_resp_lines(raw):
                if line.strip():
                    yield json.loads(line)
        finally:
            raw.release_conn()

    # --- discovery --------------------------------------------------------------------------------------------

    def resources(self, api_version: str) -> list[Resource]:
        """The resources served under one group/version (cached), [] if the cluster does not serve it."""
        if api_version not in self._discovered:
            group, _, version = api_version.rpartition("/")
            path = f"/apis/{api_version}" if group else f"/api/{version}"
            try:
                listing = self.get(path)
            except ApiException as exc:
                if exc.status != 404:
                    raise
                listing = {"resources": []}
            self._discovered[api_version] = [
                Resource(group, version, r["kind"], r["name"], bool(r.get("namespaced")), r.get("singularName") or "",
                         tuple(r.get("shortNames") or ()))
                for r in listing.get("resources") or [] if "/" not in r["name"]]
        return self._discovered[api_version]

    def preferred_versions(self) -> list[str]:
        """Every group's preferred group/version, the core group's v1 first (cached)."""
        if self._preferred is None:
            groups = self.get("/apis").get("groups") or []
            self._preferred = ["v1"] + [g["preferredVersion"]["groupVersion"] for g in groups
                                        if g.get("preferredVersion")]
        return self._preferred

    def named(self, name: str) -> Resource:
        """The resource `kubectl get <name>` means on this cluster: a plural, singular or short name or a kind (any
        case), optionally qualified by its group (`deployments.apps`), looked up in discovery as kubectl does:
        the core group first, then the other groups' preferred versions."""
        wanted, _, group = name.lower().partition(".")
        for api_version in self.preferred_versions():
            for res in self.resources(api_version):
                if group and res.group != group:
                    continue
                if wanted in (res.plural, res.singular, res.kind.lower(), *res.short_names):
                    return res
        raise NoSuchKind(f"unknown kind {name!r}: the cluster serves no resource of that name "
                         "(`kubectl api-resources` lists the ones it serves)")

    def resource(self, api_version: str, kind: str) -> Resource:
        for res in self.resources(api_version):
            if res.kind == kind:
                return res
        raise NoSuchKind(f'no matches for kind "{kind}" in version "{api_version}"\n'
                         f"ensure CRDs are installed first")

    # --- objects ----------------------------------------------------------------------------------------------

    def read(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> dict | None:
        """The object, or None when it does not exist."""
        res = self.resource(api_version, kind)
        try:
            return self.get(res.path(namespace, name))
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def list(self, api_version: str, kind: str, namespace: str | None = None, *, label_selector: str = "",
             field_selector: str = "") -> dict:
        """The <Kind>List (items and metadata.resourceVersion)."""
        res = self.resource(api_version, kind)
        return self.get(res.path(namespace), labelSelector=label_selector, fieldSelector=field_selector)

    def items(self, api_version: str, kind: str, namespace: str | None = None, **selectors) -> list[dict]:
        return self.list(api_version, kind, namespace, **selectors).get("items") or []
