"""The Registry as in-process controllers hold it: the same object, except that their create, update and patch
bodies are trusted (built from objects the decoder already produced), so the decoder's type and unknown-field
walk is skipped for them. Validation, defaults, managedFields and everything else still run. Most writes in a
busy sandbox are controllers' (a 1,000-replica deployment makes about 8,000), so this walk mattered."""
from __future__ import annotations


class TrustedWrites:
    def __init__(self, registry):
        object.__setattr__(self, "registry", registry)

    def __getattr__(self, name):  # everything else is the Registry's own
        return getattr(self.registry, name)

    def __setattr__(self, name, value):  # e.g. registry.metrics_provider, set by the workload model
        setattr(self.registry, name, value)

    def create(self, rt, namespace, body, **kwargs) -> dict:
        return self.registry.create(rt, namespace, body, trusted=True, **kwargs)

    def update(self, rt, namespace, name, body, **kwargs) -> dict:
        return self.registry.update(rt, namespace, name, body, trusted=True, **kwargs)

    def patch(self, rt, namespace, name, patch_type, patch, **kwargs) -> dict:
        return self.registry.patch(rt, namespace, name, patch_type, patch, trusted=True, **kwargs)
