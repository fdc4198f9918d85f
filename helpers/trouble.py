"""When it breaks (chapter 08): wait until a pod shows the problem you caused, and the checkpoint that grades that
everything is healthy again.

    pod = wait_for_problem("service=api", "ImagePullBackOff", failures=3)   # the pod's name, once it got there
    kubectl(f"describe pod {pod}")
    wait_for_unready("containo-orders-frontend")                            # no pod behind the Service is ready
    check_recovered()                                                       # PASS, or what is still broken

The problems are the ones `kubectl get pods` shows in its STATUS column: `Pending` (the scheduler found no node:
Unschedulable), `ErrImagePull` then `ImagePullBackOff` (the image cannot be pulled), `CrashLoopBackOff` (the
container keeps exiting). The kubelet tries again after a back-off that doubles (10 s, 20 s, 40 s ... up to 5
minutes): waiting for a given number of failures lands at the start of one of those pauses, so what you look at
next does not change under your eyes. The judging is pure (dicts in, sentences out).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from sandbox.machinery import labels
from sandbox.machinery.podutil import condition

from . import checks, diagnose, manifests, selectors
from .chapters import plan
from .cluster import current, friendly
from .errors import NoSuchKind, WorkshopError
from .progress import Progress, quietly
from .scaling import wait_for_autoscaler
from .simulation import is_simulated
from .wait import DEFAULT_TIMEOUT, State, finish_wait, ready_endpoints, wait_for_rollout, watch_until

CHAPTER = 8  # the chapter whose checkpoint check_recovered() is
PROBLEMS = ("Unschedulable", "ErrImagePull", "ImagePullBackOff", "CrashLoopBackOff")
PULL_FAILED = "Error: ErrImagePull"  # the kubelet's event after each failed pull (reason Failed)


@dataclass(frozen=True)
class Problem:
    reason: str  # one of PROBLEMS
    failures: int  # failed pulls, or crashes, so far (1 for Unschedulable)
    container: str = ""  # the container that has it ("" for the pod)
    message: str = ""  # the scheduler's or the kubelet's words


def _failed_pulls(events: list[dict], container: str) -> int:
    """How many times the kubelet failed to pull this container's image: the count of its ErrImagePull event."""
    path = f"spec.containers{{{container}}}"
    return sum(e.get("count") or 1 for e in events if e.get("message") == PULL_FAILED
               and (e.get("involvedObject") or {}).get("fieldPath", path) == path)


