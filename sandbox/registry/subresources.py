"""Subresources that are not the object itself: scale (an autoscaling/v1 Scale over any kind whose registration
serves it: spec.replicas, status.replicas and the selector), pods/binding (the scheduler's write) and pods/log
(checked here as kube-apiserver's LogREST checks it, then read from the node, registry.kubelet). pods/eviction has
its own module (eviction.py)."""
from __future__ import annotations

import json
from typing import AsyncIterator

from sandbox.machinery import errors, labels, patching, resources
from sandbox.machinery.errors import Cause
from sandbox.machinery.resources import ResourceType
from sandbox.registry.kind import ScalePaths
from sandbox.registry.options import WriteOptions
from sandbox.registry.kubelet_connection import LogOptions, NodeError
from sandbox.registry.patch_types import APPLY_PATCH, JSON_PATCH, MERGE_PATCH
from sandbox.storage.store import dumps


class SubresourceMixin:
    """Registry's scale, bind and pod_log (mixed into Registry, whose helpers they use)."""

    def _serves_scale(self, rt: ResourceType) -> bool:
        kind = self.kind(rt)
        return kind.scale is True or isinstance(kind.scale, ScalePaths)

    def get_scale(self, rt: ResourceType, namespace: str | None, name: str) -> dict:
        if not self._serves_scale(rt):
            raise errors.not_found(rt.group, f"{rt.plural}/scale", name)
        return _scale_of(self.get(rt, namespace, name), self.kind(rt).scale)

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
        paths = self.kind(rt).scale
        _set_path(new, paths.spec_replicas if isinstance(paths, ScalePaths) else ".spec.replicas", replicas)
        return _scale_of(self._write_update(rt, old, new, "", options), paths)

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
    def pod_log(self, namespace: str, name: str, container: str | None = None,
                options: LogOptions | None = None) -> AsyncIterator[bytes]:
        """What kube-apiserver's LogREST does before it streams the kubelet's answer: validate the options
        (422), find the pod (404) and the container (400), then ask the pod's node. A pod without a node has
        nowhere to read from and answers empty; what the node refuses becomes the Status the API server passes
        on (NodeError 400: BadRequest with the kubelet's words), before the first byte or while streaming."""
        options = options or LogOptions()
        causes = log_option_causes(options)
        if causes:
            raise errors.invalid("", "PodLogOptions", name, causes)
        pod = self._stored(resources.lookup("", "v1", "pods"), namespace, name)
        container = log_container(pod, container)
        node = (pod.get("spec") or {}).get("nodeName")
        if not node:
            return _nothing()
        if self.kubelet is None:  # no controllers: no node to ask
            raise errors.not_found("", "nodes", node)
        try:
            stream = self.kubelet.logs(pod, container, options)
        except NodeError as e:
            raise node_status(e, name) from None
        return _passed_on(stream, name)


def _get_path(obj, path: str):
    for key in path.strip(".").split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _set_path(obj: dict, path: str, value) -> None:
    keys = path.strip(".").split(".")
    for key in keys[:-1]:
        if not isinstance(obj.get(key), dict):
            obj[key] = {}
        obj = obj[key]
    obj[keys[-1]] = value


def _scale_of(obj: dict, paths=True) -> dict:
    meta = obj["metadata"]
    scale_status: dict = {}
    if isinstance(paths, ScalePaths):  # a custom resource: its CRD's paths, the selector already a string
        spec_replicas = _get_path(obj, paths.spec_replicas)
        scale_status["replicas"] = _get_path(obj, paths.status_replicas) or 0
        selector = _get_path(obj, paths.label_selector) if paths.label_selector else None
        if isinstance(selector, str) and selector:
            scale_status["selector"] = selector
        spec_replicas = spec_replicas if isinstance(spec_replicas, int) else 0
    else:
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        spec_replicas = spec.get("replicas", 1)
        scale_status["replicas"] = status.get("replicas", 0)
        selector = spec.get("selector")
        if selector:
            if not {"matchLabels", "matchExpressions"} & set(selector):  # an equality selector (ReplicationControllers)
                selector = {"matchLabels": selector}
            scale_status["selector"] = labels.format_label_selector(selector)
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                         if k in meta},
            "spec": {"replicas": spec_replicas}, "status": scale_status}


