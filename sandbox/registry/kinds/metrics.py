"""metrics.k8s.io's PodMetrics and NodeMetrics, as metrics-server serves them: read from the workload model
(registry.metrics_provider, which the autoscaling simulation sets), never stored, get and list only."""
from __future__ import annotations

from sandbox.machinery import errors, fields, labels, resources
from sandbox.machinery.resources import ResourceType
from sandbox.printers import metrics
from sandbox.registry.kind import Kind, Storage
from sandbox.registry.strategy import Strategy


class MetricsStorage(Storage):
    """metrics-server's REST storage: every read asks the provider."""

    def list(self, rt: ResourceType, namespace: str | None, label_selector: str = "",
             field_selector: str = "") -> list[dict]:
        provider = self.registry.metrics_provider
        if provider is None:
            items = []
        elif rt.kind == "PodMetrics":
            items = provider.pod_metrics(namespace)
        else:
            items = provider.node_metrics()
        if label_selector:
            selector = labels.parse(label_selector)
            items = [i for i in items if selector.matches(i.get("metadata", {}).get("labels"))]
        if field_selector:
            selector = fields.parse(field_selector, fields.labels())
            items = [i for i in items if selector.matches(i)]
        return items

    def get(self, rt: ResourceType, namespace: str | None, name: str) -> dict:
        for item in self.list(rt, namespace):
            if item.get("metadata", {}).get("name") == name:
                return item
        raise errors.not_found(rt.group, rt.plural, name)


def _metrics_kind(rt: ResourceType, singular: str) -> Kind:
    return Kind(types=(rt,), strategy=Strategy(), defaults=None, validate=None, printer=metrics.metrics_printer,
                field_labels=fields.labels(), scale=False, storage=MetricsStorage, singular=singular)


# metrics-server names its resources' singulars after the objects measured, not after the kinds.
KINDS = (_metrics_kind(resources.lookup("metrics.k8s.io", "v1beta1", "pods"), "pod"),
         _metrics_kind(resources.lookup("metrics.k8s.io", "v1beta1", "nodes"), "node"))
