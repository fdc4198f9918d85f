"""ValidatePodSpec and friends (pkg/apis/core/validation): the checks a learner's pod or pod template meets,
with the real paths and messages. Paths are built as strings: `spec.template.spec.containers[0].image`."""
from __future__ import annotations

from . import field_errors as fe, labels, meta_validation, names, quantity
from .errors import Cause

RESTART_POLICIES = ("Always", "OnFailure", "Never")
DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
PROTOCOLS = ("SCTP", "TCP", "UDP")
TERMINATION_MESSAGE_POLICIES = ("File", "FallbackToLogsOnError")
STANDARD_CONTAINER_RESOURCES = ("cpu", "memory", "ephemeral-storage")
_OVERCOMMIT = ("cpu", "memory", "ephemeral-storage")
_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
_VOLUME_SOURCES_MAX = 1
UPDATE_FORBIDDEN = ("pod updates may not change fields other than `spec.containers[*].image`,"
                    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions "
                    "to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it "
                    "was previously negative)")


def _d(value) -> dict:
    return value if isinstance(value, dict) else {}


def _l(value) -> list:
    return value if isinstance(value, list) else []


def _s(value) -> str:
    return value if isinstance(value, str) else ""


def validate_pod(pod: dict, old: dict | None) -> list[Cause]:
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        return [fe.required("spec", "")]
    causes = pod_spec(spec, "spec")
    if old is not None:
        causes += _pod_update(spec, _d(old.get("spec")))
    return causes


def pod_template(template, path: str) -> list[Cause]:
    """ValidatePodTemplateSpec: template labels and annotations, then the pod spec."""
    if not isinstance(template, dict):
        return [fe.required(path, "")]
    meta = _d(template.get("metadata"))
    causes = labels.validate_labels(meta.get("labels"), f"{path}.metadata.labels")
    causes += meta_validation.annotations(meta.get("annotations"), f"{path}.metadata.annotations")
    return causes + pod_spec(_d(template.get("spec")), f"{path}.spec")


def pod_spec(spec: dict, path: str) -> list[Cause]:
    causes, volumes = _volumes(_l(spec.get("volumes")), f"{path}.volumes")
    containers = _l(spec.get("containers"))
    if not containers:
        causes.append(fe.required(f"{path}.containers", ""))
    names_seen: set[str] = set()
    for i, container in enumerate(_l(spec.get("initContainers"))):
        causes += _container(_d(container), f"{path}.initContainers[{i}]", volumes, names_seen, init=True)
    for i, container in enumerate(containers):
        causes += _container(_d(container), f"{path}.containers[{i}]", volumes, names_seen, init=False)
    causes += _enum(spec, "restartPolicy", RESTART_POLICIES, path, required=True)
    causes += _enum(spec, "dnsPolicy", DNS_POLICIES, path, required=True)
    causes += labels.validate_labels(spec.get("nodeSelector"), f"{path}.nodeSelector")
    account = _s(spec.get("serviceAccountName"))
    if account:
        causes += [fe.invalid(f"{path}.serviceAccountName", account, m) for m in names.dns1123_subdomain(account)]
    deadline = spec.get("activeDeadlineSeconds")
    if isinstance(deadline, int) and not 0 < deadline <= 2**31 - 1:
        causes.append(fe.invalid(f"{path}.activeDeadlineSeconds", deadline,
                                 "must be between 1 and 2147483647, inclusive"))
    for i, toleration in enumerate(_l(spec.get("tolerations"))):
        causes += _toleration(_d(toleration), f"{path}.tolerations[{i}]")
    return causes


def _enum(obj: dict, key: str, allowed, path: str, required: bool = False) -> list[Cause]:
    value = obj.get(key)
    if value in (None, ""):
        return [fe.required(f"{path}.{key}", "")] if required else []
    if value not in allowed:
        return [fe.not_supported(f"{path}.{key}", value, allowed)]
    return []


