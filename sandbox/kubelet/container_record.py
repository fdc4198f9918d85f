"""What the kubelet knows about one container of a pod it runs: its state now (waiting, running or terminated,
with reason and message), the last terminated instance, the restart count, whether it has started and is ready,
and which image it runs. `status()` renders it as a v1.ContainerStatus.

The record is written by the container's runner (sandbox/kubelet/container_runner.py) and read when the pod's
status is assembled (sandbox/kubelet/pod_status.py). Times are wall-clock Unix seconds: they go into objects."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sandbox.machinery import timestamps
from sandbox.simulation.images import Image


def rfc3339(moment: float) -> str:
    """metav1.Time: whole seconds."""
    return timestamps.rfc3339(int(moment))


@dataclass
class Terminated:
    exit_code: int
    reason: str  # Completed | Error | StartError | ContainerCannotRun | Unknown
    started_at: float | None
    finished_at: float
    container_id: str = ""
    message: str = ""
    signal: int = 0

    def render(self) -> dict:
        out: dict = {"exitCode": self.exit_code, "reason": self.reason, "finishedAt": rfc3339(self.finished_at)}
        out["startedAt"] = rfc3339(self.started_at if self.started_at is not None else self.finished_at)
        if self.container_id:
            out["containerID"] = self.container_id
        if self.message:
            out["message"] = self.message
        if self.signal:
            out["signal"] = self.signal
        return out


@dataclass
class ContainerRecord:
    name: str
    role: str  # "init" (runs to completion), "sidecar" (restartable init container) or "app"
    spec: dict
    image: Image
    waiting_reason: str = "ContainerCreating"
    waiting_message: str = ""
    running_since: float | None = None  # wall-clock start of the running instance
    terminated: Terminated | None = None  # the current state, when the container stopped and stays stopped
    last_terminated: Terminated | None = None
    restart_count: int = 0
    started: bool = False  # the startup probe passed (or there is none) since the instance started
    ready: bool = False
    instance: int = -1  # which instance runs or ran last (0 for the first start): names its log and its ID
    simulated: bool = False  # no process: the image is not in the catalogue
    ever_started: bool = field(default=False)

    @property
    def field_path(self) -> str:
        kind = "containers" if self.role == "app" else "initContainers"
        return f"spec.{kind}{{{self.name}}}"

    def container_id(self, pod_uid: str, instance: int | None = None) -> str:
        instance = self.instance if instance is None else instance
        digest = hashlib.sha256(f"{pod_uid}/{self.name}/{instance}".encode()).hexdigest()
        return f"containerd://{digest}"

    # transitions ------------------------------------------------------------------------------------------------
    def wait(self, reason: str, message: str = "") -> None:
        """Waiting (ContainerCreating, CrashLoopBackOff, CreateContainerConfigError, ErrImagePull...): a stopped
        instance becomes the last state."""
        if self.terminated is not None:
            self.last_terminated, self.terminated = self.terminated, None
        self.running_since = None
        self.started = self.ready = False
        self.waiting_reason, self.waiting_message = reason, message

    def run(self, since: float) -> None:
        if self.terminated is not None:
            self.last_terminated, self.terminated = self.terminated, None
        if self.ever_started:
            self.restart_count += 1
        self.ever_started = True
        self.instance += 1
        self.running_since = since
        self.started = self.ready = False
        self.waiting_reason = self.waiting_message = ""

    def stop(self, terminated: Terminated) -> None:
        self.running_since = None
        self.started = self.ready = False
        self.terminated = terminated

    @property
    def running(self) -> bool:
        return self.running_since is not None

    # status -----------------------------------------------------------------------------------------------------
    def status(self, pod_uid: str) -> dict:
        out: dict = {"name": self.name, "image": self.image.spec, "imageID": "", "ready": self.ready,
                     "restartCount": self.restart_count, "started": self.started}
        if self.ever_started:
            out.update(image=self.image.reference, imageID=self.image.image_id,
                       containerID=self.container_id(pod_uid))
        if self.running:
            out["state"] = {"running": {"startedAt": rfc3339(self.running_since)}}
        elif self.terminated is not None:
            out["state"] = {"terminated": self.terminated.render()}
        else:
            waiting = {"reason": self.waiting_reason}
            if self.waiting_message:
                waiting["message"] = self.waiting_message
            out["state"] = {"waiting": waiting}
        out["lastState"] = {"terminated": self.last_terminated.render()} if self.last_terminated else {}
        if not self.ever_started and not self.last_terminated:
            out.pop("lastState")
        resources = self.spec.get("resources")
        if resources and self.ever_started:
            out["resources"] = resources
        mounts = [{"name": m.get("name"), "mountPath": m.get("mountPath"),
                   **({"readOnly": True, "recursiveReadOnly": "Disabled"} if m.get("readOnly") else {})}
                  for m in self.spec.get("volumeMounts") or []]
        if mounts and self.ever_started:
            out["volumeMounts"] = mounts
        return out

    # for the pod's phase (kubelet getPhase) ----------------------------------------------------------------------
    @property
    def counts_as_stopped(self) -> bool:
        """Terminated, or waiting to restart after an instance stopped (CrashLoopBackOff counts as stopped)."""
        return self.terminated is not None or (not self.running and self.last_terminated is not None)

    @property
    def succeeded(self) -> bool:
        last = self.terminated or self.last_terminated
        return last is not None and last.exit_code == 0
