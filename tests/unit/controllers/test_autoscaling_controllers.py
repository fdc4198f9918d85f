"""One pass of the HPA and ScaledObject controllers against a real Registry: the status, conditions and events
they write, worded as kube-controller-manager and KEDA word them."""
import asyncio

import pytest

from sandbox.controllers.base import Context, InformerFactory
from sandbox.controllers.events import EventRecorder
from sandbox.controllers.horizontal_pod_autoscaler import HorizontalPodAutoscalerController
from sandbox.controllers.scaled_object import ScaledObjectController
from sandbox.machinery import resources

HPAS = resources.lookup("autoscaling", "v2", "horizontalpodautoscalers")
SCALED_OBJECTS = resources.lookup("keda.sh", "v1alpha1", "scaledobjects")
DEPLOYMENTS = resources.lookup("apps", "v1", "deployments")
EVENTS = resources.lookup("", "v1", "events")
API = {"app": "api"}


def api_container(cpu="100m"):
    requests = {"memory": "128Mi", **({"cpu": cpu} if cpu else {})}
    return {"name": "orders-api", "image": "containo-orders:dev", "ports": [{"containerPort": 80}],
            "resources": {"requests": requests}}


class Controllers:
    def __init__(self, world):
        self.world, self.registry = world, world.registry
        self.informers = InformerFactory(world.registry)
        self.recorder = EventRecorder(world.registry, world.clock)
        ctx = Context(world.registry, world.clock, self.informers, self.recorder, [])
        self.hpa, self.keda = HorizontalPodAutoscalerController(ctx), ScaledObjectController(ctx)
        self.hpa.setup()
        self.keda.setup()
        self.informers.start()

    def sync_hpa(self, name="api"):
        asyncio.run(self.hpa.reconcile(f"containo/{name}"))
        self.recorder.flush()
        return self.registry.get(HPAS, "containo", name)

    def sync_scaled_object(self, name="worker"):
        asyncio.run(self.keda.reconcile(f"containo/{name}"))
        self.recorder.flush()
        return self.registry.get(SCALED_OBJECTS, "containo", name)

    def events(self, reason):
        return [e["message"] for e in self.registry.list(EVENTS, "containo")["items"] if e["reason"] == reason]

    def set_replicas(self, name, replicas):
        deployment = self.registry.get(DEPLOYMENTS, "containo", name)
        deployment["spec"]["replicas"] = replicas
        self.registry.update(DEPLOYMENTS, "containo", name, deployment)


@pytest.fixture
def controllers(world):
    world.namespace("containo")
    return Controllers(world)


def create_hpa(registry, target="api", minimum=1, maximum=10, utilization=50):
    registry.create(HPAS, "containo", {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "api", "namespace": "containo"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                 "minReplicas": minimum, "maxReplicas": maximum,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                     "type": "Utilization", "averageUtilization": utilization}}}]}})


def conditions(hpa):
    return {c["type"]: c for c in hpa["status"]["conditions"]}


def api_pods(world, count, cpu="100m", started=120.0):
    world.deployment("containo", "api", API, [api_container(cpu)], replicas=count)
    for i in range(count):
        world.pod("containo", f"api-{i}", API, [api_container(cpu)], started=started)


def test_unknown_until_metrics_exist(world, controllers):
    api_pods(world, 2, started=1)  # running, but not scraped by metrics-server yet
    create_hpa(world.registry)
    hpa = controllers.sync_hpa()
    assert hpa["status"]["currentMetrics"] == [{"type": ""}]  # kubectl shows <unknown>/50%
    assert hpa["status"]["currentReplicas"] == 2 and hpa["status"]["desiredReplicas"] == 0
    active = conditions(hpa)["ScalingActive"]
    assert (active["status"], active["reason"]) == ("False", "FailedGetResourceMetric")
    assert active["message"] == ("the HPA was unable to compute the replica count: failed to get cpu utilization: "
                                 "unable to get metrics for resource cpu: no metrics returned from resource metrics "
                                 "API")
    assert controllers.events("FailedComputeMetricsReplicas") == [
        "invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: failed to get "
        "cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API"]