def _volumes(volumes: list, path: str) -> tuple[list[Cause], set[str]]:
    causes, seen = [], set()
    for i, volume in enumerate(volumes):
        volume = _d(volume)
        name = _s(volume.get("name"))
        where = f"{path}[{i}]"
        if not name:
            causes.append(fe.required(f"{where}.name", ""))
        else:
            causes += [fe.invalid(f"{where}.name", name, m) for m in names.dns1123_label(name)]
            if name in seen:
                causes.append(fe.duplicate(f"{where}.name", name))
            seen.add(name)
        sources = [k for k in volume if k != "name"]
        if len(sources) > _VOLUME_SOURCES_MAX:
            causes.append(fe.forbidden(f"{where}.{sources[1]}", "may not specify more than 1 volume type"))
        elif not sources:
            causes.append(fe.required(where, "must specify a volume type"))
    return causes, seen


def _container(c: dict, path: str, volumes: set[str], seen: set[str], init: bool) -> list[Cause]:
    causes = []
    name = _s(c.get("name"))
    if not name:
        causes.append(fe.required(f"{path}.name", ""))
    else:
        causes += [fe.invalid(f"{path}.name", name, m) for m in names.dns1123_label(name)]
        if name in seen:
            causes.append(fe.duplicate(f"{path}.name", name))
        seen.add(name)
    if not _s(c.get("image")).strip():
        causes.append(fe.required(f"{path}.image", ""))
    causes += _enum(c, "imagePullPolicy", PULL_POLICIES, path, required=True)
    causes += _enum(c, "terminationMessagePolicy", TERMINATION_MESSAGE_POLICIES, path, required=True)
    causes += _ports(_l(c.get("ports")), f"{path}.ports")
    causes += _env(_l(c.get("env")), f"{path}.env")
    causes += _resources(_d(c.get("resources")), f"{path}.resources")
    causes += _volume_mounts(_l(c.get("volumeMounts")), f"{path}.volumeMounts", volumes)
    for probe_name in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = c.get(probe_name)
        if isinstance(probe, dict):
            if init and c.get("restartPolicy") != "Always":
                causes.append(fe.forbidden(f"{path}.{probe_name}", "may not be set for init containers without "
                                           "restartPolicy=Always"))
                continue
            causes += _probe(probe, f"{path}.{probe_name}", must_succeed_once=probe_name != "readinessProbe")
    return causes


def _ports(ports: list, path: str) -> list[Cause]:
    causes, seen = [], set()
    for i, port in enumerate(ports):
        port, where = _d(port), f"{path}[{i}]"
        name = _s(port.get("name"))
        if name:
            problems = names.iana_svc_name(name)
            if problems:
                causes += [fe.invalid(f"{where}.name", name, m) for m in problems]
            elif name in seen:
                causes.append(fe.duplicate(f"{where}.name", name))
            seen.add(name)
        number = port.get("containerPort")
        if not number:
            causes.append(fe.required(f"{where}.containerPort", ""))
        else:
            causes += [fe.invalid(f"{where}.containerPort", number, m) for m in names.port_range(number)]
        host = port.get("hostPort")
        if host:
            causes += [fe.invalid(f"{where}.hostPort", host, m) for m in names.port_range(host)]
        causes += _enum(port, "protocol", PROTOCOLS, where, required=True)
    return causes


def _env(env: list, path: str) -> list[Cause]:
    causes = []
    for i, var in enumerate(env):
        var, where = _d(var), f"{path}[{i}]"
        name = _s(var.get("name"))
        if not name:
            causes.append(fe.required(f"{where}.name", ""))
        else:
            causes += [fe.invalid(f"{where}.name", name, m) for m in names.env_var_name(name)]
        source = var.get("valueFrom")
        if isinstance(source, dict):
            if var.get("value"):
                causes.append(fe.invalid(f"{where}.valueFrom", "", "may not be specified when `value` is not empty"))
            chosen = [k for k in ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef", "fileKeyRef")
                      if source.get(k) is not None]
            if not chosen:
                causes.append(fe.invalid(f"{where}.valueFrom", "", "must specify one of: `fieldRef`, "
                                         "`resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"))
            elif len(chosen) > 1:
                causes.append(fe.invalid(f"{where}.valueFrom", "", "may not have more than one field specified "
                                         "at a time"))
    return causes


