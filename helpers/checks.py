"""Checkpoints: does the namespace hold what a chapter builds? PASS, or exactly what is missing.

What a chapter builds is read from its manifests (manifests/NN-*): every object must exist, agree with its manifest
where it matters (helpers.grading: the labels, a selector that chooses the same pods, a targetPort that reaches the
port the pods declare, each container's image, command, ports, environment, resources and probes), and be working:
deployments rolled out, services with ready endpoints, load balancers with an address. Objects are read LIVE, so a
checkpoint grades what the learner applied, however it was applied. The judging is pure (dicts in, sentences out).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from . import configuration, diagnose, grading, manifests, selectors
from .cluster import Connection, current, friendly
from .errors import NoSuchKind
from .wait import ready_endpoints, rollout_state

TITLES = {1: "namespace and labels", 2: "the API deployment", 3: "the validator sidecar",
          4: "the Redis cache behind a ClusterIP service", 5: "the API exposed, with its queue and worker",
          6: "autoscaling"}


@dataclass
class Snapshot:
    """What one namespace holds: objects by (apiVersion, kind) then name, plus pods, endpoint slices, events."""
    namespace: str
    objects: dict[tuple[str, str], dict[str, dict]] = field(default_factory=dict)
    unserved: set[tuple[str, str]] = field(default_factory=set)  # kinds the cluster does not serve
    pods: list[dict] = field(default_factory=list)
    endpointslices: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)

    def get(self, api_version: str, kind: str, name: str) -> dict | None:
        return self.objects.get((api_version, kind), {}).get(name)


_ref = grading.ref


def _deployment(want: dict, live: dict, snap: Snapshot, full: bool) -> list[str]:
    out = grading.template_problems(want, live, full=full)
    state = rollout_state(live, live["metadata"]["name"])
    if not state.done:
        pods = [p for p in snap.pods
                if selectors.matches((live.get("spec") or {}).get("selector"), p["metadata"].get("labels"))]
        why = diagnose.not_ready_report(pods, snap.events)
        out.append(f"{_ref(want)} is not ready: {state.failed or state.message}"
                   + "".join(f"\n      {line}" for line in why))
    return out


def _service(want: dict, live: dict, snap: Snapshot, full: bool) -> list[str]:
    """What the learner's Service gets wrong (helpers.grading), then whether it works: ready endpoints, an address."""
    out, ref = [], _ref(want)
    want_spec, spec = want.get("spec") or {}, live.get("spec") or {}
    want_type, live_type = want_spec.get("type", "ClusterIP"), spec.get("type", "ClusterIP")
    if want_type != live_type:
        out.append(f"{ref} is of type {live_type}, expected {want_type}")
    meant = [p for p in snap.pods if not p["metadata"].get("deletionTimestamp")
             and selectors.matches(want_spec.get("selector"), p["metadata"].get("labels"))]
    wrong_selector = grading.selector_problems(want, live, snap.pods)
    out += wrong_selector + grading.port_problems(want, live, meant)
    selector = spec.get("selector") or {}
    slices = [s for s in snap.endpointslices
              if (s["metadata"].get("labels") or {}).get("kubernetes.io/service-name") == live["metadata"]["name"]]
    if selector and not wrong_selector and not ready_endpoints(slices):
        chosen = [p for p in snap.pods if selectors.matches(selector, p["metadata"].get("labels"))]
        why = "no pod matches its selector" if not chosen else "none of the pods it selects is ready"
        out.append(f"{ref} has no ready endpoints: {why} ({selectors.to_query(selector)})")
    if live_type == "LoadBalancer" and not ((live.get("status") or {}).get("loadBalancer") or {}).get("ingress"):
        out.append(f"{ref} has no external address yet (EXTERNAL-IP <pending>)")
    return out


def _scale_target(want: dict, live: dict) -> list[str]:
    wanted = ((want.get("spec") or {}).get("scaleTargetRef") or {}).get("name")
    target = ((live.get("spec") or {}).get("scaleTargetRef") or {}).get("name")
    return [] if wanted == target else [f"{_ref(want)} scales {target!r}, expected {wanted!r}"]


