"""A container's environment as the kubelet builds it (makeEnvironmentVariables), from the pod, the Services,
ConfigMaps and Secrets it refers to, and the node.

    env = container_environment(pod, pod["spec"]["containers"][0], pod_ip="10.244.1.5", host_ip="172.18.0.3",
                                services=all_services, config_maps={("shop", "settings"): cm},
                                secrets={}, node_allocatable=node["status"]["allocatable"])
    # [("LOG_LEVEL", "info"), ..., ("KUBERNETES_SERVICE_HOST", "10.96.0.1"), ...]

Precedence, as the kubelet applies it: `envFrom` sources in order (a later source wins a name), then `env` in
order (it wins over envFrom; `$(VAR)` in a value sees envFrom and the variables declared before it, then the
service variables), then the service variables for names nothing else set. The kubelet hands the runtime a Go
map, so its order is arbitrary; here it is envFrom and env in the order first set, then the service variables.

A ConfigMap, Secret or key that is missing and not optional raises ContainerConfigError with the kubelet's
message: the container then waits with reason CreateContainerConfigError and that message, and the kubelet
records a Failed event "Error: <message>". Pure: no I/O."""
from __future__ import annotations

import base64
from typing import Iterable, Mapping

from sandbox.runtime import downward_api
from sandbox.runtime.expansion import expand, lookup_in

CREATE_CONTAINER_CONFIG_ERROR = "CreateContainerConfigError"
MASTER_SERVICES = ("kubernetes",)  # their variables reach every pod, enableServiceLinks or not

Lookup = Mapping[tuple[str, str], dict]  # (namespace, name) -> ConfigMap or Secret


class ContainerConfigError(Exception):
    """The kubelet cannot build the container's configuration; `message` is what it says."""
    reason = CREATE_CONTAINER_CONFIG_ERROR

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# Service links (pkg/kubelet/envvars) -----------------------------------------------------------------------------
def variable_name(service_name: str) -> str:
    """`containo-orders-cache` -> `CONTAINO_ORDERS_CACHE`; a leading digit gets an underscore."""
    name = service_name.replace(".", "_").replace("-", "_").upper()
    return "_" + name if name[:1].isdigit() else name


def has_cluster_ip(service: dict) -> bool:
    ip = (service.get("spec") or {}).get("clusterIP") or ""
    return ip not in ("", "None")


def service_variables(service: dict) -> list[tuple[str, str]]:
    """One Service's variables, in the kubelet's order: the host, the first port, each named port, then the
    Docker-link ones (`_PORT`, and per port `_PORT_<port>_<PROTO>` with its `_PROTO`, `_PORT` and `_ADDR`)."""
    spec = service.get("spec") or {}
    ip, ports = spec.get("clusterIP") or "", spec.get("ports") or []
    if not ports:
        return []
    prefix = variable_name(service["metadata"]["name"])
    out = [(f"{prefix}_SERVICE_HOST", ip), (f"{prefix}_SERVICE_PORT", str(ports[0].get("port")))]
    out += [(f"{prefix}_SERVICE_PORT_{variable_name(p['name'])}", str(p.get("port"))) for p in ports if p.get("name")]
    for index, p in enumerate(ports):
        protocol = p.get("protocol") or "TCP"
        url = f"{protocol.lower()}://{ip}:{p.get('port')}"
        if index == 0:
            out.append((f"{prefix}_PORT", url))
        link = f"{prefix}_PORT_{p.get('port')}_{protocol.upper()}"
        out += [(link, url), (f"{link}_PROTO", protocol.lower()), (f"{link}_PORT", str(p.get("port"))),
                (f"{link}_ADDR", ip)]
    return out


def service_links(services: Iterable[dict], namespace: str, enable_service_links: bool = True) -> dict[str, str]:
    """The variables of the Services a pod in `namespace` sees (getServiceEnvVarMap): the `kubernetes` Service
    of the default namespace always, the namespace's own Services with a cluster IP when service links are on
    (a Service of the pod's namespace named `kubernetes` takes the name over)."""
    chosen: dict[str, dict] = {}
    for service in sorted(services, key=lambda s: (s["metadata"].get("namespace") != namespace,
                                                   s["metadata"]["name"])):
        meta = service["metadata"]
        if not has_cluster_ip(service):
            continue
        if meta.get("namespace") == "default" and meta["name"] in MASTER_SERVICES:
            chosen.setdefault(meta["name"], service)
        elif meta.get("namespace") == namespace and enable_service_links:
            chosen[meta["name"]] = service
    variables: dict[str, str] = {}
    for name in sorted(chosen):
        variables.update(service_variables(chosen[name]))
    return variables