def _resources(resources: dict, path: str) -> list[Cause]:
    causes = []
    limits = _d(resources.get("limits"))
    requests = _d(resources.get("requests"))
    parsed: dict[str, dict] = {"limits": {}, "requests": {}}
    for kind, values in (("limits", limits), ("requests", requests)):
        for name, value in values.items():
            where = f"{path}.{kind}[{name}]"
            causes += _resource_name(str(name), where)
            try:
                amount = quantity.parse_quantity(value)
            except quantity.QuantityError as e:
                causes.append(fe.invalid(where, str(value), str(e)))
                continue
            parsed[kind][name] = amount
            if amount < 0:
                causes.append(fe.invalid(where, quantity.canonical(value), "must be greater than or equal to 0"))
    for name, amount in parsed["requests"].items():
        limit = parsed["limits"].get(name)
        shown = quantity.canonical(requests[name])
        if limit is None:
            if name not in _OVERCOMMIT:
                causes.append(fe.required(f"{path}.limits", "Limit must be set for non overcommitable resources"))
            continue
        if name not in _OVERCOMMIT and amount != limit:
            causes.append(fe.invalid(f"{path}.requests", shown, f"must be equal to {name} limit of "
                                     f"{quantity.canonical(limits[name])}"))
        elif amount > limit:
            causes.append(fe.invalid(f"{path}.requests", shown, f"must be less than or equal to {name} limit of "
                                     f"{quantity.canonical(limits[name])}"))
    return causes


def _resource_name(name: str, where: str) -> list[Cause]:
    problems = names.qualified_name(name)
    if problems:
        return [fe.invalid(where, name, m) for m in problems]
    if "/" not in name and name not in STANDARD_CONTAINER_RESOURCES and not name.startswith("hugepages-"):
        return [fe.invalid(where, name, "must be a standard resource for containers")]
    return []


def _volume_mounts(mounts: list, path: str, volumes: set[str]) -> list[Cause]:
    causes, paths = [], set()
    for i, mount in enumerate(mounts):
        mount, where = _d(mount), f"{path}[{i}]"
        name = _s(mount.get("name"))
        if not name:
            causes.append(fe.required(f"{where}.name", ""))
        elif name not in volumes:
            causes.append(fe.not_found(f"{where}.name", name))
        mount_path = _s(mount.get("mountPath"))
        if not mount_path:
            causes.append(fe.required(f"{where}.mountPath", ""))
        elif mount_path in paths:
            causes.append(fe.invalid(f"{where}.mountPath", mount_path, "must be unique"))
        paths.add(mount_path)
    return causes


def _probe(probe: dict, path: str, must_succeed_once: bool) -> list[Cause]:
    causes = []
    handlers = [h for h in _HANDLERS if probe.get(h) is not None]
    if not handlers:
        causes.append(fe.required(path, "must specify a handler type"))
    elif len(handlers) > 1:
        causes.append(fe.forbidden(f"{path}.{handlers[1]}", "may not specify more than 1 handler type"))
    for key in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"):
        value = probe.get(key)
        if isinstance(value, int) and value < 0:
            causes.append(fe.invalid(f"{path}.{key}", value, "must be greater than or equal to 0"))
    if must_succeed_once and probe.get("successThreshold") not in (None, 1):
        causes.append(fe.invalid(f"{path}.successThreshold", probe["successThreshold"], "must be 1"))
    http = probe.get("httpGet")
    if isinstance(http, dict):
        causes += _port_ref(http.get("port"), f"{path}.httpGet.port")
        if http.get("scheme") not in (None, "HTTP", "HTTPS"):
            causes.append(fe.not_supported(f"{path}.httpGet.scheme", http["scheme"], ("HTTP", "HTTPS")))
    tcp = probe.get("tcpSocket")
    if isinstance(tcp, dict):
        causes += _port_ref(tcp.get("port"), f"{path}.tcpSocket.port")
    return causes


