"""kube-scheduler's decision for one pod as pure functions: the filter plugins the default profile runs, in
its order (NodeUnschedulable, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit; the first failing
plugin decides a node's reason), the FitError message with the preemption post-filter's note, and a score that
spreads a workload's replicas over nodes before filling the least allocated one."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from sandbox.machinery import quantity

UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"
NONZERO_CPU = 100  # millicores the scorer assumes for a container without requests
NONZERO_MEMORY = 200 * 1024 * 1024


@dataclass
class NodeInfo:
    node: dict
    requested: dict = field(default_factory=dict)  # resource -> amount (cpu in millicores)
    pods: int = 0
    owners: dict = field(default_factory=dict)  # controller uid -> pods of it on this node
    host_ports: set = field(default_factory=set)  # (protocol, hostIP, port)

    _allocatable: dict | None = None
    # The verdicts of the filters that read only the node object (unschedulable, taints, affinity), by the
    # pod's constraints_key: a 1,000-replica deployment asks the same question of each node 1,000 times.
    static: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.node["metadata"]["name"]

    def set_node(self, node: dict) -> None:
        if _static_view(node) != _static_view(self.node):
            self.static = {}
        self.node, self._allocatable = node, None

    def static_verdict(self, pod: dict, key: str | None = None) -> "Verdict | None":
        key = constraints_key(pod) if key is None else key
        if key not in self.static:
            self.static[key] = static_verdict(pod, self.node)
        return self.static[key]

    def allocatable(self) -> dict:
        if self._allocatable is None:
            out = {}
            for name, value in ((self.node.get("status") or {}).get("allocatable") or {}).items():
                try:
                    out[name] = quantity.parse_cpu(value) if name == "cpu" else quantity.parse_memory(value)
                except (quantity.QuantityError, TypeError):
                    continue
            self._allocatable = out
        return self._allocatable

    def add(self, requests: dict, owner: str | None, ports: list, sign: int = 1) -> None:
        self.pods += sign
        for name, value in requests.items():
            self.requested[name] = self.requested.get(name, 0) + sign * value
        if owner:
            self.owners[owner] = self.owners.get(owner, 0) + sign
            if self.owners[owner] <= 0:
                del self.owners[owner]
        for port in ports:
            (self.host_ports.add if sign > 0 else self.host_ports.discard)(port)


@dataclass(frozen=True)
class Verdict:
    reasons: tuple[str, ...]  # empty: the pod fits
    unresolvable: bool = False  # preemption cannot help (taints, affinity, unschedulable node)


FITS = Verdict(())


# taints and tolerations -------------------------------------------------------------------------------------
def tolerates(toleration: dict, taint: dict) -> bool:
    """v1.Toleration.ToleratesTaint."""
    if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
        return False
    if toleration.get("key") and toleration["key"] != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return True
    return operator == "Equal" and (toleration.get("value") or "") == (taint.get("value") or "")


def untolerated_taint(taints: list, tolerations: list, effects=("NoSchedule", "NoExecute")) -> dict | None:
    for taint in taints or []:
        if taint.get("effect") in effects and not any(tolerates(t, taint) for t in tolerations or []):
            return taint
    return None


# node affinity ----------------------------------------------------------------------------------------------
def _requirement(expr: dict, values: dict) -> bool:
    key, op, wanted = expr.get("key"), expr.get("operator"), expr.get("values") or []
    has = key in values
    if op == "In":
        return has and values[key] in wanted
    if op == "NotIn":
        return not has or values[key] not in wanted
    if op == "Exists":
        return has
    if op == "DoesNotExist":
        return not has
    if op in ("Gt", "Lt") and has and wanted:
        try:
            actual, bound = int(values[key]), int(wanted[0])
        except ValueError:
            return False
        return actual > bound if op == "Gt" else actual < bound
    return False


def matches_node_affinity(pod: dict, node: dict) -> bool:
    """nodeSelector (every pair) and requiredDuringSchedulingIgnoredDuringExecution (any term, every
    expression; a term without expressions matches nothing)."""
    spec = pod.get("spec") or {}
    labels = node["metadata"].get("labels") or {}
    for key, value in (spec.get("nodeSelector") or {}).items():
        if labels.get(key) != value:
            return False
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution"))
    if not required:
        return True
    return matches_node_selector_terms(required.get("nodeSelectorTerms") or [], node)


def matches_node_selector_terms(terms: list, node: dict) -> bool:
    """A v1.NodeSelector's terms (any term, every expression; a term without expressions matches nothing), as
    required node affinity and a PersistentVolume's nodeAffinity use them."""
    labels = node["metadata"].get("labels") or {}
    fields = {"metadata.name": node["metadata"]["name"]}
    for term in terms:
        expressions, field_exprs = term.get("matchExpressions") or [], term.get("matchFields") or []
        if not expressions and not field_exprs:
            continue
        if all(_requirement(e, labels) for e in expressions) and all(_requirement(e, fields) for e in field_exprs):
            return True
    return False