# ConfigMaps and Secrets -------------------------------------------------------------------------------------------
def _source(lookup: Lookup, kind: str, namespace: str, name: str, optional: bool) -> dict | None:
    """The ConfigMap or Secret; None when it is missing and optional; else the kubelet's NotFound."""
    found = lookup.get((namespace, name))
    if found is None and not optional:
        raise ContainerConfigError(f'{kind} "{name}" not found')  # the kubelet's managers say configmap/secret
    return found


def _config_map_data(config_map: dict) -> dict[str, str]:
    return dict(config_map.get("data") or {})


def _secret_data(secret: dict) -> dict[str, str]:
    # Go hands the bytes over as they are; undecodable bytes survive as surrogates (os.fsencode restores them)
    return {key: base64.b64decode(value).decode("utf-8", "surrogateescape")
            for key, value in (secret.get("data") or {}).items()}


def _from_sources(container: dict, namespace: str, config_maps: Lookup, secrets: Lookup) -> dict[str, str]:
    """envFrom: every key of each source, prefixed; a key that is no C identifier passes as it is (the
    relaxed environment variable names of 1.34 and later: the kubelet no longer skips any)."""
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        if source.get("configMapRef") is not None:
            ref, kind, lookup, read = source["configMapRef"], "configmap", config_maps, _config_map_data
        elif source.get("secretRef") is not None:
            ref, kind, lookup, read = source["secretRef"], "secret", secrets, _secret_data
        else:
            continue
        found = _source(lookup, kind, namespace, ref.get("name") or "", bool(ref.get("optional")))
        if found is not None:
            prefix = source.get("prefix") or ""
            env.update({prefix + key: value for key, value in read(found).items()})
    return env


def _key(ref: dict, kind: str, label: str, namespace: str, lookup: Lookup, read) -> str | None:
    """configMapKeyRef / secretKeyRef: the value, None to leave the variable out (optional and missing)."""
    name, key, optional = ref.get("name") or "", ref.get("key") or "", bool(ref.get("optional"))
    found = _source(lookup, kind, namespace, name, optional)
    if found is None:
        return None
    data = read(found)
    if key not in data:
        if optional:
            return None
        raise ContainerConfigError(f"couldn't find key {key} in {label} {namespace}/{name}")
    return data[key]


# the environment ---------------------------------------------------------------------------------------------------
def container_environment(pod: dict, container: dict, *, pod_ip: str, host_ip: str, services: Iterable[dict],
                          config_maps: Lookup, secrets: Lookup, node_allocatable: dict) -> list[tuple[str, str]]:
    """The container's variables in the order described above; raises ContainerConfigError."""
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    namespace = meta.get("namespace") or "default"
    links = service_links(services, namespace, spec.get("enableServiceLinks", True) is not False)
    env = _from_sources(container, namespace, config_maps, secrets)
    lookup = lookup_in(env, links)  # reads `env` as it grows: a value sees the variables declared before it
    for variable in container.get("env") or []:
        name, value, source = variable.get("name") or "", variable.get("value") or "", variable.get("valueFrom")
        if value:
            value = expand(value, lookup)
        elif source:
            value = _value_from(pod, container, source, namespace, pod_ip=pod_ip, host_ip=host_ip,
                                config_maps=config_maps, secrets=secrets, node_allocatable=node_allocatable)
            if value is None:
                continue
        env[name] = value
    return list(env.items()) + [(name, value) for name, value in links.items() if name not in env]


def _value_from(pod: dict, container: dict, source: dict, namespace: str, *, pod_ip: str, host_ip: str,
                config_maps: Lookup, secrets: Lookup, node_allocatable: dict) -> str | None:
    try:
        if source.get("fieldRef") is not None:
            return downward_api.field_ref_value(pod, source["fieldRef"], pod_ips=[pod_ip] if pod_ip else [],
                                                host_ips=[host_ip] if host_ip else [])
        if source.get("resourceFieldRef") is not None:
            return downward_api.resource_field_ref_value(pod, container, source["resourceFieldRef"],
                                                         node_allocatable=node_allocatable)
    except (downward_api.DownwardAPIError, ValueError) as e:
        raise ContainerConfigError(str(e)) from None
    if source.get("configMapKeyRef") is not None:
        return _key(source["configMapKeyRef"], "configmap", "ConfigMap", namespace, config_maps, _config_map_data)
    if source.get("secretKeyRef") is not None:
        return _key(source["secretKeyRef"], "secret", "Secret", namespace, secrets, _secret_data)
    return ""  # a source the sandbox does not know (fileKeyRef): the variable is set, empty
