"""Subresources that are not the object itself: scale (an autoscaling/v1 Scale over any kind whose registration
serves it: spec.replicas, status.replicas and the selector), pods/binding (the scheduler's write) and pods/log
(simulated text). pods/eviction has its own module (eviction.py)."""
from __future__ import annotations

import json

from sandbox.machinery import errors, labels, patching, resources
from sandbox.machinery.errors import Cause
from sandbox.machinery.resources import ResourceType
from sandbox.registry.options import WriteOptions
from sandbox.registry.patch_types import APPLY_PATCH, JSON_PATCH, MERGE_PATCH
from sandbox.simulation import logs as simulated_logs
from sandbox.storage.store import dumps


class SubresourceMixin:
    """Registry's scale, bind and pod_log (mixed into Registry, whose helpers they use)."""

    def _serves_scale(self, rt: ResourceType) -> bool:
        kind = self.kind(rt)
        return kind.scale is True

    def get_scale(self, rt: ResourceType, namespace: str | None, name: str) -> dict:
        if not self._serves_scale(rt):
            raise errors.not_found(rt.group, f"{rt.plural}/scale", name)
        return _scale_of(self.get(rt, namespace, name))

    def _update_scale(self, rt, namespace, name, body, options: WriteOptions) -> dict:
        if not self._serves_scale(rt):
            raise errors.not_found(rt.group, f"{rt.plural}/scale", name)
        if not isinstance(body, dict):
            raise errors.bad_request("the body of a scale update must be an autoscaling/v1 Scale")
        old = self.get(rt, namespace, name)
        meta = body.get("metadata") or {}
        if meta.get("name") not in (None, name):
            raise errors.bad_request(f"the name of the object ({meta['name']}) does not match the name on the "
                                     f"URL ({name})")
        replicas = (body.get("spec") or {}).get("replicas", 0)
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise errors.invalid("autoscaling", "Scale", name, [Cause(
                "spec.replicas", f"Invalid value: {replicas}: must be greater than or equal to 0",
                "FieldValueInvalid")])
        new = json.loads(dumps(old))
        new["metadata"]["resourceVersion"] = meta.get("resourceVersion") or ""
        new.setdefault("spec", {})["replicas"] = replicas
        return _scale_of(self._write_update(rt, old, new, "", options))

    def _patch_scale(self, rt, namespace, name, patch_type, patch, options: WriteOptions) -> dict:
        scale = self.get_scale(rt, namespace, name)
        if patch_type == APPLY_PATCH:
            raise errors.unsupported_media_type(patch_type)
        if patch_type == JSON_PATCH:
            patched = patching.apply_json_patch(scale, patch)
        elif patch_type == MERGE_PATCH:
            patched = patching.apply_merge_patch(scale, patch)
        else:
            patched = patching.apply_strategic_merge_patch(scale, patch, "autoscaling/v1", "Scale")
        return self._update_scale(rt, namespace, name, patched, options)

    def bind(self, namespace: str, name: str, node_name: str, *, dry_run: bool = False) -> dict:
        """pods/<name>/binding: what the scheduler writes (spec.nodeName is otherwise immutable)."""
        rt = resources.lookup("", "v1", "pods")
        pod = self._stored(rt, namespace, name)
        if pod["metadata"].get("deletionTimestamp"):
            raise errors.conflict("", "pods", name, "pod is being deleted, cannot be assigned to a host")
        if (pod.get("spec") or {}).get("nodeName"):
            raise errors.conflict("", "pods", name, f"pod {name} is already assigned to node "
                                  f"\"{pod['spec']['nodeName']}\"")
        pod["spec"]["nodeName"] = node_name
        status = pod.setdefault("status", {})
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
        conditions.append({"type": "PodScheduled", "status": "True",  # no lastProbeTime: null, as decoding drops it
                           "lastTransitionTime": self.clock.timestamp()})
        status["conditions"] = conditions
        if not dry_run:
            self.store.put("pods", namespace, name, pod)
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}

    # pods/log -------------------------------------------------------------------------------------------------
    def pod_log(self, namespace: str, name: str, container: str | None = None, tail_lines: int | None = None) -> str:
        pod = self._stored(resources.lookup("", "v1", "pods"), namespace, name)
        spec = pod.get("spec") or {}
        names = [c.get("name") for c in spec.get("containers") or []]
        init_names = [c.get("name") for c in spec.get("initContainers") or []]
        if not container:
            default = (pod["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
            if len(names) == 1 or default in names:
                container = default if default in names else names[0]
            else:
                choices = f"choose one of: [{' '.join(names)}]"
                if init_names:
                    choices += f" or one of the init containers: [{' '.join(init_names)}]"
                raise errors.bad_request(f"a container name must be specified for pod {name}, {choices}")
        if container not in names + init_names:
            raise errors.bad_request(f"container {container} is not valid for pod {name}")
        return simulated_logs.pod_log(pod, container, tail_lines=tail_lines)


def _scale_of(obj: dict) -> dict:
    meta = obj["metadata"]
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    selector = spec.get("selector")
    scale_status: dict = {"replicas": status.get("replicas", 0)}
    if selector:
        scale_status["selector"] = labels.format_label_selector(selector)
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                         if k in meta},
            "spec": {"replicas": spec.get("replicas", 1)}, "status": scale_status}