# host ports -------------------------------------------------------------------------------------------------
def host_ports(pod: dict) -> list[tuple]:
    out = []
    for c in (pod.get("spec") or {}).get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("hostPort"):
                out.append((p.get("protocol") or "TCP", p.get("hostIP") or "0.0.0.0", p["hostPort"]))
    return out


def _port_conflict(wanted: list[tuple], used: set) -> bool:
    for protocol, ip, port in wanted:
        for u_protocol, u_ip, u_port in used:
            if (protocol, port) == (u_protocol, u_port) and (ip == u_ip or "0.0.0.0" in (ip, u_ip)):
                return True
    return False


# the filter -------------------------------------------------------------------------------------------------
def _static_view(node: dict) -> tuple:
    """What static_verdict reads of a node (a status heartbeat changes none of it)."""
    return node["metadata"]["name"], node["metadata"].get("labels"), node.get("spec")


def constraints_key(pod: dict) -> str:
    """What static_verdict reads of a pod, as one hashable value."""
    spec = pod.get("spec") or {}
    return json.dumps([spec.get("tolerations"), spec.get("nodeSelector"),
                       (spec.get("affinity") or {}).get("nodeAffinity")], sort_keys=True)


def static_verdict(pod: dict, node: dict) -> "Verdict | None":
    """NodeUnschedulable, TaintToleration and NodeAffinity: the node's failing verdict, or None."""
    spec = pod.get("spec") or {}
    tolerations = spec.get("tolerations") or []
    if (node.get("spec") or {}).get("unschedulable") and not any(
            tolerates(t, {"key": UNSCHEDULABLE_TAINT, "effect": "NoSchedule"}) for t in tolerations):
        return Verdict(("node(s) were unschedulable",), True)
    taint = untolerated_taint((node.get("spec") or {}).get("taints"), tolerations)
    if taint is not None:
        return Verdict((f"node(s) had untolerated taint {{{taint.get('key')}: {taint.get('value') or ''}}}",), True)
    if not matches_node_affinity(pod, node):
        return Verdict(("node(s) didn't match Pod's node affinity/selector",), True)
    return None


def insufficient(requests: dict, info: NodeInfo) -> list[str]:
    """NodeResourcesFit: pod count first, then cpu, memory and every other requested resource."""
    allocatable = info.allocatable()
    reasons = []
    if info.pods + 1 > allocatable.get("pods", 0):  # no `pods` entry: room for none
        reasons.append("Too many pods")
    for name in ["cpu", "memory"] + sorted(set(requests) - {"cpu", "memory"}):
        wanted = requests.get(name, 0)
        if wanted and wanted > allocatable.get(name, 0) - info.requested.get(name, 0):
            reasons.append(f"Insufficient {name}")
    return reasons


def filter_node(pod: dict, requests: dict, info: NodeInfo, key: str | None = None) -> Verdict:
    """The first failing filter's verdict; `key` is the pod's constraints_key when the caller has it."""
    static = info.static_verdict(pod, key)
    if static is not None:
        return static
    if info.host_ports and _port_conflict(host_ports(pod), info.host_ports):
        return Verdict(("node(s) didn't have free ports for the requested pod ports",))
    reasons = insufficient(requests, info)
    return Verdict(tuple(reasons)) if reasons else FITS


