"""Why is a pod not ready? One line per pod, from its status and its events (pure: dicts in, text out).

The answers are the ones `kubectl describe pod` leads you to: Pending with the scheduler's FailedScheduling
message, a container waiting in ImagePullBackOff or CrashLoopBackOff, a readiness probe failing.
"""
from __future__ import annotations

from sandbox.machinery.podutil import is_ready
from sandbox.printers.pods import pod_status


def events_for(kind: str, name: str, events: list[dict]) -> list[dict]:
    """Events about one object, newest last (by lastTimestamp / eventTime / creation)."""
    mine = [e for e in events
            if (e.get("involvedObject") or {}).get("kind") == kind and (e.get("involvedObject") or {}).get("name") == name]

    def when(e: dict) -> str:
        return e.get("lastTimestamp") or e.get("eventTime") or (e.get("metadata") or {}).get("creationTimestamp") or ""

    return sorted(mine, key=when)


def _last(events: list[dict], reason: str) -> str:
    matching = [e for e in events if e.get("reason") == reason]
    return (matching[-1].get("message") or "").strip() if matching else ""


def _container_problems(pod: dict, events: list[dict]) -> list[str]:
    problems = []
    statuses = (pod.get("status") or {}).get("initContainerStatuses") or []
    statuses = statuses + ((pod.get("status") or {}).get("containerStatuses") or [])
    for cs in statuses:
        state, name = cs.get("state") or {}, cs.get("name")
        waiting, terminated = state.get("waiting"), state.get("terminated")
        if waiting and waiting.get("reason") not in (None, "ContainerCreating", "PodInitializing"):
            detail = f": {waiting['message']}" if waiting.get("message") else ""
            problems.append(f"container {name} is waiting: {waiting['reason']}{detail}")
        elif terminated and terminated.get("exitCode", 0) != 0:
            problems.append(f"container {name} terminated: {terminated.get('reason', 'Error')} "
                            f"(exit code {terminated.get('exitCode')})")
        elif state.get("running") is not None and not cs.get("ready"):
            probe = _last(events, "Unhealthy")
            problems.append(f"container {name} is running but not ready" + (f" ({probe})" if probe else ""))
    return problems


def why_not_ready(pod: dict, events: list[dict]) -> str:
    """A sentence saying why this pod is not ready ("" if it is)."""
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    mine = events_for("Pod", meta.get("name", ""), events)
    if meta.get("deletionTimestamp"):
        return "Terminating"
    if is_ready(pod):
        return ""
    status_ = pod_status(pod)
    reason, ready = status_.reason, status_.ready_text
    if not spec.get("nodeName"):
        scheduled = next((c for c in status.get("conditions") or [] if c.get("type") == "PodScheduled"), {})
        message = _last(mine, "FailedScheduling") or scheduled.get("message", "")
        return f"Pending, not scheduled: {message} (FailedScheduling)" if message else "Pending: not scheduled yet"
    problems = _container_problems(pod, mine)
    if problems:
        return f"{reason} ({ready} ready): " + "; ".join(problems)
    return f"{reason} ({ready} containers ready)"


def not_ready_report(pods: list[dict], events: list[dict]) -> list[str]:
    """`pod <name>: <why>` for every pod that is not ready, sorted by name."""
    lines = []
    for pod in sorted(pods, key=lambda p: (p.get("metadata") or {}).get("name", "")):
        why = why_not_ready(pod, events)
        if why:
            lines.append(f"pod {(pod.get('metadata') or {}).get('name')}: {why}")
    return lines
