"""apiregistration.k8s.io/v1 APIService validation, as kube-aggregator's ValidateAPIService words it, and the
priorities kube-apiserver gives the APIServices of its built-in groups (pkg/controlplane apiVersionPriorities)."""
from __future__ import annotations

from . import field_errors as fe, names
from .errors import Cause

# (group, version) -> (groupPriorityMinimum, versionPriority) of the local APIServices
PRIORITIES = {
    ("", "v1"): (18000, 1), ("apiregistration.k8s.io", "v1"): (18000, 15),
    ("authentication.k8s.io", "v1"): (17700, 15), ("authorization.k8s.io", "v1"): (17600, 15),
    ("apps", "v1"): (17800, 15), ("autoscaling", "v1"): (17500, 15), ("autoscaling", "v2"): (17500, 30),
    ("batch", "v1"): (17400, 15), ("policy", "v1"): (17100, 15), ("rbac.authorization.k8s.io", "v1"): (17000, 15),
    ("storage.k8s.io", "v1"): (16800, 15), ("apiextensions.k8s.io", "v1"): (16700, 15),
    ("scheduling.k8s.io", "v1"): (16600, 15), ("discovery.k8s.io", "v1"): (16200, 15),
}
CRD_PRIORITY = (1000, 100)  # the crdregistration controller's for a CRD's group-version


def validate_api_service(obj: dict, old: dict | None) -> list[Cause]:
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    causes: list[Cause] = []
    name = (obj.get("metadata") or {}).get("name") or ""
    group, version = str(spec.get("group") or ""), str(spec.get("version") or "")
    expected = f"{version}.{group}"
    if name and not names.path_segment_name(name) and "." not in name:
        causes.append(fe.invalid("metadata.name", name, "must be in the form: version.group"))
    elif name and name != expected:
        causes.append(fe.invalid("metadata.name", name,
                                 "must be `spec.version+\".\"+spec.group`: " + fe.go_quote(expected)))
    if not group and version != "v1":
        causes.append(fe.required("spec.group", "only v1 may have an empty group and it better be legacy kube"))
    if group:
        causes += [fe.invalid("spec.group", group, m) for m in names.dns1123_subdomain(group)]
    causes += [fe.invalid("spec.version", version, m) for m in names.dns1035_label(version)]
    group_priority, version_priority = spec.get("groupPriorityMinimum", 0), spec.get("versionPriority", 0)
    if not isinstance(group_priority, int) or not 0 < group_priority <= 20000:
        causes.append(fe.invalid("spec.groupPriorityMinimum", group_priority, "must be positive and less than 20000"))
    if not isinstance(version_priority, int) or not 0 < version_priority <= 1000:
        causes.append(fe.invalid("spec.versionPriority", version_priority, "must be positive and less than 1000"))
    service, ca_bundle, insecure = spec.get("service"), spec.get("caBundle"), spec.get("insecureSkipTLSVerify")
    if service is None:
        if ca_bundle:
            causes.append(fe.invalid("spec.caBundle", ca_bundle, "local APIServices may not have a caBundle"))
        if insecure:
            causes.append(fe.invalid("spec.insecureSkipTLSVerify", insecure,
                                     "local APIServices may not have insecureSkipTLSVerify"))
        return causes
    if isinstance(service, dict):
        if not service.get("namespace"):
            causes.append(fe.required("spec.service.namespace", ""))
        if not service.get("name"):
            causes.append(fe.required("spec.service.name", ""))
        port = service.get("port", 443)
        if isinstance(port, int) and not 1 <= port <= 65535:
            causes.append(fe.invalid("spec.service.port", port, "must be a valid port number"))
    if insecure and ca_bundle:
        causes.append(fe.invalid("spec.insecureSkipTLSVerify", insecure, "may not be true if caBundle is present"))
    return causes
