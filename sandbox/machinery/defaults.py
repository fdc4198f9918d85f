"""What kube-apiserver 1.37 fills in on create and update: the generated defaulters of each API version
(pkg/apis/<group>/<version>/defaults.go, applied to every nested type wherever it appears) plus the admission
plugins every real cluster runs on pods (ServiceAccount, DefaultTolerationSeconds, Priority).

Each kind's registration (sandbox/registry/kinds/) names its set_*_defaults function; the Registry applies it on
create and update. Not defaults (the registry does them): cluster IPs and node ports, uid/timestamps, pod status on
create, namespace spec.finalizers. The admission plugins' additions (admit_pod) run after managedFields are
computed, as on kube-apiserver, so that they are nobody's. KEDA's ScaledObject CRD declares no defaults: the operator treats unset fields as
SCALED_OBJECT_DEFAULTS, so they are exported for controllers rather than written into objects."""
from __future__ import annotations

import base64
import random

from . import quantity

SCALED_OBJECT_DEFAULTS = {"pollingInterval": 30, "cooldownPeriod": 300, "minReplicaCount": 0,
                          "maxReplicaCount": 100}
HPA_DEFAULT_CPU_UTILIZATION = 80
SERVICE_ACCOUNT_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # utilrand.String's alphabet
_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_VOLUME_MODE_SOURCES = ("secret", "configMap", "projected", "downwardAPI")


def _d(value) -> dict:
    return value if isinstance(value, dict) else {}


def _items(value) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


# --- core/v1 ---------------------------------------------------------------------------------------------------
def set_pod_defaults(pod: dict) -> None:
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        return
    _pod_spec(spec)
    for container in _items(spec.get("containers")) + _items(spec.get("initContainers")):
        _requests_from_limits(container)  # SetDefaults_Pod only: not for templates
    spec.setdefault("enableServiceLinks", True)


def admit_pod(pod: dict, old: dict | None) -> None:
    """Two of the mutating admission plugins every real cluster runs on pods, after managedFields are computed (so
    the fields they add have no manager): ServiceAccount (on create) and DefaultTolerationSeconds. Priority reads
    the PriorityClasses: the pod's registration runs it (registry/kinds/pod.py)."""
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        return
    if old is None:
        _admit_service_account(pod, spec)
    _admit_default_tolerations(spec)


def _requests_from_limits(container: dict) -> None:
    resources = container.get("resources")
    if not isinstance(resources, dict) or not isinstance(resources.get("limits"), dict):
        return
    requests = resources.setdefault("requests", {})
    if isinstance(requests, dict):
        for name, value in resources["limits"].items():
            requests.setdefault(name, value)


def _pod_spec(spec: dict) -> None:
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("restartPolicy", "Always")
    if spec.get("securityContext") is None:
        spec["securityContext"] = {}
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("schedulerName", "default-scheduler")
    # v1 keeps the deprecated serviceAccount mirroring serviceAccountName.
    if not spec.get("serviceAccountName") and spec.get("serviceAccount"):
        spec["serviceAccountName"] = spec["serviceAccount"]
    if spec.get("serviceAccountName"):
        spec["serviceAccount"] = spec["serviceAccountName"]
    for container in _items(spec.get("containers")) + _items(spec.get("initContainers")):
        _container(container, spec.get("hostNetwork") is True)
    for volume in _items(spec.get("volumes")):
        _volume(volume)


def _container(container: dict, host_network: bool) -> None:
    if not container.get("imagePullPolicy"):
        container["imagePullPolicy"] = "Always" if _image_tag(container.get("image")) == "latest" \
            else "IfNotPresent"
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    if not isinstance(container.get("resources"), dict):
        container["resources"] = {}
    _resource_lists(container["resources"])
    for port in _items(container.get("ports")):
        port.setdefault("protocol", "TCP")
        if host_network and not port.get("hostPort") and port.get("containerPort"):
            port["hostPort"] = port["containerPort"]
    for probe in (_d(container.get(p)) for p in _PROBES):
        if probe:
            _probe(probe)
    for lifecycle_handler in _d(container.get("lifecycle")).values():
        _handler(_d(lifecycle_handler))
    for env in _items(container.get("env")):
        _field_ref(_d(_d(env.get("valueFrom")).get("fieldRef")))


def _image_tag(image) -> str:
    """The tag parsers.ParseImageName finds: "latest" when neither tag nor digest is given."""
    if not isinstance(image, str) or not image:
        return "latest"
    if "@" in image:
        return ""
    last = image.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else "latest"


