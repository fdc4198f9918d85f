"""The Job controller's pod writes (pkg/controller/job: podControl, addCompletionIndexEnvVariables,
removeTrackingFinalizerFromPods): a pod from the template with the Job's controller reference and the tracking
finalizer (an Indexed Job's also with its completion index as annotation, label, JOB_COMPLETION_INDEX and
hostname), deletions, and the finalizer taken off once the pod is counted."""
from __future__ import annotations

import json

from sandbox.controllers.base import owner_reference, rt_of
from sandbox.machinery.errors import StatusError

from .status import FINALIZER, INDEX_KEY

PODS = rt_of("", "pods")
COMPONENT = "job-controller"
MANAGER = "kube-controller-manager"


def pod_from_template(job: dict, index: int | None) -> dict:
    """GetPodFromTemplate plus the Job's additions."""
    spec = job.get("spec") or {}
    template = json.loads(json.dumps(spec.get("template") or {}))
    meta = template.get("metadata") or {}
    name = job["metadata"]["name"]
    pod_meta = {"generateName": f"{name}-" if index is None else f"{name}-{index}-",
                "namespace": job["metadata"]["namespace"], "ownerReferences": [owner_reference(job)],
                "labels": dict(meta.get("labels") or {}), "annotations": dict(meta.get("annotations") or {}),
                "finalizers": [*(meta.get("finalizers") or []), FINALIZER]}
    pod_spec = template.get("spec") or {}
    if index is not None:
        pod_meta["annotations"][INDEX_KEY] = str(index)
        pod_meta["labels"][INDEX_KEY] = str(index)
        pod_spec.setdefault("hostname", f"{name}-{index}")
        env_var = {"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {
            "apiVersion": "v1", "fieldPath": f"metadata.annotations['{INDEX_KEY}']"}}}
        for container in (pod_spec.get("initContainers") or []) + (pod_spec.get("containers") or []):
            env = container.setdefault("env", [])
            if not any(e.get("name") == "JOB_COMPLETION_INDEX" for e in env):
                env.append(env_var)
    if not pod_meta["annotations"]:
        del pod_meta["annotations"]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": pod_spec}


def create_pod(ctx, job: dict, index: int | None) -> StatusError | None:
    try:
        pod = ctx.registry.create(PODS, job["metadata"]["namespace"], pod_from_template(job, index),
                                  field_manager=MANAGER)
    except StatusError as e:
        ctx.recorder.event(job, "Warning", "FailedCreate", f"Error creating: {e.message}", component=COMPONENT,
                           manager=MANAGER)
        return e
    ctx.recorder.event(job, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}",
                       component=COMPONENT, manager=MANAGER)
    return None


def delete_pod(ctx, job: dict, pod: dict) -> None:
    meta = pod["metadata"]
    try:
        ctx.registry.delete(PODS, meta["namespace"], meta["name"], preconditions={"uid": meta["uid"]})
    except StatusError as e:
        if e.code == 404:
            return
        ctx.recorder.event(job, "Warning", "FailedDelete", f"Error deleting: {e.message}", component=COMPONENT,
                           manager=MANAGER)
        raise
    ctx.recorder.event(job, "Normal", "SuccessfulDelete", f"Deleted pod: {meta['name']}", component=COMPONENT,
                       manager=MANAGER)


def remove_finalizer(ctx, pod: dict) -> None:
    """Take the tracking finalizer off (the pod is counted, or its Job is gone): a deleted pod then goes."""
    meta = pod["metadata"]
    finalizers = [f for f in meta.get("finalizers") or [] if f != FINALIZER]
    body = {**pod, "metadata": {k: v for k, v in meta.items() if k != "finalizers"}}
    if finalizers:
        body["metadata"]["finalizers"] = finalizers
    try:
        ctx.registry.update(PODS, meta["namespace"], meta["name"], body, field_manager=MANAGER)
    except StatusError as e:
        if e.code not in (404, 409):
            raise
