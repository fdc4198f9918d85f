"""What the kubelets of the simulated nodes share when containers run as local processes (ProcessRuntime), and
what one node's pods see of it (NodeServices): the process table and its reaper, the container logs, the
containers' scratch directories and the images' bin directories, CPU and memory sampling, the pod network.

    runtime = ProcessRuntime(ctx, run_directory, network)    # built by the controller manager
    await runtime.start() ... await runtime.stop()           # stop: every process is gone when it returns

Directories under the run directory: logs/ (one folder per pod, as /var/log/pods), pods/ (each container's working
directory, a pod's emptyDir volumes), images/ (each runnable image's bin directory: its PATH), nodes/<node>/ (what
a node's hostPath volumes and the local-path provisioner's volumes hold)."""
from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path

from sandbox.kubelet import hooks
from sandbox.kubelet.launch import PodContext, volume_directories
from sandbox.machinery import resources
from sandbox.runtime import container_logs
from sandbox.runtime.processes import Processes
from sandbox.runtime.usage import UsageSampler
from sandbox.simulation import workload

log = logging.getLogger(__name__)

PODS = resources.lookup("", "v1", "pods")
METRICS_RESOLUTION = 15.0  # metrics-server's --metric-resolution, in simulated seconds
SHUTDOWN_GRACE_SECONDS = 2.0  # real seconds each process gets to exit when the sandbox stops


class ProcessRuntime:
    def __init__(self, ctx, run_directory: Path, network=None):
        self.ctx, self.registry, self.clock, self.recorder = ctx, ctx.registry, ctx.clock, ctx.recorder
        self.network = network
        self.run_directory = Path(run_directory)
        self.logs = container_logs.ContainerLogs(self.run_directory / "logs")
        self.scratch_root = self.run_directory / "pods"
        self.bin_root = self.run_directory / "images"
        self.processes = Processes()
        self.usage = UsageSampler(window_seconds=METRICS_RESOLUTION / ctx.clock.time_scale)
        self.workers: dict[str, object] = {}  # pod uid -> PodWorker
        self.pods = ctx.informers.informer(resources.storage_type("pods"))
        self.services = ctx.informers.informer(resources.storage_type("services"))
        self.config_maps = ctx.informers.informer(resources.storage_type("configmaps"))
        self.secrets = ctx.informers.informer(resources.storage_type("secrets"))
        self.claims = ctx.informers.informer(resources.storage_type("persistentvolumeclaims"))
        self.volumes = ctx.informers.informer(resources.storage_type("persistentvolumes"))

    async def start(self) -> None:
        for directory in (self.scratch_root, self.bin_root):
            directory.mkdir(parents=True, exist_ok=True)
        await self.processes.start()
        model = workload.attach(self.registry, self.clock)  # metrics.k8s.io: measured where a process runs
        model.measured_usage, model.runs_processes = self.measured_usage, self.runs_processes

    async def stop(self) -> None:
        """The sandbox stops: every container process ends (SIGTERM, then SIGKILL), and so does the reaper."""
        for worker in list(self.workers.values()):
            worker.stopped.set()
        await self.processes.stop(SHUTDOWN_GRACE_SECONDS)
        for worker in list(self.workers.values()):
            worker.cancel()

    def node(self, spec, images: dict) -> "NodeServices":
        return NodeServices(self, spec, images)

    def forget(self, pod: dict) -> None:
        """The pod object is gone: its worker, logs and working directories go too."""
        uid = pod["metadata"]["uid"]
        self.workers.pop(uid, None)
        self.logs.remove_pod(pod)
        shutil.rmtree(self.scratch_root / uid, ignore_errors=True)

    def runs_processes(self, pod: dict) -> bool:
        worker = self.workers.get(pod["metadata"].get("uid"))
        return worker is not None and not all(r.simulated for r in worker.records)

    # metrics.k8s.io for containers with processes ----------------------------------------------------------------
    def measured_usage(self, pod: dict) -> list[tuple[str, float, float]] | None:
        """(container, millicores, MiB) measured from a pod's processes; None when the pod runs none (the workload
        model answers for it) or when there are not yet two samples to compute a rate from."""
        worker = self.workers.get(pod["metadata"].get("uid"))
        if worker is None or all(r.simulated for r in worker.records):
            return None
        usage = []
        for record in worker.records:
            if record.role != "app":
                continue
            runner = worker.runners[record.name]
            process = runner.process
            if record.simulated or process is None or process.returncode is not None:
                usage.append((record.name, 0.0, 0.0))
                continue
            sample = self.usage.usage((worker.uid, record.name), process.pid)
            if sample is None:
                return None
            usage.append((record.name, sample.millicores, sample.working_set_bytes / 2**20))
        return usage


class NodeServices:
    """One node's view of the runtime, handed to its pod workers."""

    def __init__(self, runtime: ProcessRuntime, spec, images: dict):
        self.runtime, self.spec, self.images = runtime, spec, images
        self.name, self.host_ip = spec.name, spec.ip
        self.clock, self.processes, self.recorder = runtime.clock, runtime.processes, runtime.recorder
        self.usage = runtime.usage
        self.runs_processes = True

    def current_pod(self, namespace: str, name: str) -> dict | None:
        return self.runtime.pods.get(namespace, name)

    def write_status(self, pod: dict, status: dict) -> None:
        meta = pod["metadata"]
        self.runtime.registry.update(PODS, meta["namespace"], meta["name"], {**pod, "status": status},
                                     subresource="status", field_manager="kubelet")

    def pod_context(self, worker) -> PodContext:
        runtime, namespace = self.runtime, worker.namespace
        services = runtime.services.list(namespace) + [s for s in runtime.services.list("default")
                                                       if s["metadata"]["name"] == "kubernetes"]
        network = runtime.network

        def network_env(container: str) -> dict[str, str]:
            return network.pod_environment(worker.pod, worker.pod_ip, container) if network is not None else {}
        scratch = runtime.scratch_root / worker.uid
        volumes = volume_directories(worker.pod, runtime.run_directory / "nodes" / self.name, scratch,
                                     runtime.claims.get, lambda name: runtime.volumes.get(None, name))
        return PodContext(worker.pod, worker.pod_ip, self.host_ip, services,
                          InformerLookup(runtime.config_maps), InformerLookup(runtime.secrets),
                          dict(self.spec.capacity), network_env, scratch, runtime.bin_root, volumes)

    async def open_connection(self, host: str, port: int, timeout: float):
        """A TCP connection to a pod's or a Service's address, as a process on this node would open it."""
        if self.runtime.network is None:
            raise ConnectionRefusedError(111, "Connection refused: no pod network")
        return await self.runtime.network.open_connection(host, port, timeout)

    def release_network(self, worker, container: str | None = None) -> None:
        """The pod's (or one container's) processes are gone: their ports are free again."""
        if self.runtime.network is not None:
            self.runtime.network.release(worker.pod_ip, container)

    async def run_pre_stop(self, worker, runner, grace_seconds: float) -> None:
        try:
            await asyncio.wait_for(hooks.pre_stop(worker, runner), timeout=worker.real(grace_seconds))
        except asyncio.TimeoutError:
            pass


class InformerLookup:
    """An informer's cache read as the environment builder reads ConfigMaps and Secrets: .get((namespace, name))."""

    def __init__(self, informer):
        self.informer = informer

    def get(self, key: tuple[str, str]) -> dict | None:
        return self.informer.get(*key)