def problem_of(pod: dict, events: list[dict]) -> Problem | None:
    """The first problem of a pod, as `kubectl get pods` would show it (None: it has none of PROBLEMS).

    `events` are the pod's own events (they count the failed pulls)."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    if not spec.get("nodeName"):
        scheduled = condition(pod, "PodScheduled") or {}
        if scheduled.get("reason") == "Unschedulable":
            return Problem("Unschedulable", 1, "", scheduled.get("message", ""))
        return None
    for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        waiting = (cs.get("state") or {}).get("waiting") or {}
        reason = waiting.get("reason")
        if reason in ("ErrImagePull", "ImagePullBackOff"):
            return Problem(reason, _failed_pulls(events, cs["name"]), cs["name"], waiting.get("message", ""))
        if reason == "CrashLoopBackOff":
            return Problem(reason, cs.get("restartCount", 0) + 1, cs["name"], waiting.get("message", ""))
    return None


def describe(name: str, problem: Problem) -> str:
    """One line for a learner: which pod, which problem, how often so far."""
    if problem.reason == "Unschedulable":
        return f"pod/{name} is Pending: no node can take it (Unschedulable)"
    times = f"{problem.failures} time{'s' if problem.failures != 1 else ''}"
    if problem.reason == "CrashLoopBackOff":
        return f"pod/{name}: container {problem.container} is in CrashLoopBackOff (it exited {times})"
    return f"pod/{name}: container {problem.container} is in {problem.reason} (its image failed to pull {times})"


def _refuse_on_simulated_runtime(conn, why: str) -> None:
    if is_simulated(conn):
        raise WorkshopError(f"This sandbox runs with --runtime simulated: {why}, so this would wait for nothing. "
                            "Restart it with the process runtime (the default): `workshop sandbox stop`, then run "
                            "connect() again.")


def _pod_events(conn, namespace: str, name: str) -> list[dict]:
    return conn.api.items("v1", "Event", namespace, field_selector=f"involvedObject.name={name}")


@friendly
def wait_for_problem(selector: str | dict, problem: str, *, failures: int = 1, namespace: str | None = None,
                     timeout: float = DEFAULT_TIMEOUT) -> str:
    """Wait until a pod matching the label selector has `problem`, and return that pod's name.

    pod = wait_for_problem("service=api", "Unschedulable")                     # Pending: no node fits it
    pod = wait_for_problem("service=api", "ImagePullBackOff", failures=3)      # 3 failed pulls, now backing off
    pod = wait_for_problem("service=api", "CrashLoopBackOff", failures=4)      # exited 4 times, now backing off

    `problem` is one of "Unschedulable", "ErrImagePull", "ImagePullBackOff", "CrashLoopBackOff": the words of the
    STATUS column in `kubectl get pods`. The kubelet waits longer after each failure (10 s, 20 s, 40 s...), so
    `failures=3` returns at the start of a pause of 40 s: long enough to read `kubectl describe` in peace.
    """
    if problem not in PROBLEMS:
        raise WorkshopError(f"{problem!r} is not a problem wait_for_problem() knows: use one of {', '.join(PROBLEMS)}")
    conn = current()
    if problem == "CrashLoopBackOff":
        _refuse_on_simulated_runtime(conn, "a simulated container never exits on its own, so it never crashes")
    namespace = namespace or conn.namespace
    query = selectors.to_query(selector)
    progress = Progress(f"a pod of {query} in {problem}")
    found: dict[str, Problem] = {}

    def check(pods: dict[str, dict]) -> State:
        worst = 0
        for name, pod in sorted(pods.items()):
            if pod["metadata"].get("deletionTimestamp"):
                continue
            events = _pod_events(conn, namespace, name) if problem != "Unschedulable" else []
            seen = problem_of(pod, events)
            if seen is None or seen.reason != problem:
                continue
            worst = max(worst, seen.failures)
            if seen.failures >= failures:
                found[name] = seen
                return State(True, failures, failures, describe(name, seen))
        return State(False, min(worst, failures), failures, f"waiting for a pod of {query} in {problem}")

    state, objects = watch_until(conn, "v1", "Pod", namespace, check, timeout=timeout, progress=progress,
                                 label_selector=query)

    def explain() -> list[str]:
        if not objects:
            return [f"no pod in namespace {namespace} matches {query}", *_no_pod_because(conn, namespace, query)]
        events = conn.api.items("v1", "Event", namespace)
        return [f"pod {name}: {diagnose.why_not_ready(pod, events) or 'Running and ready'}"
                for name, pod in sorted(objects.items())]

    finish_wait(progress, state, f"a pod of {query} in {problem}", timeout, explain)
    return next(iter(found))


def _no_pod_because(conn, namespace: str, query: str) -> list[str]:
    """With no pod to look at, what should have made one: each Deployment whose pods the selector matches, the
    replicas it asks for, and for one at zero what its ScaledObject (KEDA) says."""
    selector = labels.parse(query)  # the server took it already: it parses
    out = []
    for d in conn.api.items("apps/v1", "Deployment", namespace):
        template = ((d.get("spec") or {}).get("template") or {}).get("metadata") or {}
        if not selector.matches(template.get("labels")):
            continue
        name, replicas = d["metadata"]["name"], (d.get("spec") or {}).get("replicas", 1)
        out.append(f"deployment/{name} asks for {replicas} replica{'s' if replicas != 1 else ''}")
        if replicas == 0:
            out += _scaled_to_zero_by(conn, namespace, name)
    return out


def _scaled_to_zero_by(conn, namespace: str, deployment: str) -> list[str]:
    try:
        scalers = conn.api.items("keda.sh/v1alpha1", "ScaledObject", namespace)
    except NoSuchKind:
        return []
    out = []
    for so in scalers:
        if ((so.get("spec") or {}).get("scaleTargetRef") or {}).get("name") != deployment:
            continue
        for type_ in ("Ready", "Active"):
            found = condition(so, type_) or {}
            out.append(f"scaledobject/{so['metadata']['name']} {type_}={found.get('status', 'Unknown')}"
                       + (f": {found['message']}" if found.get("message") else ""))
    return out


@friendly
def wait_for_unready(service: str, *, namespace: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Wait until no pod behind a Service is ready: its EndpointSlices still list them, with `ready: false`, and
    the Service sends them no traffic.

    wait_for_unready("containo-orders-frontend")
    """
    conn = current()
    _refuse_on_simulated_runtime(conn, "a simulated container's readiness probe passes and never fails")
    namespace = namespace or conn.namespace
    progress = Progress(f"every endpoint of service/{service} to be not ready")

    def check(slices: dict[str, dict]) -> State:
        listed = {a for s in slices.values() for e in s.get("endpoints") or [] for a in e.get("addresses") or []}
        ready = ready_endpoints(list(slices.values()))
        return State(bool(listed) and not ready, len(listed) - len(ready), len(listed) or 1,
                     f"service/{service} has no ready endpoint ({len(listed)} not ready)" if not ready else
                     f"service/{service} has {len(ready)} ready endpoint{'s' if len(ready) != 1 else ''}")

    state, _ = watch_until(conn, "discovery.k8s.io/v1", "EndpointSlice", namespace, check, timeout=timeout,
                           progress=progress, label_selector=f"kubernetes.io/service-name={service}")
    finish_wait(progress, state, f"service/{service}", timeout, lambda: [])


