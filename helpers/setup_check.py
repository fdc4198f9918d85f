"""Chapter 00's checkpoint: can the cluster `connect()` chose run the workshop?

    check_setup()

It asks the API server what the chapters need: that it is ready (/readyz), that it serves the API groups the
chapters use, that every node is Ready, and that some node accepts your pods (a control plane tainted NoSchedule
does not). Each line says ok or FAIL; the last line says PASS, or what is missing. The judging is pure
(setup_checks: what was read in, lines out), so it is tested without a cluster.
"""
from __future__ import annotations

from dataclasses import dataclass

from kubernetes.client.exceptions import ApiException

from .api import TIMEOUT
from .cluster import Connection, current, friendly

# The API groups the chapters use, and who serves them on a real cluster.
NEEDED_GROUPS = [
    ("apps", "Deployments and ReplicaSets (apps), chapters 02-06"),
    ("discovery.k8s.io", "EndpointSlices (discovery.k8s.io), chapters 04-05"),
    ("autoscaling", "HorizontalPodAutoscalers (autoscaling), chapter 06"),
    ("metrics.k8s.io", "the metrics API (metrics.k8s.io, from metrics-server), chapter 06"),
    ("keda.sh", "ScaledObjects (keda.sh, from KEDA), chapter 06"),
]


@dataclass(frozen=True)
class Line:
    ok: bool
    what: str


def _ready(node: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (node.get("status") or {}).get("conditions") or [])


def _accepts_pods(node: dict) -> bool:
    spec = node.get("spec") or {}
    return not spec.get("unschedulable") and not any(t.get("effect") == "NoSchedule" for t in spec.get("taints") or [])


def setup_checks(readyz: str | None, groups: set[str], nodes: list[dict]) -> tuple[list[Line], list[str]]:
    """(one line per check, the problems a learner must fix) from /readyz's answer, the served API groups and the
    nodes (pure)."""
    lines = [Line(readyz == "ok", "the API server answers /readyz" if readyz == "ok"
                  else f"the API server is not ready: /readyz says {readyz or 'nothing'}")]
    lines += [Line(group in groups, what) for group, what in NEEDED_GROUPS]
    ready = [n for n in nodes if _ready(n)]
    lines.append(Line(bool(nodes) and len(ready) == len(nodes), f"every node is Ready ({len(ready)} of {len(nodes)})"))
    workers = [n["metadata"]["name"] for n in ready if _accepts_pods(n)]
    lines.append(Line(bool(workers), f"{len(workers)} Ready node{'s' if len(workers) != 1 else ''} accept"
                                     f"{'s' if len(workers) == 1 else ''} pods (not tainted NoSchedule)"))
    problems = [line.what for line in lines if not line.ok]
    if not workers:
        problems[-1] = "no Ready node accepts pods: every node is tainted NoSchedule, cordoned or not Ready"
    return lines, problems


def _readyz(conn: Connection) -> str:
    """/readyz's answer: "ok" when the API server is ready (plain text, not JSON)."""
    try:
        response = conn.api._send("GET", "/readyz", None, None, None, TIMEOUT, accept="text/plain")
    except ApiException as exc:
        return (exc.body or exc.reason or "").strip()
    return (response.read() or b"").decode("utf-8", errors="replace").strip()


def setup_report(readyz: str | None, groups: set[str], nodes: list[dict]) -> str:
    """What check_setup() prints: one line per check, then PASS or NOT YET with what to fix (pure)."""
    lines, problems = setup_checks(readyz, groups, nodes)
    out = [f"[{' ok ' if line.ok else 'FAIL'}] {line.what}" for line in lines]
    if problems:
        return "\n".join(out + ["NOT YET  Setup checkpoint:"] + [f"  - {p}" for p in problems])
    workers = sum(1 for n in nodes if _ready(n) and _accepts_pods(n))
    return "\n".join(out + [f"PASS  Setup checkpoint: connected, and {workers} worker node"
                            f"{'s' if workers != 1 else ''} accept{'s' if workers == 1 else ''} pods."])


@friendly
def check_setup() -> None:
    """Chapter 00's checkpoint: print each check (ok or FAIL), then PASS or what is missing."""
    conn = current()
    groups = {g["name"] for g in conn.api.get("/apis").get("groups") or []}
    print(setup_report(_readyz(conn), groups, conn.api.items("v1", "Node")))