# pods/log: kube-apiserver's side ----------------------------------------------------------------------------------
def log_option_causes(options: LogOptions) -> list[Cause]:
    """ValidatePodLogOptions, with its messages."""
    causes = []
    if options.tail_lines is not None and options.tail_lines < 0:
        causes.append(Cause("tailLines", f"Invalid value: {options.tail_lines}: must be greater than or equal to 0",
                            "FieldValueInvalid"))
    if options.limit_bytes is not None and options.limit_bytes < 1:
        causes.append(Cause("limitBytes", f"Invalid value: {options.limit_bytes}: must be greater than 0",
                            "FieldValueInvalid"))
    if options.since_seconds is not None and options.since_time is not None:
        causes.append(Cause("", "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified",
                            "FieldValueForbidden"))
    elif options.since_seconds is not None and options.since_seconds < 1:
        causes.append(Cause("sinceSeconds", f"Invalid value: {options.since_seconds}: must be greater than 0",
                            "FieldValueInvalid"))
    if options.stream not in LOG_STREAMS:
        causes.append(Cause("stream", f'Unsupported value: "{options.stream}": supported values: '
                            + ", ".join(f'"{s}"' for s in LOG_STREAMS), "FieldValueNotSupported"))
    if options.stream != "All" and options.tail_lines is not None:
        causes.append(Cause("", "Forbidden: `tailLines` and specific `stream` are mutually exclusive for now",
                            "FieldValueForbidden"))
    return causes


LOG_STREAMS = ("Stdout", "Stderr", "All")


def log_container(pod: dict, container: str | None) -> str:
    """validateContainer: the only container when none is named, else one the pod has (its init and ephemeral
    containers count). kubectl reads the kubectl.kubernetes.io/default-container annotation itself; the API
    server does not."""
    spec, name = pod.get("spec") or {}, pod["metadata"]["name"]
    every = [c.get("name") for key in ("initContainers", "containers", "ephemeralContainers")
             for c in spec.get(key) or []]
    if not container:
        regular = spec.get("containers") or []
        if len(regular) == 1:
            return regular[0].get("name")
        if not regular:
            raise errors.bad_request(f"a container name must be specified for pod {name}")
        raise errors.bad_request(f"a container name must be specified for pod {name}, choose one of: "
                                 f"[{' '.join(every)}]")
    if container not in every:
        raise errors.bad_request(f"container {container} is not valid for pod {name}")
    return container


def node_status(error: NodeError, name: str) -> errors.StatusError:
    """How kube-apiserver passes on a kubelet's failed answer (GenericHttpResponseChecker): 400 and 500 with
    the kubelet's text, anything else as a generic server response naming pods/log."""
    if error.code == 400:
        return errors.bad_request(error.message)
    if error.code == 500:
        return errors.internal(error.message)
    details = {"name": name, "kind": "pods/log", "causes": [{"reason": "UnexpectedServerResponse",
                                                             "message": error.message}]}
    if error.code == 404:
        return errors.StatusError(404, "NotFound", f"the server could not find the requested resource "
                                  f"( pods/log {name})", details)
    return errors.StatusError(error.code, "", f"the server responded with the status code {error.code} but did "
                              f"not return more information ( pods/log {name})", details)


async def _nothing() -> AsyncIterator[bytes]:
    return
    yield  # never reached: the yield makes this an async generator that ends at once


async def _passed_on(stream: AsyncIterator[bytes], name: str) -> AsyncIterator[bytes]:
    try:
        async for chunk in stream:
            yield chunk
    except NodeError as e:
        raise node_status(e, name) from None
    finally:
        close = getattr(stream, "aclose", None)
        if close is not None:
            await close()
