"""The columns `kubectl get` prints, computed from object dicts (pure: no cluster needed).

The rules follow kubectl's printers (k8s.io/kubernetes/pkg/printers/internalversion): the pod STATUS reason,
READY counts, RESTARTS with "(5m ago)", service EXTERNAL-IP `<pending>`, endpoints "+ N more...", and AGE from
apimachinery's HumanDuration. Volatile values keep the shapes kubectl gives them (ages like 42s / 3m12s,
dotted IPs, pod names ending in -<hash>-<5 chars>) so notebook output can be sanitised by pattern.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime, timezone

from .errors import WorkshopError


# --- time -------------------------------------------------------------------------------------------------------

def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def human_duration(seconds: float) -> str:
    """apimachinery's duration.HumanDuration: 45s, 2m5s, 15m, 3h20m, 10h, 2d4h, 30d, 2y10d."""
    seconds = int(seconds)
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        s = seconds % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def age(timestamp: str | None, now: datetime) -> str:
    """kubectl's translateTimestampSince: `<unknown>` for a missing timestamp."""
    when = parse_time(timestamp)
    return "<unknown>" if when is None else human_duration((now - when).total_seconds())


# --- the table object -------------------------------------------------------------------------------------------

@dataclass
class Table:
    """A kubectl-style table: text like `kubectl get` in a terminal, an HTML table in Jupyter."""
    title: str
    columns: list[str]
    rows: list[list[str]]
    empty_message: str = "No resources found."
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        if not self.rows:
            return self.empty_message
        return align([self.columns] + self.rows)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"{self.title}\n{self.text()}" if self.title else self.text()

    def _repr_html_(self) -> str:
        caption = f"<caption style='text-align:left'><b>{html.escape(self.title)}</b></caption>" if self.title else ""
        if not self.rows:
            return f"<table>{caption}<tr><td>{html.escape(self.empty_message)}</td></tr></table>"
        head = "".join(f"<th style='text-align:left'>{html.escape(c)}</th>" for c in self.columns)
        body = "".join("<tr>" + "".join(f"<td style='text-align:left'>{html.escape(v)}</td>" for v in row) + "</tr>"
                       for row in self.rows)
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def align(lines: list[list[str]]) -> str:
    """kubectl's tabwriter (min width 6, padding 3); the last column is not padded."""
    widths = [max(max(len(line[i]) for line in lines) + 3, 6) for i in range(len(lines[0]) - 1)]
    out = []
    for line in lines:
        cells = [cell.ljust(width) for cell, width in zip(line, widths)] + [line[-1]]
        out.append("".join(cells).rstrip())
    return "\n".join(out)


# --- per kind -----------------------------------------------------------------------------------------------------

def _meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def _restartable_init(container: dict | None) -> bool:
    return bool(container) and container.get("restartPolicy") == "Always"


def _terminated_reason(state: dict, prefix: str = "") -> str:
    if state.get("reason"):
        return prefix + state["reason"]
    if state.get("signal"):
        return f"{prefix}Signal:{state['signal']}"
    return f"{prefix}ExitCode:{state.get('exitCode', 0)}"


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None or (b is not None and b > a) else a