def fit_error(pod: dict, verdicts: dict[str, Verdict], pre_filter: str = "") -> str:
    """FitError.Error() plus the DefaultPreemption post-filter's message, reasons counted and sorted; a PreFilter
    plugin's rejection (`pre_filter`, every node unresolvable) replaces the counted reasons."""
    total = len(verdicts)
    if total == 0:
        return "no nodes available to schedule pods"
    counts: dict[str, int] = {}
    for verdict in verdicts.values():
        for reason in verdict.reasons:
            counts[reason] = counts.get(reason, 0) + 1
    found = pre_filter or ", ".join(sorted(f"{n} {r}" for r, n in counts.items()))
    message = f"0/{total} nodes are available: {found}."
    if (pod.get("spec") or {}).get("preemptionPolicy") == "Never":
        return message + " preemption: not eligible due to preemptionPolicy=Never."
    helpless = sum(1 for v in verdicts.values() if v.unresolvable)
    notes = []
    if helpless:
        notes.append(f"{helpless} Preemption is not helpful for scheduling")
    if total - helpless:
        notes.append(f"{total - helpless} No preemption victims found for incoming pod")
    return message + f" preemption: 0/{total} nodes are available: " + ", ".join(sorted(notes)) + "."


# the score --------------------------------------------------------------------------------------------------
def _nonzero(requests: dict) -> tuple[int, int]:
    return requests.get("cpu") or NONZERO_CPU, requests.get("memory") or NONZERO_MEMORY


def rank(requests: dict, owner: str | None, info: NodeInfo) -> tuple:
    """Lower is better: fewer replicas of the same workload on the node (the default topology spreading),
    then the least allocated node (NodeResourcesFit LeastAllocated), fewer pods, then the name."""
    allocatable = info.allocatable()
    cpu, memory = _nonzero(requests)
    free = []
    for name, wanted in (("cpu", cpu), ("memory", memory)):
        capacity = allocatable.get(name) or 1
        free.append(max(capacity - info.requested.get(name, 0) - wanted, 0) / capacity)
    same = info.owners.get(owner, 0) if owner else 0
    return (same, -sum(free) / 2, info.pods, info.name)


def pick(pod: dict, requests: dict, owner: str | None, infos: list[NodeInfo],
         volumes=None) -> tuple[str | None, dict]:
    """(the chosen node or None, each node's verdict). `volumes(node)`: the VolumeBinding filter's reason, or None."""
    key = constraints_key(pod)
    verdicts = {info.name: filter_node(pod, requests, info, key) for info in infos}
    if volumes is not None:
        for info in infos:
            if not verdicts[info.name].reasons and (reason := volumes(info.node)):
                verdicts[info.name] = Verdict((reason,), True)  # VolumeBinding: UnschedulableAndUnresolvable
    feasible = [info for info in infos if not verdicts[info.name].reasons]
    if not feasible:
        return None, verdicts
    return min(feasible, key=lambda info: rank(requests, owner, info)).name, verdicts


def pod_requests(pod: dict) -> dict[str, int]:
    """What the scheduler accounts for a pod (resourcehelper.PodRequests): the sum over containers, at least
    the largest init container (restartable init containers add up like containers), plus overhead. cpu in
    millicores, memory and others in their base unit."""
    spec = pod.get("spec") or {}
    total: dict[str, int] = {}
    for c in spec.get("containers") or []:
        _add(total, _requests(c))
    sidecars: dict[str, int] = {}
    for c in spec.get("initContainers") or []:
        requests = _requests(c)
        if c.get("restartPolicy") == "Always":
            _add(sidecars, requests)
            _add(total, requests)
            continue
        with_sidecars = dict(sidecars)
        _add(with_sidecars, requests)
        for name, value in with_sidecars.items():
            total[name] = max(total.get(name, 0), value)
    _add(total, _parse(spec.get("overhead") or {}))
    return total


def _requests(container: dict) -> dict[str, int]:
    resources = container.get("resources") or {}
    merged = dict(resources.get("limits") or {})
    merged.update(resources.get("requests") or {})  # requests default to limits
    return _parse(merged)


def _parse(values: dict) -> dict[str, int]:
    out = {}
    for name, value in values.items():
        try:
            out[name] = quantity.parse_cpu(value) if name == "cpu" else quantity.parse_memory(value)
        except (quantity.QuantityError, TypeError):
            continue
    return out


def _add(into: dict, more: dict) -> None:
    for name, value in more.items():
        into[name] = into.get(name, 0) + value
