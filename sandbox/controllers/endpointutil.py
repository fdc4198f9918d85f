"""What the EndpointSlice and Endpoints controllers share: which Services a pod change concerns, the pods a
Service selects, and a service port's targetPort resolved against a pod (a name means the container port of
that name, which may differ from pod to pod)."""
from __future__ import annotations

from sandbox.machinery import podutil
from sandbox.controllers.base import Controller, key_of
from sandbox.controllers.selectors import service_selector

BATCH_REAL_SECONDS = 0.02  # pod changes arriving within this window are folded into one update


def batch_window(pods: int) -> float:
    """Longer for services with many pods, whose update costs more."""
    return BATCH_REAL_SECONDS + 0.0002 * min(pods, 5000)


def resolve_target_port(service_port: dict, pod: dict) -> int | None:
    """podutil.FindPort: the number, or the named container port (protocol must match)."""
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    protocol = service_port.get("protocol") or "TCP"
    for container in (pod.get("spec") or {}).get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == target and (port.get("protocol") or "TCP") == protocol:
                return port.get("containerPort")
    return None


def endpoint_pod(pod: dict) -> bool:
    """ShouldPodBeInEndpoints (terminating pods included): not finished, and it has an IP."""
    status = pod.get("status") or {}
    return status.get("phase") not in podutil.TERMINAL and bool(status.get("podIP"))


class ServicePodsController(Controller):
    """Reconciles per Service (key namespace/name), woken by the Service and by changes of the pods it selects."""

    def setup(self) -> None:
        self.sizes: dict[str, int] = {}  # service key -> pods it selected last time
        self.services = self.informer("", "services")
        self.pods = self.informer("", "pods")
        self.services.add_handler(lambda kind, old, new: self.queue.add(key_of(new or old)))
        self.pods.add_handler(self._on_pod)

    def _on_pod(self, kind: str, old: dict | None, new: dict | None) -> None:
        pod = new or old
        if old is not None and new is not None and not self._relevant_change(old, new):
            return
        pods = [p for p in (old, new) if p is not None]
        for service in self.services.list(pod["metadata"]["namespace"]):
            selector = service_selector(service)
            if selector is not None and any(selector.matches(p["metadata"].get("labels")) for p in pods):
                key = key_of(service)
                self.queue.add_after(key, batch_window(self.sizes.get(key, 0)))

    @staticmethod
    def _relevant_change(old: dict, new: dict) -> bool:
        def view(pod):
            status = pod.get("status") or {}
            return (pod["metadata"].get("labels"), pod["metadata"].get("deletionTimestamp"), status.get("podIP"),
                    status.get("phase"), podutil.is_ready(pod), (pod.get("spec") or {}).get("nodeName"))
        return view(old) != view(new)

    def selected_pods(self, service: dict) -> list[dict]:
        selector = service_selector(service)
        if selector is None:
            return []
        found = [p for p in self.pods.list(service["metadata"]["namespace"])
                 if selector.matches(p["metadata"].get("labels")) and endpoint_pod(p)]
        self.sizes[key_of(service)] = len(found)
        return found