def _init_containers(pod: dict, reason: str) -> tuple[str, bool, int, list[tuple[int, datetime | None]]]:
    """kubectl's init-container pass: (reason, initializing, ready sidecars, [(restarts, last) for all init
    containers, (restarts, last) for restartable ones only])."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    by_name = {c["name"]: c for c in spec.get("initContainers") or []}
    ready, total = 0, len(spec.get("initContainers") or [])
    counts = [[0, None], [0, None]]  # all init containers, restartable (sidecar) init containers

    def count(cs: dict, which: int) -> None:
        finished = parse_time(((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))
        counts[which][0] += cs.get("restartCount", 0)
        counts[which][1] = _later(counts[which][1], finished)

    for i, cs in enumerate(status.get("initContainerStatuses") or []):
        count(cs, 0)
        sidecar = _restartable_init(by_name.get(cs.get("name")))
        if sidecar:
            count(cs, 1)
        state = cs.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated and terminated.get("exitCode", 0) == 0:
            continue
        if sidecar and cs.get("started"):
            ready += 1 if cs.get("ready") else 0
            continue
        if terminated:
            reason = _terminated_reason(terminated, "Init:")
        elif waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{total}"
        return reason, True, ready, [tuple(c) for c in counts]
    return reason, False, ready, [tuple(c) for c in counts]


def pod_status(pod: dict) -> tuple[str, str, int, datetime | None]:
    """(STATUS, READY, restarts, last restart time) the way `kubectl get pods` computes them."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    phase = status.get("phase") or "Pending"
    reason = status.get("reason") or phase
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    total = len(spec.get("containers") or []) + sum(
        1 for c in spec.get("initContainers") or [] if _restartable_init(c))
    reason, initializing, ready, counts = _init_containers(pod, reason)
    restarts, last = counts[0]
    initialized = any(c.get("type") == "Initialized" and c.get("status") == "True"
                      for c in status.get("conditions") or [])
    if not initializing or initialized:
        restarts, last = counts[1]  # regular init containers' restarts no longer count once initialised
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += cs.get("restartCount", 0)
            last = _later(last, parse_time(((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt")))
            state = cs.get("state") or {}
            if (state.get("waiting") or {}).get("reason"):
                reason = state["waiting"]["reason"]
            elif state.get("terminated"):
                reason = _terminated_reason(state["terminated"])
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            pod_ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                            for c in status.get("conditions") or [])
            reason = "Running" if pod_ready else "NotReady"
    if _meta(pod).get("deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif phase not in ("Succeeded", "Failed"):
            reason = "Terminating"
    return reason, f"{ready}/{total}", restarts, last


def pod_row(pod: dict, now: datetime, wide: bool = False) -> list[str]:
    reason, ready, restarts, last = pod_status(pod)
    restarts_text = str(restarts)
    if restarts and last is not None:
        restarts_text = f"{restarts} ({human_duration((now - last).total_seconds())} ago)"
    row = [_meta(pod).get("name", ""), ready, reason, restarts_text, age(_meta(pod).get("creationTimestamp"), now)]
    if wide:
        status, spec = pod.get("status") or {}, pod.get("spec") or {}
        ips = status.get("podIPs") or ([{"ip": status["podIP"]}] if status.get("podIP") else [])
        row += [ips[0]["ip"] if ips else "<none>", spec.get("nodeName") or "<none>",
                status.get("nominatedNodeName") or "<none>", _readiness_gates(pod)]
    return row


def _readiness_gates(pod: dict) -> str:
    gates = (pod.get("spec") or {}).get("readinessGates") or []
    if not gates:
        return "<none>"
    conditions = {c.get("type"): c.get("status") for c in (pod.get("status") or {}).get("conditions") or []}
    return f"{sum(1 for g in gates if conditions.get(g.get('conditionType')) == 'True')}/{len(gates)}"


def _containers_images_selector(obj: dict) -> list[str]:
    spec = obj.get("spec") or {}
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    return [",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers),
            format_label_selector(spec.get("selector") or {})]


def deployment_row(d: dict, now: datetime, wide: bool = False) -> list[str]:
    spec, status = d.get("spec") or {}, d.get("status") or {}
    row = [_meta(d).get("name", ""), f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
           str(status.get("updatedReplicas", 0)), str(status.get("availableReplicas", 0)),
           age(_meta(d).get("creationTimestamp"), now)]
    return row + _containers_images_selector(d) if wide else row


def replicaset_row(rs: dict, now: datetime, wide: bool = False) -> list[str]:
    spec, status = rs.get("spec") or {}, rs.get("status") or {}
    row = [_meta(rs).get("name", ""), str(spec.get("replicas", 1)), str(status.get("replicas", 0)),
           str(status.get("readyReplicas", 0)), age(_meta(rs).get("creationTimestamp"), now)]
    return row + _containers_images_selector(rs) if wide else row


def service_external_ip(svc: dict, wide: bool = False) -> str:
    spec = svc.get("spec") or {}
    kind = spec.get("type") or "ClusterIP"
    external = spec.get("externalIPs") or []
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) if external else "<none>"
    if kind == "ExternalName":
        return spec.get("externalName", "")
    ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    ips = [i.get("ip") or i.get("hostname") for i in ingress if i.get("ip") or i.get("hostname")]
    text = ",".join(ips)
    if not wide and len(text) > 16:  # kubectl's loadBalancerStatusStringer truncates narrow output
        text = text[:13] + "..."
    values = ([text] if text else []) + external
    return ",".join(values) if values else "<pending>"


def service_ports(svc: dict) -> str:
    ports = (svc.get("spec") or {}).get("ports") or []
    if not ports:
        return "<none>"
    parts = []
    for p in ports:
        port = f"{p.get('port')}:{p['nodePort']}" if p.get("nodePort") else str(p.get("port"))
        parts.append(f"{port}/{p.get('protocol', 'TCP')}")
    return ",".join(parts)


def service_row(svc: dict, now: datetime, wide: bool = False) -> list[str]:
    spec = svc.get("spec") or {}
    kind = spec.get("type") or "ClusterIP"
    row = [_meta(svc).get("name", ""), kind, spec.get("clusterIP") or "<none>", service_external_ip(svc, wide),
           service_ports(svc), age(_meta(svc).get("creationTimestamp"), now)]
    if wide:
        selector = spec.get("selector") or {}
        row.append(",".join(f"{k}={v}" for k, v in sorted(selector.items())) or "<none>")
    return row


def endpoints_addresses(ep: dict, limit: int = 3) -> str:
    """kubectl's formatEndpoints: ip:port pairs, the first three, then `+ N more...`."""
    pairs: list[str] = []
    count = 0
    for subset in ep.get("subsets") or []:
        ports = subset.get("ports") or [{}]
        for address in subset.get("addresses") or []:
            for port in ports:
                count += 1
                if len(pairs) < limit:
                    pairs.append(f"{address.get('ip')}:{port['port']}" if "port" in port else address.get("ip", ""))
    if not pairs:
        return "<none>"
    more = f" + {count - limit} more..." if count > limit else ""
    return ",".join(pairs) + more


def endpoints_row(ep: dict, now: datetime, wide: bool = False) -> list[str]:
    return [_meta(ep).get("name", ""), endpoints_addresses(ep), age(_meta(ep).get("creationTimestamp"), now)]


def endpointslice_row(es: dict, now: datetime, wide: bool = False) -> list[str]:
    ports = ",".join(str(p.get("port")) for p in es.get("ports") or [] if p.get("port") is not None) or "<unset>"
    addresses = [a for e in es.get("endpoints") or [] for a in e.get("addresses") or []]
    shown = ",".join(addresses[:3]) + (f" + {len(addresses) - 3} more..." if len(addresses) > 3 else "")
    return [_meta(es).get("name", ""), es.get("addressType", ""), ports, shown or "<unset>",
            age(_meta(es).get("creationTimestamp"), now)]


def node_row(node: dict, now: datetime, wide: bool = False) -> list[str]:
    status, spec, labels = node.get("status") or {}, node.get("spec") or {}, _meta(node).get("labels") or {}
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    state = "Unknown" if ready is None else ("Ready" if ready.get("status") == "True" else "NotReady")
    if spec.get("unschedulable"):
        state += ",SchedulingDisabled"
    roles = sorted({k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/") and "/" in k}
                   | ({labels["kubernetes.io/role"]} if labels.get("kubernetes.io/role") else set()))
    version = (status.get("nodeInfo") or {}).get("kubeletVersion", "")
    row = [_meta(node).get("name", ""), state, ",".join(r for r in roles if r) or "<none>",
           age(_meta(node).get("creationTimestamp"), now), version]
    if wide:
        addresses = {a.get("type"): a.get("address") for a in status.get("addresses") or []}
        info = status.get("nodeInfo") or {}
        row += [addresses.get("InternalIP", "<none>"), addresses.get("ExternalIP", "<none>"),
                info.get("osImage", ""), info.get("kernelVersion", ""), info.get("containerRuntimeVersion", "")]
    return row


def _metric_target(spec: dict, current: dict | None) -> str:
    """One HPA metric as kubectl shows it: `cpu: 45%/50%` (`<unknown>` until metrics arrive)."""
    resource = spec.get("resource") or {}
    target = resource.get("target") or {}
    now = ((current or {}).get("resource") or {}).get("current") or {}
    name = resource.get("name", spec.get("type", "").lower())
    if target.get("type") == "Utilization":
        value = f"{now['averageUtilization']}%" if "averageUtilization" in now else "<unknown>"
        return f"{name}: {value}/{target.get('averageUtilization')}%"
    want = target.get("averageValue", target.get("value", ""))
    value = now.get("averageValue", now.get("value", "<unknown>"))
    return f"{name}: {value}/{want}"


def hpa_row(hpa: dict, now: datetime, wide: bool = False) -> list[str]:
    spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    current = status.get("currentMetrics") or []
    targets = [_metric_target(m, current[i] if i < len(current) else None)
               for i, m in enumerate(spec.get("metrics") or [])]
    return [_meta(hpa).get("name", ""), f"{ref.get('kind', '')}/{ref.get('name', '')}",
            ", ".join(targets) or "<none>", str(spec.get("minReplicas", 1)), str(spec.get("maxReplicas", "")),
            str(status.get("currentReplicas", 0)), age(_meta(hpa).get("creationTimestamp"), now)]


def namespace_row(ns: dict, now: datetime, wide: bool = False) -> list[str]:
    return [_meta(ns).get("name", ""), (ns.get("status") or {}).get("phase", "Active"),
            age(_meta(ns).get("creationTimestamp"), now)]


def configmap_row(cm: dict, now: datetime, wide: bool = False) -> list[str]:
    count = len(cm.get("data") or {}) + len(cm.get("binaryData") or {})
    return [_meta(cm).get("name", ""), str(count), age(_meta(cm).get("creationTimestamp"), now)]


def _job_status(job: dict) -> str:
    """kubectl's Job STATUS: the first finished condition that holds, else Suspended, Terminating or Running."""
    for kind in ("Complete", "Failed", "FailureTarget", "SuccessCriteriaMet"):
        if _condition(job, kind) == "True":
            return kind
    if (job.get("spec") or {}).get("suspend"):
        return "Suspended"
    return "Terminating" if _meta(job).get("deletionTimestamp") else "Running"


def job_row(job: dict, now: datetime, wide: bool = False) -> list[str]:
    spec, status = job.get("spec") or {}, job.get("status") or {}
    succeeded = status.get("succeeded", 0)
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    elif (spec.get("parallelism") or 0) > 1:
        completions = f"{succeeded}/1 of {spec['parallelism']}"
    else:
        completions = f"{succeeded}/1"
    started, finished = parse_time(status.get("startTime")), parse_time(status.get("completionTime"))
    duration = "" if started is None else human_duration(((finished or now) - started).total_seconds())
    row = [_meta(job).get("name", ""), _job_status(job), completions, duration,
           age(_meta(job).get("creationTimestamp"), now)]
    return row + _containers_images_selector(job) if wide else row


def _condition(obj: dict, kind: str) -> str:
    found = next((c for c in (obj.get("status") or {}).get("conditions") or [] if c.get("type") == kind), None)
    return found.get("status", "Unknown") if found else "Unknown"


def scaledobject_row(so: dict, now: datetime, wide: bool = False) -> list[str]:
    """KEDA's printer columns (the ones learners use: target, min/max, ready, active, triggers)."""
    spec = so.get("spec") or {}
    target = spec.get("scaleTargetRef") or {}
    triggers = ",".join(t.get("type", "") for t in spec.get("triggers") or [])
    return [_meta(so).get("name", ""), target.get("kind", "Deployment") if target else "", target.get("name", ""),
            str(spec.get("minReplicaCount", 0)), str(spec.get("maxReplicaCount", 100)), _condition(so, "Ready"),
            _condition(so, "Active"), triggers, age(_meta(so).get("creationTimestamp"), now)]


def format_label_selector(selector: dict) -> str:
    """metav1.FormatLabelSelector: `a=b,c in (d,e)`; `<none>` for an empty selector."""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts) or "<none>"


@dataclass(frozen=True)
class Kind:
    """What show() needs to list and print one kind of object."""
    name: str  # plural, as in `kubectl get <name>`
    api_version: str
    kind: str
    columns: tuple[str, ...]
    wide_columns: tuple[str, ...]
    row: object  # (obj, now, wide) -> list[str]
    namespaced: bool = True


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("pods", "v1", "Pod", ("NAME", "READY", "STATUS", "RESTARTS", "AGE"),
         ("IP", "NODE", "NOMINATED NODE", "READINESS GATES"), pod_row),
    Kind("deployments", "apps/v1", "Deployment", ("NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"),
         ("CONTAINERS", "IMAGES", "SELECTOR"), deployment_row),
    Kind("replicasets", "apps/v1", "ReplicaSet", ("NAME", "DESIRED", "CURRENT", "READY", "AGE"),
         ("CONTAINERS", "IMAGES", "SELECTOR"), replicaset_row),
    Kind("services", "v1", "Service", ("NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"),
         ("SELECTOR",), service_row),
    Kind("endpoints", "v1", "Endpoints", ("NAME", "ENDPOINTS", "AGE"), (), endpoints_row),
    Kind("endpointslices", "discovery.k8s.io/v1", "EndpointSlice",
         ("NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"), (), endpointslice_row),
    Kind("nodes", "v1", "Node", ("NAME", "STATUS", "ROLES", "AGE", "VERSION"),
         ("INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"), node_row, False),
    Kind("horizontalpodautoscalers", "autoscaling/v2", "HorizontalPodAutoscaler",
         ("NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"), (), hpa_row),
    Kind("scaledobjects", "keda.sh/v1alpha1", "ScaledObject",
         ("NAME", "SCALETARGETKIND", "SCALETARGETNAME", "MIN", "MAX", "READY", "ACTIVE", "TRIGGERS", "AGE"), (),
         scaledobject_row),
    Kind("namespaces", "v1", "Namespace", ("NAME", "STATUS", "AGE"), (), namespace_row, False),
    Kind("configmaps", "v1", "ConfigMap", ("NAME", "DATA", "AGE"), (), configmap_row),
    Kind("jobs", "batch/v1", "Job", ("NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"),
         ("CONTAINERS", "IMAGES", "SELECTOR"), job_row),
)}

ALIASES = {"po": "pods", "pod": "pods", "deploy": "deployments", "deployment": "deployments",
           "rs": "replicasets", "replicaset": "replicasets", "svc": "services", "service": "services",
           "ep": "endpoints", "endpoint": "endpoints", "endpointslice": "endpointslices", "no": "nodes",
           "node": "nodes", "hpa": "horizontalpodautoscalers", "horizontalpodautoscaler": "horizontalpodautoscalers",
           "so": "scaledobjects", "scaledobject": "scaledobjects", "ns": "namespaces", "namespace": "namespaces",
           "cm": "configmaps", "configmap": "configmaps", "job": "jobs"}


def kind_named(name: str) -> Kind:
    key = ALIASES.get(name.lower(), name.lower())
    if key not in KINDS:
        raise WorkshopError(f"unknown kind {name!r}; the helpers know: {', '.join(KINDS)}")
    return KINDS[key]


def table(kind: Kind, objects: list[dict], *, now: datetime | None = None, wide: bool = False,
          namespace: str | None = None) -> Table:
    """The table `kubectl get <kind>` prints for these objects, sorted by name as kubectl sorts them."""
    now = now or datetime.now(timezone.utc)
    rows = [kind.row(obj, now, wide) for obj in sorted(objects, key=lambda o: _meta(o).get("name", ""))]
    columns = list(kind.columns) + (list(kind.wide_columns) if wide else [])
    where = f" in {namespace} namespace" if kind.namespaced and namespace else ""
    title = f"{kind.name}{' in ' + namespace if kind.namespaced and namespace else ''}"
    return Table(title, columns, rows, empty_message=f"No resources found{where}.")
