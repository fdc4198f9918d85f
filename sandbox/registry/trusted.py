"""The Registry as in-process controllers hold it: the same object, except that their create, update and patch
bodies are trusted (built from objects the decoder already produced), so the decoder's type and unknown-field
walk is skipped for them. Validation, defaults, managedFields and everything else still run. Most writes in a
busy sandbox are controllers' (a 1,000-replica deployment makes about 8,000), so this walk mattered."""
from __future__ import annotations

import json
import random

from sandbox.machinery import validation
from sandbox.machinery.errors import StatusError
from sandbox.registry import kinds
from sandbox.storage.store import dumps


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


def check_decoded(rt, obj: dict) -> None:
    """Raise AssertionError unless decoding `obj` strictly would change nothing that defaulting does not restore
    (see Registry.check_trusted)."""
    decoded, kept = json.loads(dumps(obj)), json.loads(dumps(obj))
    try:
        validation.decode(rt, decoded, "Strict")
    except StatusError as e:
        raise AssertionError(f"a trusted {rt.kind} write does not decode: {e.message}") from None
    state = random.getstate()  # defaulting draws random names: draw the same ones for both
    kinds.apply_defaults(rt, decoded)
    random.setstate(state)
    kinds.apply_defaults(rt, kept)
    if decoded != kept:
        raise AssertionError(f"a trusted {rt.kind} write changes when decoded at {_first_difference(kept, decoded)}")


def _first_difference(a, b, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if a.get(key, _MISSING) != b.get(key, _MISSING):
                return _first_difference(a.get(key, _MISSING), b.get(key, _MISSING), f"{path}.{key}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
    return f"{path}: {a!r} -> {b!r}"


_MISSING = "<missing>"