def _autoscaler(want: dict, live: dict, snap: Snapshot, full: bool) -> list[str]:
    """Scales the right Deployment, and works: the HPA reads its metrics, KEDA has the ScaledObject ready."""
    out, ref = _scale_target(want, live), _ref(want)
    conditions = {c.get("type"): c for c in (live.get("status") or {}).get("conditions") or []}
    if want["kind"] == "HorizontalPodAutoscaler":
        active = conditions.get("ScalingActive")
        if active is None:
            out.append(f"{ref} has not read its metrics yet (TARGETS <unknown>): wait one sync (15 s)")
        elif active.get("status") != "True":
            out.append(f"{ref} cannot scale: {active.get('reason')}: {active.get('message')}"
                       + (" (is metrics-server running?)" if "metrics" in active.get("message", "") else ""))
    else:
        ready = conditions.get("Ready") or {}
        if ready.get("status") != "True":
            out.append(f"{ref} is not ready: {ready.get('message') or 'KEDA has not processed it (is KEDA running?)'}")
    return out


def _namespace(want: dict, live: dict, snap: Snapshot, full: bool) -> list[str]:
    phase = (live.get("status") or {}).get("phase")
    return [f"{_ref(want)} is being deleted (Terminating)"] if phase == "Terminating" else []


# Each rule: (wanted object, live object, snapshot, full) -> sentences; `full` grades every container field.
RULES: dict[str, Callable[[dict, dict, Snapshot, bool], list[str]]] = {
    "Deployment": _deployment, "Service": _service, "HorizontalPodAutoscaler": _autoscaler,
    "ScaledObject": _autoscaler, "Namespace": _namespace,
}


def judge(expected: Iterable[dict], snap: Snapshot, source: str = "", *, full: bool = False) -> list[str]:
    """Everything missing or wrong, one sentence each; [] means the checkpoint passes.

    `full`: grade every field of each container the manifest gives (what the learner wrote in chapters 03-05, as
    the chapters' checkpoints do); without it, a container must only be there with its declared ports (chapter 08
    asks for health, and a learner's own fix of a request is as good as the manifest's)."""
    out = []
    hint = f" (apply {source})" if source else ""
    for want in expected:
        key = (want["apiVersion"], want["kind"])
        if key in snap.unserved:
            out.append(f"{_ref(want)}: this cluster does not serve {want['kind']} ({want['apiVersion']}); "
                       f"is its add-on installed?")
            continue
        live = snap.get(*key, want["metadata"]["name"])
        if live is None:
            out.append(f"{_ref(want)} is missing{hint}")
            continue
        out += grading.label_problems(want, live)
        out += RULES.get(want["kind"], lambda *_: [])(want, live, snap, full)
    return out


# --- reading the cluster ------------------------------------------------------------------------------------------

def expected(chapter: int, namespace: str, conn: Connection) -> list[dict]:
    def namespaced(obj: dict) -> bool:
        try:
            return conn.api.resource(obj["apiVersion"], obj["kind"]).namespaced
        except NoSuchKind:
            return True

    return [manifests.localize(o, namespace, namespaced) for o in manifests.chapter_objects(chapter)]


def snapshot(conn: Connection, namespace: str, kinds: Iterable[tuple[str, str]]) -> Snapshot:
    snap = Snapshot(namespace)
    for api_version, kind in set(kinds):
        try:
            res = conn.api.resource(api_version, kind)
        except NoSuchKind:
            snap.unserved.add((api_version, kind))
            continue
        items = conn.api.get(res.path(namespace if res.namespaced else None)).get("items") or []
        snap.objects[(api_version, kind)] = {o["metadata"]["name"]: o for o in items}
    snap.pods = conn.api.items("v1", "Pod", namespace)
    snap.endpointslices = conn.api.items("discovery.k8s.io/v1", "EndpointSlice", namespace)
    snap.events = conn.api.items("v1", "Event", namespace)
    return snap


def missing(chapter: int, namespace: str | None = None) -> list[str]:
    """What chapter `chapter`'s checkpoint still misses in the namespace ([] when it passes)."""
    conn = current()
    namespace = namespace or conn.namespace
    want = expected(chapter, namespace, conn)
    later = later_versions(chapter, {n: expected(n, namespace, conn) for n in manifests.chapter_folders()})
    snap = snapshot(conn, namespace, ((o["apiVersion"], o["kind"]) for o in want))
    folders = manifests.chapter_folders().get(chapter, [])
    return judge_chapter(want, snap, later, " and ".join(f"manifests/{f.name}" for f in folders))


@friendly
def check_chapter(chapter: int, namespace: str | None = None) -> None:
    """Print PASS when the namespace holds what chapter `chapter` builds, else each thing that is missing."""
    problems = missing(chapter, namespace)
    print_verdict(f"Chapter {chapter} checkpoint ({TITLES.get(chapter, 'the chapter')})", problems)


