"""kube-aggregator's APIService controllers in one loop: autoregister (an APIService `<version>.<group>` for each
group-version the server serves: `onstart` for its built-in groups, made at start only, `true` for those a
CustomResourceDefinition serves, kept in step and gone with the last CRD of the group-version) and availability (the `Available` condition: `Local`
APIServices are always available; the two extension APIServices a kind cluster with metrics-server and KEDA has
are reported as their servers answering)."""
from __future__ import annotations

from sandbox.controllers.base import Controller, rt_of
from sandbox.machinery import apiservice_validation, conditions, resources
from sandbox.machinery.errors import StatusError

API_SERVICES = rt_of("apiregistration.k8s.io", "apiservices")
MANAGER = "kube-apiserver"
AUTOMANAGED = "kube-aggregator.kubernetes.io/automanaged"
# The extension API servers of a kind cluster with metrics-server and KEDA (their own manifests' APIServices).
EXTERNAL = {
    "v1beta1.metrics.k8s.io": ({"k8s-app": "metrics-server"},
                               {"name": "metrics-server", "namespace": "kube-system", "port": 443}),
    "v1beta1.external.metrics.k8s.io": ({"app.kubernetes.io/name": "v1beta1.external.metrics.k8s.io",
                                         "app.kubernetes.io/part-of": "keda-operator"},
                                        {"name": "keda-operator-metrics-apiserver", "namespace": "keda",
                                         "port": 443}),
}
_EXTERNAL_GROUPS = ("metrics.k8s.io", "external.metrics.k8s.io")


def local_api_services() -> dict[str, dict]:
    """The APIServices kube-apiserver registers on start for its own group-versions, by name."""
    out = {}
    for rt in resources.RESOURCES:
        if rt.group in _EXTERNAL_GROUPS or rt.group in resources.crd_groups():
            continue
        name = f"{rt.version}.{rt.group}"
        group_min, version_priority = apiservice_validation.PRIORITIES.get((rt.group, rt.version), (15000, 15))
        out.setdefault(name, _api_service(name, rt.group, rt.version, group_min, version_priority, "onstart"))
    return out


def custom_api_services() -> dict[str, dict]:
    """The crdregistration controller's APIServices: one per group-version a CRD serves."""
    out = {}
    for rt in resources.served():
        if rt.custom:
            name = f"{rt.version}.{rt.group}"
            out.setdefault(name, _api_service(name, rt.group, rt.version, *apiservice_validation.CRD_PRIORITY,
                                              "true"))
    return out


def external_api_services() -> dict[str, dict]:
    out = {}
    for name, (labels, service) in EXTERNAL.items():
        version, _, group = name.partition(".")
        body = _api_service(name, group, version, 100, 100, "")
        body["metadata"]["labels"] = dict(labels)
        body["spec"].update(service=service, insecureSkipTLSVerify=True)
        out[name] = body
    return out


def _api_service(name: str, group: str, version: str, group_min: int, version_priority: int,
                 automanaged: str) -> dict:
    return {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
            "metadata": {"name": name, "labels": {AUTOMANAGED: automanaged} if automanaged else {}},
            "spec": {"group": group, "version": version, "groupPriorityMinimum": group_min,
                     "versionPriority": version_priority}}


class APIServiceController(Controller):
    name = "apiservice-controller"

    def setup(self) -> None:
        self.api_services = self.informer("apiregistration.k8s.io", "apiservices")
        self.crds = self.informer("apiextensions.k8s.io", "customresourcedefinitions")
        self.api_services.add_handler(lambda kind, old, new: self.queue.add((new or old)["metadata"]["name"]))
        self.crds.add_handler(lambda kind, old, new: self._all())

    def started(self) -> None:
        """On start: the built-in groups' APIServices and the extension servers' (metrics-server's and KEDA's own
        manifests made theirs; a learner who deletes one gets it back at the next start, as after a reinstall)."""
        for name, body in {**local_api_services(), **external_api_services()}.items():
            if self.api_services.get(None, name) is None:
                try:
                    self.registry.create(API_SERVICES, None, body, field_manager=MANAGER)
                except StatusError as e:
                    if e.code != 409:
                        raise
        self._all()

    def _all(self) -> None:
        for name in {**custom_api_services(), **{k: None for k in self.api_services.keys()}}:
            self.queue.add(name)

    async def reconcile(self, name: str) -> None:
        wanted = custom_api_services().get(name)
        current = self.api_services.get(None, name)
        try:
            if current is None:
                if wanted is not None:
                    self.registry.create(API_SERVICES, None, wanted, field_manager=MANAGER)
            elif wanted is None and (current["metadata"].get("labels") or {}).get(AUTOMANAGED) == "true":
                self.registry.delete(API_SERVICES, None, name)  # the last CRD of its group-version is gone
            else:
                self._set_available(current)
        except StatusError as e:
            if e.code == 409:
                self.queue.add(name)
            elif e.code != 404:
                raise

    def _set_available(self, api_service: dict) -> None:
        local = not (api_service.get("spec") or {}).get("service")
        reason, message = ("Local", "Local APIServices are always available") if local else \
            ("Passed", "all checks passed")
        status = dict(api_service.get("status") or {})
        found = conditions.find(status.get("conditions") or [], "Available")
        if found and (found.get("status"), found.get("reason"), found.get("message")) == ("True", reason, message):
            return
        status["conditions"] = [{"type": "Available", "status": "True", "reason": reason, "message": message,
                                 "lastTransitionTime": self.ctx.clock.timestamp()}]
        body = dict(api_service, status=status)
        self.registry.update(API_SERVICES, None, api_service["metadata"]["name"], body, subresource="status",
                             field_manager=MANAGER)
