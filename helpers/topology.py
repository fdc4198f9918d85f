"""topology(): a picture of the namespace drawn from the live cluster.

    Deployment -> ReplicaSet -> Pods (with their containers) <- - Service

Arrows follow ownerReferences (deployment to replica set to pod) and Service selectors (service to the pods it
selects). The layout is deterministic (sorted by name and revision, no randomness), so the same cluster state
draws the same SVG, and the SVG is stored in the notebook where GitHub shows it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from sandbox.machinery.podutil import is_ready
from sandbox.printers.network import service_ports
from sandbox.printers.pods import pod_status

from . import selectors
from .cluster import current, friendly
from .display import in_notebook

CHAR = 7.4  # width of one character at the 12px monospace font used for names
MARGIN, GAP, COLUMN_GAP = 20, 12, 56
BOX_H, POD_H = 56, 66
FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace"
COLORS = {
    "deployment": ("#e8f0fe", "#3b6fd8"), "replicaset": ("#eef3fc", "#6d8fd6"), "service": ("#f3ecfb", "#8155c6"),
    "ready": ("#e7f6ec", "#2f9e55"), "pending": ("#fff7e0", "#c99a06"), "failing": ("#fdeaea", "#d23f3f"),
    "terminating": ("#f0f0f0", "#8a8a8a"),
}


# --- the model: who owns whom, who selects whom --------------------------------------------------------------

def _name(obj: dict) -> str:
    return obj["metadata"]["name"]


def _owned_by(obj: dict, owner: dict) -> bool:
    for ref in obj["metadata"].get("ownerReferences") or []:
        uid = owner["metadata"].get("uid")
        if ref.get("kind") == owner.get("kind", ref.get("kind")) and (
                ref.get("uid") == uid if uid and ref.get("uid") else ref.get("name") == _name(owner)):
            return True
    return False


def _revision(rs: dict) -> int:
    value = (rs["metadata"].get("annotations") or {}).get("deployment.kubernetes.io/revision", "0")
    return int(value) if value.isdigit() else 0


@dataclass
class Group:
    """One deployment (or none, for bare replica sets and pods) with its live replica sets and their pods."""
    deployment: dict | None
    replicasets: list[tuple[dict, list[dict]]] = field(default_factory=list)
    loose_pods: list[dict] = field(default_factory=list)  # pods no shown replica set owns
    old: int = 0  # replica sets scaled to zero with no pods left (rollout history)


def group(deployments: list[dict], replicasets: list[dict], pods: list[dict]) -> list[Group]:
    """Deployments sorted by name, each with its replica sets (newest revision first) and their pods."""
    pods = sorted(pods, key=_name)
    groups, used_rs, used_pods = [], set(), set()

    def take_pods(rs: dict) -> list[dict]:
        mine = [p for p in pods if _name(p) not in used_pods and _owned_by(p, {**rs, "kind": "ReplicaSet"})]
        used_pods.update(_name(p) for p in mine)
        return mine

    for d in sorted(deployments, key=_name):
        g = Group(d)
        owned = [rs for rs in replicasets if _owned_by(rs, {**d, "kind": "Deployment"})]
        for rs in sorted(owned, key=lambda r: (-_revision(r), _name(r))):
            used_rs.add(_name(rs))
            rs_pods = take_pods(rs)
            if rs_pods or (rs.get("spec") or {}).get("replicas", 1) > 0:
                g.replicasets.append((rs, rs_pods))
            else:
                g.old += 1
        groups.append(g)
    for rs in sorted((r for r in replicasets if _name(r) not in used_rs), key=_name):
        groups.append(Group(None, [(rs, take_pods(rs))]))
    loose = [p for p in pods if _name(p) not in used_pods]
    if loose:
        groups.append(Group(None, loose_pods=loose))
    return groups


def pod_look(pod: dict) -> str:
    reason = pod_status(pod).reason
    if pod["metadata"].get("deletionTimestamp"):
        return "terminating"
    if is_ready(pod):
        return "ready"
    if reason in ("Pending", "ContainerCreating", "PodInitializing") or reason.startswith("Init:"):
        return "pending"
    return "failing" if reason not in ("Running",) else "pending"


# --- drawing ------------------------------------------------------------------------------------------------------

@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def left(self) -> tuple[float, float]:
        return self.x, self.y + self.h / 2

    @property
    def right(self) -> tuple[float, float]:
        return self.x + self.w, self.y + self.h / 2


def _text(x: float, y: float, text: str, size: int = 12, weight: str = "normal", color: str = "#222") -> str:
    return (f'<text x="{x:.0f}" y="{y:.0f}" font-size="{size}" font-weight="{weight}" fill="{color}">'
            f"{escape(text)}</text>")


def _rect(box: Box, look: str, dashed: bool = False) -> str:
    fill, stroke = COLORS[look]
    dash = ' stroke-dasharray="5,3"' if dashed else ""
    return (f'<rect x="{box.x:.0f}" y="{box.y:.0f}" width="{box.w:.0f}" height="{box.h:.0f}" rx="6" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"{dash}/>')


def _arrow(start: tuple[float, float], end: tuple[float, float], color: str, dashed: bool = False) -> str:
    (x1, y1), (x2, y2) = start, end
    mid = (x1 + x2) / 2
    dash = ' stroke-dasharray="6,4"' if dashed else ""
    marker = "svc-arrow" if dashed else "arrow"
    return (f'<path d="M{x1:.0f},{y1:.0f} C{mid:.0f},{y1:.0f} {mid:.0f},{y2:.0f} {x2 - 2:.0f},{y2:.0f}" '
            f'fill="none" stroke="{color}" stroke-width="1.4"{dash} marker-end="url(#{marker})"/>')


def _width(texts: list[str], minimum: float) -> float:
    return max([minimum] + [len(t) * CHAR + 24 for t in texts])


def _labelled(box: Box, look: str, caption: str, name: str, detail: str) -> list[str]:
    return [_rect(box, look), _text(box.x + 10, box.y + 16, caption, 10, color=COLORS[look][1]),
            _text(box.x + 10, box.y + 33, name, 12, "bold"), _text(box.x + 10, box.y + 49, detail, 11, color="#555")]


def _pod(box: Box, pod: dict) -> list[str]:
    look = pod_look(pod)
    status_ = pod_status(pod)
    reason, ready = status_.reason, status_.ready_text
    parts = [_rect(box, look), _text(box.x + 10, box.y + 17, _name(pod), 12, "bold"),
             _text(box.x + 10, box.y + 33, f"Pod · {reason} · {ready} ready", 11, color="#555")]
    statuses = {c.get("name"): c for c in (pod.get("status") or {}).get("containerStatuses") or []}
    x = box.x + 10
    for container in (pod.get("spec") or {}).get("containers") or []:
        name = container.get("name", "")
        chip = Box(x, box.y + 40, len(name) * 6.2 + 14, 18)
        chip_look = "ready" if (statuses.get(name) or {}).get("ready") else "pending"
        parts += [_rect(chip, chip_look), _text(chip.x + 7, chip.y + 13, name, 10)]
        x += chip.w + 6
    return parts


def _service_detail(svc: dict) -> str:
    spec = svc.get("spec") or {}
    ports = ", ".join(f"{p.get('port')}→{p.get('targetPort', p.get('port'))}" for p in spec.get("ports") or [])
    return f"{spec.get('type', 'ClusterIP')} {ports or service_ports(svc)}"


def _place_services(services: list[dict], pod_boxes: dict[str, tuple[Box, dict]], top: float) -> list[tuple[dict, float]]:
    """Each service level with the pods it selects, pushed down where it would overlap the one above."""
    wanted = []
    for svc in sorted(services, key=_name):
        chosen = [box for box, pod in pod_boxes.values()
                  if selectors.matches((svc.get("spec") or {}).get("selector"), pod["metadata"].get("labels"))]
        centre = sum(b.y + b.h / 2 for b in chosen) / len(chosen) if chosen else float("inf")
        wanted.append((centre, _name(svc), svc))
    placed, next_free = [], top
    for centre, _, svc in sorted(wanted, key=lambda w: (w[0], w[1])):
        y = max(next_free, centre - BOX_H / 2 if centre != float("inf") else next_free)
        placed.append((svc, y))
        next_free = y + BOX_H + GAP
    return placed


def render(namespace: str, deployments: list[dict], replicasets: list[dict], pods: list[dict],
           services: list[dict]) -> str:
    """The SVG for one namespace (pure: the same objects always give the same picture)."""
    groups = group(deployments, replicasets, pods)
    dep_w = _width([_name(g.deployment) for g in groups if g.deployment], 200)
    rs_w = _width([_name(rs) for g in groups for rs, _ in g.replicasets], 220)
    pod_w = _width([_name(p) for p in pods] + [
        " ".join(c.get("name", "") for c in (p.get("spec") or {}).get("containers") or []) for p in pods], 260)
    svc_w = _width([_name(s) for s in services] + [_service_detail(s) for s in services], 220)
    x_dep = MARGIN + 14
    x_rs, x_pod = x_dep + dep_w + COLUMN_GAP, x_dep + dep_w + rs_w + 2 * COLUMN_GAP
    x_svc = x_pod + pod_w + COLUMN_GAP + 20
    top = MARGIN + 36
    body, arrows, pod_boxes = [], [], {}
    y = top
    for g in groups:
        start = y
        rs_boxes = []
        for rs, rs_pods in g.replicasets:
            block = max(len(rs_pods), 1) * (POD_H + GAP)
            rs_box = Box(x_rs, y + (block - GAP - BOX_H) / 2, rs_w, BOX_H)
            status = rs.get("status") or {}
            body += _labelled(rs_box, "replicaset", "ReplicaSet", _name(rs),
                              f"desired {(rs.get('spec') or {}).get('replicas', 1)} · ready "
                              f"{status.get('readyReplicas', 0)}")
            rs_boxes.append(rs_box)
            for i, pod in enumerate(rs_pods):
                box = Box(x_pod, y + i * (POD_H + GAP), pod_w, POD_H)
                pod_boxes[_name(pod)] = (box, pod)
                body += _pod(box, pod)
                arrows.append(_arrow(rs_box.right, box.left, "#6d8fd6"))
            y += block
        for pod in g.loose_pods:
            box = Box(x_pod, y, pod_w, POD_H)
            pod_boxes[_name(pod)] = (box, pod)
            body += _pod(box, pod)
            y += POD_H + GAP
        if g.deployment is not None:
            y = max(y, start + BOX_H + (28 if g.old else 0) + GAP)
            d = g.deployment
            spec, status = d.get("spec") or {}, d.get("status") or {}
            dep_box = Box(x_dep, start + (y - start - GAP - BOX_H) / 2 - (10 if g.old else 0), dep_w, BOX_H)
            body += _labelled(dep_box, "deployment", "Deployment", _name(d),
                              f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)} ready")
            if g.old:
                body.append(_text(dep_box.x + 4, dep_box.y + BOX_H + 16,
                                  f"+{g.old} old ReplicaSet{'s' if g.old > 1 else ''} at 0", 10, color="#777"))
            arrows += [_arrow(dep_box.right, rs_box.left, "#3b6fd8") for rs_box in rs_boxes]
        y += GAP
    for svc, sy in _place_services(services, pod_boxes, top):
        box = Box(x_svc, sy, svc_w, BOX_H)
        body += _labelled(box, "service", "Service", _name(svc), _service_detail(svc))
        selector = (svc.get("spec") or {}).get("selector")
        for name in sorted(pod_boxes):
            pod_box, pod = pod_boxes[name]
            if selectors.matches(selector, pod["metadata"].get("labels")):
                arrows.append(_arrow(box.left, pod_box.right, "#8155c6", dashed=True))
        y = max(y, sy + BOX_H + 2 * GAP)
    if not groups and not services:
        body.append(_text(x_dep, top + 20, "(no deployments, pods or services yet)", 12, color="#777"))
        y = top + 40
    width = (x_svc + svc_w if services else x_pod + pod_w) + MARGIN + 14
    height = y + MARGIN
    frame = (f'<rect x="{MARGIN}" y="{MARGIN}" width="{width - 2 * MARGIN:.0f}" height="{height - 2 * MARGIN:.0f}" '
             f'rx="10" fill="#fcfcfd" stroke="#9aa3ad" stroke-width="1.5" stroke-dasharray="8,4"/>')
    title = _text(MARGIN + 14, MARGIN + 22, f"namespace {namespace}", 13, "bold", "#4a5560")
    defs = ('<defs>'
            '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
            'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#4b74c9"/></marker>'
            '<marker id="svc-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
            'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#8155c6"/></marker></defs>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{FONT}">'
            + defs + frame + title + "".join(arrows) + "".join(body) + "</svg>")


def outline(namespace: str, deployments: list[dict], replicasets: list[dict], pods: list[dict],
            services: list[dict]) -> str:
    """The same picture as indented text, for terminals."""
    lines = [f"namespace {namespace}"]
    for g in group(deployments, replicasets, pods):
        indent = "  "
        if g.deployment is not None:
            lines.append(f"  deployment/{_name(g.deployment)}" + (f"  (+{g.old} old replica sets)" if g.old else ""))
            indent = "    "
        for rs, rs_pods in g.replicasets:
            lines.append(f"{indent}replicaset/{_name(rs)}")
            lines += [f"{indent}  pod/{_name(p)}  {pod_status(p).reason}  [{', '.join(c['name'] for c in p['spec']['containers'])}]"
                      for p in rs_pods]
        lines += [f"  pod/{_name(p)}  {pod_status(p).reason}" for p in g.loose_pods]
    for svc in sorted(services, key=_name):
        chosen = sorted(_name(p) for p in pods
                        if selectors.matches((svc.get("spec") or {}).get("selector"), p["metadata"].get("labels")))
        lines.append(f"  service/{_name(svc)}  {_service_detail(svc)}  -> {', '.join(chosen) or 'no pods'}")
    return "\n".join(lines)


def _snapshot(namespace: str | None) -> tuple[str, list[dict], list[dict], list[dict], list[dict]]:
    conn = current()
    namespace = namespace or conn.namespace
    return (namespace, conn.api.items("apps/v1", "Deployment", namespace),
            conn.api.items("apps/v1", "ReplicaSet", namespace), conn.api.items("v1", "Pod", namespace),
            conn.api.items("v1", "Service", namespace))


@friendly
def topology_svg(namespace: str | None = None) -> str:
    """The topology diagram of the workshop namespace as SVG text (to save as a file)."""
    return render(*_snapshot(namespace))


@friendly
def topology(namespace: str | None = None) -> None:
    """Draw the workshop namespace: deployments -> replica sets -> pods (with containers), and services with
    dashed arrows to the pods they select. In Jupyter the SVG is shown (and stored in the notebook);
    elsewhere an indented outline is printed."""
    snapshot = _snapshot(namespace)
    if in_notebook():
        from IPython.display import SVG, display

        display(SVG(data=render(*snapshot)))
    else:
        print(outline(*snapshot))