def _resource_lists(resources: dict) -> None:
    """SetDefaults_ResourceList: quantities rounded up to milli precision."""
    for key in ("limits", "requests"):
        values = resources.get(key)
        if not isinstance(values, dict):
            continue
        for name, value in values.items():
            try:
                millis = (quantity.parse_quantity(value) * 1000)
            except quantity.QuantityError:
                continue
            if millis != millis.to_integral_value():
                values[name] = quantity.canonical(f"{int(millis.to_integral_value(rounding='ROUND_CEILING'))}m")


def _probe(probe: dict) -> None:
    probe.setdefault("timeoutSeconds", 1)
    probe.setdefault("periodSeconds", 10)
    probe.setdefault("successThreshold", 1)
    probe.setdefault("failureThreshold", 3)
    _handler(probe)


def _handler(handler: dict) -> None:
    http = handler.get("httpGet")
    if isinstance(http, dict):
        http.setdefault("path", "/")
        http.setdefault("scheme", "HTTP")


def _field_ref(ref: dict) -> None:
    if ref:
        ref.setdefault("apiVersion", "v1")


def _volume(volume: dict) -> None:
    sources = [k for k in volume if k != "name"]
    if not sources:
        volume["emptyDir"] = {}
    for key in _VOLUME_MODE_SOURCES:
        source = volume.get(key)
        if isinstance(source, dict):
            source.setdefault("defaultMode", 420)
    for projection in _items(_d(volume.get("projected")).get("sources")):
        token = projection.get("serviceAccountToken")
        if isinstance(token, dict):
            token.setdefault("expirationSeconds", 3600)
    for item in _items(_d(volume.get("downwardAPI")).get("items")):
        _field_ref(_d(item.get("fieldRef")))


def _admit_service_account(pod: dict, spec: dict) -> None:
    """ServiceAccount admission: serviceAccountName `default` and the projected API token volume."""
    if not spec.get("serviceAccountName"):
        spec["serviceAccountName"] = spec["serviceAccount"] = "default"
    if spec.get("automountServiceAccountToken") is False:
        return
    containers = _items(spec.get("containers")) + _items(spec.get("initContainers"))
    if any(m.get("mountPath") == SERVICE_ACCOUNT_MOUNT for c in containers for m in _items(c.get("volumeMounts"))):
        return
    volumes = spec.get("volumes") if isinstance(spec.get("volumes"), list) else []
    name = next((v["name"] for v in _items(volumes) if str(v.get("name", "")).startswith("kube-api-access-")),
                None)
    if name is None:
        name = "kube-api-access-" + "".join(random.choice(_NAME_CHARS) for _ in range(5))
        volumes.append(_token_volume(name))
        spec["volumes"] = volumes
    for container in containers:
        mounts = container.get("volumeMounts") if isinstance(container.get("volumeMounts"), list) else []
        mounts.append({"name": name, "readOnly": True, "mountPath": SERVICE_ACCOUNT_MOUNT})
        container["volumeMounts"] = mounts


def _token_volume(name: str) -> dict:
    return {"name": name, "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1",
                                                                      "fieldPath": "metadata.namespace"}}]}},
    ]}}


def _admit_default_tolerations(spec: dict) -> None:
    """DefaultTolerationSeconds admission: tolerate not-ready/unreachable nodes for 300s."""
    tolerations = spec.get("tolerations") if isinstance(spec.get("tolerations"), list) else []
    for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
        if not any(isinstance(t, dict) and t.get("key") == key and t.get("effect") in ("NoExecute", "", None)
                   for t in tolerations):
            tolerations.append({"key": key, "operator": "Exists", "effect": "NoExecute",
                                "tolerationSeconds": 300})
    spec["tolerations"] = tolerations


def set_service_defaults(svc: dict) -> None:
    spec = svc.get("spec")
    if not isinstance(spec, dict):
        return
    spec.setdefault("sessionAffinity", "None")
    if spec["sessionAffinity"] == "ClientIP":
        config = spec.setdefault("sessionAffinityConfig", {})
        if isinstance(config, dict):
            client_ip = config.setdefault("clientIP", {})
            if isinstance(client_ip, dict):
                client_ip.setdefault("timeoutSeconds", 10800)
    spec.setdefault("type", "ClusterIP")
    kind = spec["type"]
    for port in _items(spec.get("ports")):
        port.setdefault("protocol", "TCP")
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port.get("port")
    if kind in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if kind != "ExternalName":
        spec.setdefault("internalTrafficPolicy", "Cluster")
        headless_without_selector = spec.get("clusterIP") == "None" and not spec.get("selector")
        spec.setdefault("ipFamilyPolicy", "RequireDualStack" if headless_without_selector else "SingleStack")
        spec.setdefault("ipFamilies", ["IPv4"])
    if kind == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)
    for ingress in _items(_d(_d(svc.get("status")).get("loadBalancer")).get("ingress")):
        if ingress.get("ip"):
            ingress.setdefault("ipMode", "VIP")