# --- the checkpoint ------------------------------------------------------------------------------------------------

def recovery_problems(expected: list[dict], snap: checks.Snapshot) -> list[str]:
    """What is still broken: everything the earlier chapters build must exist and work (checks.judge: rolled out,
    endpoints, autoscalers), and no other pod of the namespace may be stuck (a pod a Deployment's report names
    is not named twice)."""
    out = checks.judge(expected, snap)
    told = "\n".join(out)
    for pod in sorted(snap.pods, key=lambda p: p["metadata"]["name"]):
        name, phase = pod["metadata"]["name"], (pod.get("status") or {}).get("phase")
        if pod["metadata"].get("deletionTimestamp") or phase in ("Succeeded", "Failed") or f"pod {name}:" in told:
            continue
        why = diagnose.why_not_ready(pod, snap.events)
        if why:
            out.append(f"pod {name}: {why}")
    return out


def expected_objects(conn, namespace: str) -> list[dict]:
    """The latest version of every object the chapters up to this one build, placed in `namespace`."""
    def namespaced(obj: dict) -> bool:
        try:
            return conn.api.resource(obj["apiVersion"], obj["kind"]).namespaced
        except NoSuchKind:
            return True

    wanted, _ = plan(CHAPTER + 1, {n: manifests.chapter_objects(n) for n in manifests.chapter_folders()})
    return [manifests.localize(o, namespace, namespaced) for o in wanted]


def _stuck_pods(conn, namespace: str) -> list[str]:
    """Pods with one of PROBLEMS (Pending unschedulable, an image that cannot be pulled, a crash loop): waiting
    does not heal them."""
    events = conn.api.items("v1", "Event", namespace)
    return [pod["metadata"]["name"] for pod in conn.api.items("v1", "Pod", namespace)
            if not pod["metadata"].get("deletionTimestamp")
            and problem_of(pod, diagnose.events_for("Pod", pod["metadata"]["name"], events))]


def _let_settle(conn, namespace: str, want: list[dict], kind: str, wait, deadline: float) -> None:
    """Run `wait` (a helper waiting for one object of `kind`) for each such object that exists, quietly and until
    `deadline`: what is still not done then is judged with the rest."""
    for obj in want:
        name = obj["metadata"]["name"]
        if obj["kind"] != kind or conn.api.read(obj["apiVersion"], kind, name, namespace) is None:
            continue
        with quietly():
            try:
                wait(name, namespace=namespace, timeout=max(deadline - time.monotonic(), 0.1))
            except WorkshopError:
                pass


def _let_rollouts_finish(conn, namespace: str, want: list[dict], deadline: float) -> None:
    """A rollout in progress (`rollout undo` a second ago: the new pod not ready yet, the old one still counted) is
    not broken: wait for it, unless a pod is stuck (then judge at once: it says why)."""
    if not _stuck_pods(conn, namespace):
        _let_settle(conn, namespace, want, "Deployment", wait_for_rollout, deadline)


def _let_autoscalers_read_their_metrics(conn, namespace: str, want: list[dict], deadline: float) -> None:
    """An HPA reads the metrics of new pods one or two syncs (15 s each) after a rollout, and a new HPA needs its
    first sync: nothing is broken meanwhile."""
    _let_settle(conn, namespace, want, "HorizontalPodAutoscaler", wait_for_autoscaler, deadline)


@friendly
def check_recovered(namespace: str | None = None, *, settle: float = 60) -> None:
    """Chapter 8 checkpoint: everything is healthy again. Every object the earlier chapters build is there and
    working (each Deployment rolled out, each Service with ready endpoints, the autoscalers reading their metrics)
    and no pod of the namespace is stuck (Pending, ImagePullBackOff, CrashLoopBackOff, not ready).

    A rollout in progress (right after `rollout undo`) finishes, and then the HPA needs a sync to read the new pods'
    metrics: the checkpoint waits for both first (at most `settle` seconds in all; not at all for the rollouts when
    a pod is stuck, which waiting does not heal)."""
    conn = current()
    namespace = namespace or conn.namespace
    want = expected_objects(conn, namespace)
    deadline = time.monotonic() + settle
    progress = Progress("the rollouts to finish and the autoscalers to read their metrics")
    _let_rollouts_finish(conn, namespace, want, deadline)
    _let_autoscalers_read_their_metrics(conn, namespace, want, deadline)
    progress.close("done waiting: the verdict follows")
    snap = checks.snapshot(conn, namespace, ((o["apiVersion"], o["kind"]) for o in want))
    problems = recovery_problems(want, snap)
    checks.print_verdict(f"Chapter {CHAPTER} checkpoint (everything healthy again)", problems,
                         "every Deployment is rolled out, every Service has ready endpoints, no pod is stuck.")