def _port_ref(port, path: str) -> list[Cause]:
    """A port given as a number (1-65535) or as a container port's name."""
    if isinstance(port, int):
        return [fe.invalid(path, port, m) for m in names.port_range(port)]
    if isinstance(port, str) and port:
        return [fe.invalid(path, port, m) for m in names.iana_svc_name(port)]
    return [fe.required(path, "")]


_TOLERATION_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def _toleration(t: dict, path: str) -> list[Cause]:
    causes = []
    key = _s(t.get("key"))
    if key:
        causes += [fe.invalid(f"{path}.key", key, m) for m in names.qualified_name(key)]
    operator = t.get("operator") or "Equal"
    if operator not in ("Equal", "Exists"):
        causes.append(fe.not_supported(f"{path}.operator", operator, ("Equal", "Exists")))
    elif operator == "Exists" and t.get("value"):
        causes.append(fe.invalid(f"{path}.operator", t["value"], "value must be empty when `operator` is 'Exists'"))
    elif operator == "Equal" and not key:
        causes.append(fe.invalid(f"{path}.operator", operator, "operator must be Exists when `key` is empty, which "
                                 "means \"match all values and all keys\""))
    effect = t.get("effect")
    if effect and effect not in _TOLERATION_EFFECTS:
        causes.append(fe.not_supported(f"{path}.effect", effect, _TOLERATION_EFFECTS))
    if t.get("tolerationSeconds") is not None and effect != "NoExecute":
        causes.append(fe.invalid(f"{path}.effect", effect or "", "effect must be 'NoExecute' when "
                                 "`tolerationSeconds` is set"))
    return causes


def _pod_update(spec: dict, old: dict) -> list[Cause]:
    """ValidatePodUpdate: besides images, deadlines and added tolerations, a pod's spec is frozen."""
    if len(_l(spec.get("containers"))) != len(_l(old.get("containers"))):
        return [fe.forbidden("spec.containers", "pod updates may not add or remove containers")]
    munged = _mutable_view(spec, old)
    if munged == old:
        return []
    return [fe.forbidden("spec", UPDATE_FORBIDDEN + "\n" + _spec_diff(old, munged))]


def _mutable_view(spec: dict, old: dict) -> dict:
    """The new spec with the fields an update may change copied from the old one."""
    munged = dict(spec)
    for key in ("containers", "initContainers"):
        new_list, old_list = _l(spec.get(key)), _l(old.get(key))
        if new_list and len(new_list) == len(old_list):
            munged[key] = [{**_d(n), "image": _d(o).get("image")} if isinstance(n, dict) else n
                           for n, o in zip(new_list, old_list)]
    if "activeDeadlineSeconds" in old:
        munged["activeDeadlineSeconds"] = old["activeDeadlineSeconds"]
    else:
        munged.pop("activeDeadlineSeconds", None)
    old_tolerations = _l(old.get("tolerations"))
    new_tolerations = _l(spec.get("tolerations"))
    if all(t in new_tolerations for t in old_tolerations):
        if old_tolerations:
            munged["tolerations"] = old_tolerations
        else:
            munged.pop("tolerations", None)
    grace, old_grace = spec.get("terminationGracePeriodSeconds"), old.get("terminationGracePeriodSeconds")
    if isinstance(old_grace, int) and old_grace < 0 and grace == 1:
        munged["terminationGracePeriodSeconds"] = old_grace
    return munged


def _spec_diff(old: dict, new: dict) -> str:
    """A short account of what changed (the real message embeds a cmp.Diff of core.PodSpec)."""
    lines = ["  core.PodSpec{"]
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            lines.append(f"- \t{key}: {fe.go_value(old.get(key)) if not isinstance(old.get(key), (dict, list)) else '...'},")
            lines.append(f"+ \t{key}: {fe.go_value(new.get(key)) if not isinstance(new.get(key), (dict, list)) else '...'},")
    lines.append("  }")
    return "\n".join(lines) + "\n"