def print_verdict(title: str, problems: list[str], passed: str = "everything is in place.") -> None:
    """A checkpoint's answer: PASS with what passed, or NOT YET with one line per thing to fix."""
    if not problems:
        print(f"PASS  {title}: {passed}")
        return
    print(f"NOT YET  {title}: {len(problems)} thing{'s' if len(problems) > 1 else ''} to fix:")
    for line in problems:
        print(f"  - {line}")


def check_namespace(namespace: str | None = None) -> None:
    """Chapter 1: the namespace exists with the application's labels."""
    check_chapter(1, namespace)


def check_deployment(namespace: str | None = None) -> None:
    """Chapter 2: the API deployment is rolled out."""
    check_chapter(2, namespace)


def check_sidecar(namespace: str | None = None) -> None:
    """Chapter 3: the API pods run the orders-validator sidecar next to orders-api, as the chapter's manifest has it.

    It reads the Deployment as it is in the cluster (however you applied it) and says, one line each, what differs:
    a container's image, command, ports, environment, resources or probes."""
    check_chapter(3, namespace)


def check_cache(namespace: str | None = None) -> None:
    """Chapter 4: Redis runs behind the ClusterIP service containo-orders-cache-service (6666 -> 6379).

    It reads the Service as it is in the cluster and says what is wrong: a missing label, a selector that matches
    no pod (or other pods), a targetPort no container listens on, a port's name."""
    check_chapter(4, namespace)


def check_exposed(namespace: str | None = None) -> None:
    """Chapter 5: the API is exposed by a LoadBalancer service, the queue and the worker run.

    It reads the Service as it is in the cluster and says what is wrong: its type, its targetPort, a port's name,
    its selector, its labels, an external address not assigned yet."""
    check_chapter(5, namespace)


def check_scaling(namespace: str | None = None) -> None:
    """Chapter 6: the API and the worker have their autoscalers."""
    check_chapter(6, namespace)


# --- for instructors ------------------------------------------------------------------------------------------------

def workshop_namespaces(conn: Connection) -> list[str]:
    """`containo` and every learner's `containo-<learner>` on the cluster."""
    names = [n["metadata"]["name"] for n in conn.api.items("v1", "Namespace")]
    return sorted(n for n in names if n == manifests.SCENARIO_NAMESPACE
                  or n.startswith(manifests.SCENARIO_NAMESPACE + "-"))


@friendly
def progress(namespaces: Iterable[str] | None = None) -> dict[str, dict[int, bool]]:
    """Which chapters' checkpoints pass, per learner namespace: {"containo-alice": {1: True, 2: False, ...}}.

    Without arguments every workshop namespace on the cluster is reported.
    """
    conn = current()
    chapters = sorted(manifests.chapter_folders())
    result = {}
    for namespace in list(namespaces) if namespaces is not None else workshop_namespaces(conn):
        wanted = {n: expected(n, namespace, conn) for n in chapters}
        snap = snapshot(conn, namespace, ((o["apiVersion"], o["kind"]) for w in wanted.values() for o in w))
        result[namespace] = {n: not judge_chapter(wanted[n], snap, later_versions(n, wanted)) for n in chapters}
    return result


# --- chapter 07: configuration and secrets (the rules: helpers/configuration.py) ----------------------------------

TITLES[7] = "configuration and secrets"
RULES.update(configuration.rules(RULES))


def later_versions(chapter: int, wanted: dict[int, list[dict]]) -> dict[tuple[str, str, str], list[dict]]:
    """The versions later chapters give the objects of `chapter` (07 gives the API readiness on /readyz)."""
    later: dict[tuple[str, str, str], list[dict]] = {}
    for n in sorted(wanted):
        if n > chapter:
            for obj in wanted[n]:
                later.setdefault((obj["apiVersion"], obj["kind"], obj["metadata"]["name"]), []).append(obj)
    return later


def judge_chapter(expected_objects: Iterable[dict], snap: Snapshot, later: dict, source: str = "") -> list[str]:
    """judge(full=True), except that an object already in the form a later chapter gives it (nothing wrong against that
    version) counts as built: chapter 03's checkpoint still passes once chapter 07 has moved the API's readiness."""
    out = []
    for want in expected_objects:
        problems = judge([want], snap, source, full=True)
        key = (want["apiVersion"], want["kind"], want["metadata"]["name"])
        if problems and any(not judge([version], snap, full=True) for version in later.get(key, [])):
            continue
        out += problems
    return out


def check_config(namespace: str | None = None) -> None:
    """Chapter 7: the ConfigMap and the Secret, both Redises requiring the password, the API and the worker
    reading both (envFrom, secretKeyRef), KEDA authenticating, and every pod ready with it."""
    check_chapter(7, namespace)