def test_missing_cpu_request_is_named(world, controllers):
    api_pods(world, 1, cpu=None)
    create_hpa(world.registry)
    active = conditions(controllers.sync_hpa())["ScalingActive"]
    assert active["message"] == ("the HPA was unable to compute the replica count: failed to get cpu utilization: "
                                 "missing request for cpu in container orders-api of Pod api-0")
    assert controllers.events("FailedGetResourceMetric") == [
        "failed to get cpu utilization: missing request for cpu in container orders-api of Pod api-0"]


def test_a_missing_target_cannot_be_scaled(world, controllers):
    create_hpa(world.registry, target="nope")
    able = conditions(controllers.sync_hpa())["AbleToScale"]
    assert (able["status"], able["reason"]) == ("False", "FailedGetScale")
    assert able["message"].startswith("the HPA controller was unable to get the target's current scale: ")
    assert '"nope" not found' in able["message"]


def test_load_above_target_scales_up_through_the_scale_subresource(world, controllers):
    api_pods(world, 2)
    controllers.hpa.model.set_load("containo", "Deployment", "api", 150)  # 75 req/s per pod: 77m of 100m
    create_hpa(world.registry)
    hpa = controllers.sync_hpa()
    assert world.registry.get(DEPLOYMENTS, "containo", "api")["spec"]["replicas"] == 4  # ceil(2 * 77 / 50)
    status = hpa["status"]
    assert (status["currentReplicas"], status["desiredReplicas"]) == (2, 4) and status["lastScaleTime"]
    assert status["currentMetrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "current": {"averageUtilization": 77, "averageValue": "77m"}}}]
    assert controllers.events("SuccessfulRescale") == [
        "New size: 4; reason: cpu resource utilization (percentage of request) above target"]
    c = conditions(hpa)
    assert (c["AbleToScale"]["reason"], c["AbleToScale"]["message"]) == (
        "SucceededRescale", "the HPA controller was able to update the target scale to 4")
    assert c["ScalingActive"]["message"] == ("the HPA was able to successfully calculate a replica count from cpu "
                                             "resource utilization (percentage of request)")
    assert (c["ScalingLimited"]["status"], c["ScalingLimited"]["reason"]) == ("False", "DesiredWithinRange")


def test_max_replicas_limits_and_says_so(world, controllers):
    api_pods(world, 2)
    controllers.hpa.model.set_load("containo", "Deployment", "api", 400)
    create_hpa(world.registry, maximum=3)
    limited = conditions(controllers.sync_hpa())["ScalingLimited"]
    assert (limited["status"], limited["reason"]) == ("True", "TooManyReplicas")
    assert world.registry.get(DEPLOYMENTS, "containo", "api")["spec"]["replicas"] == 3


def test_replicas_outside_the_bounds_are_corrected_first(world, controllers):
    api_pods(world, 2)
    create_hpa(world.registry, minimum=3)
    controllers.sync_hpa()
    assert controllers.events("SuccessfulRescale") == ["New size: 3; reason: Current number of replicas below "
                                                       "Spec.MinReplicas"]


def test_a_target_at_zero_replicas_disables_scaling(world, controllers):
    world.deployment("containo", "api", API, [api_container()], replicas=0)
    create_hpa(world.registry)
    active = conditions(controllers.sync_hpa())["ScalingActive"]
    assert (active["status"], active["reason"], active["message"]) == (
        "False", "ScalingDisabled", "scaling is disabled since the replica count of the target is zero")


# --- KEDA ---------------------------------------------------------------------------------------------------------

def keda_world(world, activation="0"):
    world.deployment("containo", "processor", {"app": "worker"}, [{"name": "queue-processor", "image": "x"}], 0)
    world.deployment("containo", "queue", {"app": "queue"}, [{"name": "redis", "image": "redis"}])
    world.service("containo", "queue", {"app": "queue"}, port=6379)
    world.pod("containo", "queue-0", {"app": "queue"}, [{"name": "redis", "image": "redis"}])
    world.registry.create(SCALED_OBJECTS, "containo", {
        "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
        "metadata": {"name": "worker", "namespace": "containo"},
        "spec": {"scaleTargetRef": {"name": "processor"}, "pollingInterval": 5, "cooldownPeriod": 30,
                 "maxReplicaCount": 5, "triggers": [{"type": "redis", "metadata": {
                     "address": "queue.containo:6379", "listName": "orders", "listLength": "5",
                     "activationListLength": activation}}]}})


def test_keda_creates_its_hpa_and_reports_status(world, controllers):
    keda_world(world)
    so = controllers.sync_scaled_object()
    assert "finalizer.keda.sh" in so["metadata"]["finalizers"]
    assert so["metadata"]["labels"]["scaledobject.keda.sh/name"] == "worker"
    status = so["status"]
    assert (status["hpaName"], status["scaleTargetKind"], status["externalMetricNames"]) == (
        "keda-hpa-worker", "apps/v1.Deployment", ["s0-redis-orders"])
    assert status["originalReplicaCount"] == 0
    assert status["health"] == {"s0-redis-orders": {"numberOfFailures": 0, "status": "Happy"}}
    c = {x["type"]: x for x in status["conditions"]}
    assert (c["Ready"]["status"], c["Active"]["status"], c["Fallback"]["status"]) == ("True", "False", "False")
    hpa = world.registry.get(HPAS, "containo", "keda-hpa-worker")
    assert hpa["metadata"]["ownerReferences"][0]["uid"] == so["metadata"]["uid"]
    assert hpa["spec"]["metrics"][0]["external"]["target"] == {"type": "AverageValue", "averageValue": "5"}


def test_keda_activates_above_the_activation_length_and_cools_down(world, controllers, clock):
    keda_world(world, activation="2")
    model = controllers.keda.model
    model.push("containo", "orders", 2)
    controllers.sync_scaled_object()
    assert world.registry.get(DEPLOYMENTS, "containo", "processor")["spec"]["replicas"] == 0  # 2 is not above 2
    model.push("containo", "orders", 1)
    so = controllers.sync_scaled_object()
    assert world.registry.get(DEPLOYMENTS, "containo", "processor")["spec"]["replicas"] == 1
    assert controllers.events("KEDAScaleTargetActivated") == [
        "Scaled apps/v1.Deployment containo/processor from 0 to 1"]
    assert {x["type"]: x["status"] for x in so["status"]["conditions"]}["Active"] == "True"
    assert so["status"]["lastActiveTime"]

    queue = model.queue("containo", "orders")
    queue.length = 0  # drained
    so = controllers.sync_scaled_object()
    active = {x["type"]: x for x in so["status"]["conditions"]}["Active"]
    assert (active["status"], active["reason"]) == ("False", "ScalerCooldown")
    assert world.registry.get(DEPLOYMENTS, "containo", "processor")["spec"]["replicas"] == 1


def test_keda_reports_an_unreachable_queue(world, controllers):
    keda_world(world)
    world.registry.delete(resources.lookup("", "v1", "services"), "containo", "queue")
    so = controllers.sync_scaled_object()
    ready = {x["type"]: x for x in so["status"]["conditions"]}["Ready"]
    assert (ready["status"], ready["reason"]) == ("False", "TriggerError")
    assert so["status"]["health"]["s0-redis-orders"] == {"numberOfFailures": 1, "status": "Failure"}
    assert controllers.events("KEDAScalerFailed") == [
        "error getting list length: dial tcp: lookup queue.containo on 10.96.0.10:53: no such host"]


def test_keda_rejects_a_trigger_it_cannot_parse(world, controllers):
    keda_world(world)
    so = world.registry.get(SCALED_OBJECTS, "containo", "worker")
    del so["spec"]["triggers"][0]["metadata"]["listName"]
    world.registry.update(SCALED_OBJECTS, "containo", "worker", so)
    so = controllers.sync_scaled_object()
    ready = {x["type"]: x for x in so["status"]["conditions"]}["Ready"]
    assert (ready["status"], ready["reason"]) == ("False", "ScaledObjectCheckFailed")
    assert controllers.events("KEDAScalerFailed") == ["error parsing redis metadata: no list name given"]
