"""The cloud-provider service controller with cloud-provider-kind behind it: a LoadBalancer Service gets the
`service.kubernetes.io/load-balancer-cleanup` finalizer, an EnsuringLoadBalancer event, and after a short
provisioning delay (cloud-provider-kind starts an envoy container) an address on the kind network in
status.loadBalancer.ingress, with ipMode Proxy and the service's ports as cloud-provider-kind reports them.
When the Service stops being a LoadBalancer or is deleted, the address is released and the finalizer removed."""
from __future__ import annotations

from sandbox.controllers.base import Controller, key_of, rt_of, split_key
from sandbox.machinery.errors import StatusError
from sandbox.simulation.network import LoadBalancerIPs

SERVICES = rt_of("", "services")
FINALIZER = "service.kubernetes.io/load-balancer-cleanup"
COMPONENT = "service-controller"
MANAGER = "cloud-controller-manager"
PROVISION_SECONDS = 2.0  # simulated: the load balancer container starting


def wants_load_balancer(service: dict) -> bool:
    return ((service.get("spec") or {}).get("type") == "LoadBalancer"
            and not service["metadata"].get("deletionTimestamp"))


def ingress(service: dict, ip: str) -> list[dict]:
    ports = [{"port": p.get("port"), "protocol": p.get("protocol") or "TCP"}
             for p in (service.get("spec") or {}).get("ports") or []]
    return [{"ip": ip, "ipMode": "Proxy", "ports": ports}]


def current_ip(service: dict) -> str | None:
    for item in ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []:
        if item.get("ip"):
            return item["ip"]
    return None


class ServiceController(Controller):
    name = "service-controller"

    def setup(self) -> None:
        self.services = self.informer("", "services")
        self.ips = LoadBalancerIPs(len(self.ctx.nodes))
        self.ready_at: dict[str, float] = {}  # service uid -> when its load balancer is up (simulated)
        self.services.add_handler(self._on_service)

    def started(self) -> None:
        for service in self.services.list():
            ip = current_ip(service)
            if ip:
                self.ips.reserve(ip)

    def _on_service(self, kind: str, old: dict | None, new: dict | None) -> None:
        service = new or old
        old_type = ((old or {}).get("spec") or {}).get("type")
        new_type = ((new or {}).get("spec") or {}).get("type")
        if old is not None and new is not None and old_type != new_type and "LoadBalancer" in (old_type, new_type):
            self.recorder.event(new, "Normal", "Type", f"{old_type} -> {new_type}", component=COMPONENT,
                                manager=MANAGER)
        if new_type == "LoadBalancer" or old_type == "LoadBalancer" or FINALIZER in (
                service["metadata"].get("finalizers") or []):
            self.queue.add(key_of(service))

    async def reconcile(self, key: str) -> None:
        namespace, name = split_key(key)
        service = self.services.get(namespace, name)
        if service is None:
            return
        if wants_load_balancer(service):
            self._ensure(key, service)
        elif current_ip(service) or FINALIZER in (service["metadata"].get("finalizers") or []):
            self._remove(service)

    def _ensure(self, key: str, service: dict) -> None:
        meta = service["metadata"]
        if FINALIZER not in (meta.get("finalizers") or []):
            body = {**service, "metadata": {**meta, "finalizers": list(meta.get("finalizers") or []) + [FINALIZER]}}
            self.registry.update(SERVICES, meta["namespace"], meta["name"], body, field_manager=MANAGER)
            return
        ip = current_ip(service)
        if ip is None:
            now = self.clock.now()
            ready = self.ready_at.get(meta["uid"])
            if ready is None:
                self.recorder.event(service, "Normal", "EnsuringLoadBalancer", "Ensuring load balancer",
                                    component=COMPONENT, manager=MANAGER)
                ready = self.ready_at[meta["uid"]] = now + PROVISION_SECONDS
            if now < ready:
                self.enqueue_after(key, ready - now)
                return
            wanted = (service.get("spec") or {}).get("loadBalancerIP")
            if wanted:
                self.ips.reserve(wanted)
            ip = wanted or self.ips.allocate()
        status = {**(service.get("status") or {}), "loadBalancer": {"ingress": ingress(service, ip)}}
        if status == service.get("status"):
            return
        first = current_ip(service) is None
        self.registry.update(SERVICES, meta["namespace"], meta["name"], {**service, "status": status},
                             subresource="status", field_manager=MANAGER)
        self.ready_at.pop(meta["uid"], None)
        if first:
            self.recorder.event(service, "Normal", "EnsuredLoadBalancer", "Ensured load balancer",
                                component=COMPONENT, manager=MANAGER)

    def _remove(self, service: dict) -> None:
        meta = service["metadata"]
        ip = current_ip(service)
        self.recorder.event(service, "Normal", "DeletingLoadBalancer", "Deleting load balancer", component=COMPONENT,
                            manager=MANAGER)
        self.ips.release(ip)
        self.ready_at.pop(meta["uid"], None)
        try:
            if ip and not meta.get("deletionTimestamp"):
                status = {**(service.get("status") or {}), "loadBalancer": {}}
                service = self.registry.update(SERVICES, meta["namespace"], meta["name"], {**service, "status": status},
                                               subresource="status", field_manager=MANAGER)
            finalizers = [f for f in service["metadata"].get("finalizers") or [] if f != FINALIZER]
            if finalizers != (service["metadata"].get("finalizers") or []):
                body = {**service, "metadata": {**service["metadata"], "finalizers": finalizers}}
                self.registry.update(SERVICES, meta["namespace"], meta["name"], body, field_manager=MANAGER)
        except StatusError as e:
            if e.code != 404:
                raise
        self.recorder.event(service, "Normal", "DeletedLoadBalancer", "Deleted load balancer", component=COMPONENT,
                            manager=MANAGER)
