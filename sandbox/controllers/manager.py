"""kube-controller-manager, kube-scheduler, the kubelets and cloud-provider-kind of the sandbox in one object:
`ControllerManager(registry, clock, nodes=3, root_ca=pem, run_directory=None, network=None)`, then `await start()`
(nodes exist when it returns) and `await stop()`. All controllers share one set of informers fed by the Registry and
one event recorder. `root_ca` is the PEM the kube-root-ca.crt ConfigMaps carry: the server's CA when given, else a
CA made here. With a `run_directory`, containers whose images the sandbox knows run there as local processes
(sandbox/kubelet/), reachable through `network` (sandbox/pod_network/); without one, every pod is simulated.
Either way the manager sets `registry.kubelet`, the node the API server asks for logs, exec and port-forward."""
from __future__ import annotations

import asyncio
import logging

import trustme

from sandbox.clock import Clock
from sandbox.controllers.base import Context, InformerFactory
from sandbox.controllers.bootstrap import api_server_endpoints
from sandbox.controllers.apiservices import APIServiceController
from sandbox.controllers.clusterrole_aggregation import ClusterRoleAggregationController
from sandbox.controllers.crd_finalizer import CRDFinalizerController
from sandbox.controllers.crd_naming import CRDNamingController
from sandbox.controllers.deployment import DeploymentController
from sandbox.controllers.disruption import DisruptionController
from sandbox.controllers.endpoints import EndpointsController
from sandbox.controllers.endpointslice import EndpointSliceController
from sandbox.controllers.events import EventRecorder
from sandbox.controllers.garbage_collector import GarbageCollector
from sandbox.controllers.horizontal_pod_autoscaler import HorizontalPodAutoscalerController
from sandbox.controllers.kubelet import Kubelet
from sandbox.controllers.namespace import NamespaceController
from sandbox.controllers.node import NodeController
from sandbox.controllers.replicaset import ReplicaSetController
from sandbox.controllers.rootca import RootCAPublisher
from sandbox.controllers.redis_lists import RedisLists
from sandbox.controllers.scaled_object import ScaledObjectController
from sandbox.controllers.scheduler import Scheduler
from sandbox.controllers.service import ServiceController
from sandbox.controllers.serviceaccount import ServiceAccountController
from sandbox.controllers.simulated_node import SimulatedNode
from sandbox.controllers.cronjob import CronJobController
from sandbox.controllers.job import JobController
from sandbox.controllers.ttl_after_finished import TTLAfterFinishedController
# issue 11, apps-kinds
from sandbox.controllers.daemonset import DaemonSetController
from sandbox.controllers.local_path_provisioner import LocalPathProvisioner
from sandbox.controllers.node_lifecycle import NodeLifecycleController
from sandbox.controllers.persistent_volume import PersistentVolumeController
from sandbox.controllers.pod_gc import PodGarbageCollector
from sandbox.controllers.replication import ReplicationManager
from sandbox.controllers.statefulset import StatefulSetController
from sandbox.controllers.volume_protection import VolumeProtectionController
from sandbox.kubelet.node import ProcessRuntime
from sandbox.kubelet.node_server import ProcessNodeConnection
from sandbox.machinery import resources
from sandbox.machinery.errors import StatusError
from sandbox.registry.trusted import TrustedWrites
from sandbox.simulation import nodes as simulated_nodes

log = logging.getLogger(__name__)
_PODS = resources.lookup("", "v1", "pods")

CONTROLLERS = (NamespaceController, GarbageCollector, DeploymentController, ReplicaSetController, Scheduler,
               Kubelet, ServiceController, EndpointSliceController, EndpointsController, ServiceAccountController,
               RootCAPublisher, HorizontalPodAutoscalerController, ScaledObjectController, DisruptionController,
               JobController, CronJobController, TTLAfterFinishedController,  # batch/v1
               # issue 11, apps-kinds
               NodeLifecycleController, PodGarbageCollector, StatefulSetController, DaemonSetController,
               ReplicationManager, PersistentVolumeController, LocalPathProvisioner, VolumeProtectionController,
               # issue 11, api-kinds
               ClusterRoleAggregationController, APIServiceController, CRDNamingController, CRDFinalizerController)


class ControllerManager:
    def __init__(self, registry, clock: Clock, *, nodes: int = 3, root_ca: bytes | str | None = None,
                 run_directory=None, network=None):
        self.registry, self.clock = registry, clock
        self.nodes = simulated_nodes.cluster(nodes)
        self.informers = InformerFactory(registry)
        writer = TrustedWrites(registry)  # controllers' bodies come from decoded objects: no decoder walk
        self.recorder = EventRecorder(writer, clock)
        if root_ca is None:
            root_ca = trustme.CA(organization_name="containo workshop sandbox").cert_pem.bytes()
        if isinstance(root_ca, bytes):
            root_ca = root_ca.decode()
        ctx = Context(writer, clock, self.informers, self.recorder, self.nodes, root_ca)
        simulated = SimulatedNode(self._current_pod)
        if run_directory is not None:
            ctx.runtime = ProcessRuntime(ctx, run_directory, network)
            ctx.redis_lists = RedisLists(ctx.runtime)
            registry.kubelet = ProcessNodeConnection(ctx.runtime, simulated)
        else:
            registry.kubelet = simulated
        self.runtime = ctx.runtime
        self.node_controller = NodeController(ctx)
        self.controllers = [self.node_controller] + [cls(ctx) for cls in CONTROLLERS]
        self._events: asyncio.Task | None = None
        self.running = False

    def _current_pod(self, namespace: str, name: str) -> dict | None:
        try:
            return self.registry.get(_PODS, namespace, name)
        except StatusError:
            return None

    def controller(self, name: str):
        return next(c for c in self.controllers if c.name == name)

    async def start(self) -> None:
        if self.running:
            return
        api_server_endpoints(self.registry, self.nodes[0].ip)
        if self.runtime is not None:
            await self.runtime.start()
        for controller in self.controllers:
            controller.setup()
        self.informers.start()
        self.node_controller.register()
        for controller in self.controllers:
            controller.started()
            controller.start()
        self._events = asyncio.create_task(self.recorder.run(), name="event-recorder")
        self.running = True
        log.info("controllers started: %d simulated nodes", len(self.nodes))

    async def stop(self) -> None:
        if not self.running:
            return
        self.running = False
        if self.runtime is not None:
            await self.runtime.stop()  # every container process is gone before the controllers stop
        for controller in self.controllers:
            await controller.stop()
        if self._events is not None:
            self._events.cancel()
            await asyncio.gather(self._events, return_exceptions=True)
        self.informers.stop()