def set_namespace_defaults(ns: dict) -> None:
    status = ns.get("status")
    if status is None:
        ns["status"] = status = {}
    if isinstance(status, dict) and not status.get("phase"):
        status["phase"] = "Active"


def merge_string_data(secret: dict) -> None:
    """v1 conversion: stringData is write-only, merged into data (base64, stringData winning) and never stored or
    returned."""
    string_data = secret.pop("stringData", None)
    if isinstance(string_data, dict) and string_data:
        data = secret.get("data") if isinstance(secret.get("data"), dict) else {}
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        secret["data"] = data


def set_secret_defaults(secret: dict) -> None:
    if not secret.get("type"):
        secret["type"] = "Opaque"
    merge_string_data(secret)


def set_endpoints_defaults(ep: dict) -> None:
    for subset in _items(ep.get("subsets")):
        for port in _items(subset.get("ports")):
            port.setdefault("protocol", "TCP")


def set_endpoint_slice_defaults(slice_: dict) -> None:
    for port in _items(slice_.get("ports")):
        port.setdefault("name", "")
        port.setdefault("protocol", "TCP")


def set_event_defaults(event: dict) -> None:
    # core/v1 Event serializes these without omitempty
    event.setdefault("eventTime", None)
    event.setdefault("reportingComponent", "")
    event.setdefault("reportingInstance", "")


def set_node_defaults(node: dict) -> None:
    status = node.get("status")
    if isinstance(status, dict) and "capacity" in status and "allocatable" not in status:
        status["allocatable"] = dict(status["capacity"]) if isinstance(status["capacity"], dict) else {}


# --- apps/v1 ---------------------------------------------------------------------------------------------------
def _template(spec: dict) -> None:
    template = spec.get("template")
    if isinstance(template, dict) and isinstance(template.get("spec"), dict):
        _pod_spec(template["spec"])


def set_deployment_defaults(deploy: dict) -> None:
    spec = deploy.get("spec")
    if not isinstance(spec, dict):
        return
    spec.setdefault("replicas", 1)
    strategy = spec.get("strategy")
    if not isinstance(strategy, dict):
        spec["strategy"] = strategy = {}
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.get("rollingUpdate")
        if not isinstance(rolling, dict):
            strategy["rollingUpdate"] = rolling = {}
        rolling.setdefault("maxUnavailable", "25%")
        rolling.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    _template(spec)


def set_replica_set_defaults(rs: dict) -> None:
    spec = rs.get("spec")
    if isinstance(spec, dict):
        spec.setdefault("replicas", 1)
        _template(spec)


# --- autoscaling -----------------------------------------------------------------------------------------------
def hpa_scale_up_rules() -> dict:
    return {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
        {"type": "Pods", "value": 4, "periodSeconds": 15}, {"type": "Percent", "value": 100, "periodSeconds": 15}]}


def hpa_scale_down_rules() -> dict:
    """No stabilizationWindowSeconds: the controller's --horizontal-pod-autoscaler-downscale-stabilization
    (300s) applies when it is unset."""
    return {"selectPolicy": "Max", "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}


def _hpa_v2(hpa: dict) -> None:
    if hpa.get("status") is None:  # a zero HorizontalPodAutoscalerStatus still serializes desiredReplicas
        hpa["status"] = {"desiredReplicas": 0}
    spec = hpa.get("spec")
    if not isinstance(spec, dict):
        return
    spec.setdefault("minReplicas", 1)
    if not spec.get("metrics"):
        spec["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": HPA_DEFAULT_CPU_UTILIZATION}}}]
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):  # only filled in when the user gave a behavior
        for key, make in (("scaleUp", hpa_scale_up_rules), ("scaleDown", hpa_scale_down_rules)):
            rules = make()
            rules.update({k: v for k, v in _d(behavior.get(key)).items() if v is not None})
            behavior[key] = rules


def _hpa_v1(hpa: dict) -> None:
    spec = hpa.get("spec")
    if isinstance(spec, dict):
        spec.setdefault("minReplicas", 1)


def apply_hpa_defaults(hpa: dict, version: str) -> None:
    (_hpa_v2 if version == "v2" else _hpa_v1)(hpa)


def set_hpa_defaults(hpa: dict) -> None:
    """The defaults of the HorizontalPodAutoscaler's own version (v2 unless it says v1)."""
    apply_hpa_defaults(hpa, str(hpa.get("apiVersion", "autoscaling/v2")).rpartition("/")[2])


def scaled_object_setting(scaled_object: dict, field: str):
    """A ScaledObject spec field as KEDA reads it: the value set, else KEDA's default."""
    value = _d(scaled_object.get("spec")).get(field)
    return SCALED_OBJECT_DEFAULTS.get(field) if value is None else value
