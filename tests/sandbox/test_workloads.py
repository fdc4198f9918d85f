"""Controllers seen from outside, through the Python client: a deployment becomes Available, a deleted pod is
replaced, and a rolling update stays within maxSurge/maxUnavailable the whole way."""
import time

import pytest
from kubernetes import client, watch

pytestmark = pytest.mark.sandbox


def web(replicas: int, image: str = "nginx:1.27") -> client.V1Deployment:
    labels = {"app": "web"}
    return client.V1Deployment(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1DeploymentSpec(
            replicas=replicas, selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(containers=[client.V1Container(name="web", image=image)]))))


def available(apps, ns, replicas, timeout=90) -> client.V1Deployment:
    deadline = time.monotonic() + timeout
    while True:
        deploy = apps.read_namespaced_deployment("web", ns)
        status = deploy.status
        conditions = {c.type: c.status for c in status.conditions or []}
        if (status.available_replicas == replicas and status.updated_replicas == replicas
                and status.observed_generation == deploy.metadata.generation and conditions.get("Available") == "True"):
            return deploy
        assert time.monotonic() < deadline, f"not available: {status}"
        time.sleep(0.2)


@pytest.fixture
def api(sandbox_process):
    with sandbox_process.api_client() as api_client:
        yield api_client


def test_a_deployment_becomes_available_and_a_deleted_pod_is_replaced(api, fresh_namespace):
    apps, core, ns = client.AppsV1Api(api), client.CoreV1Api(api), fresh_namespace
    apps.create_namespaced_deployment(ns, web(3))
    available(apps, ns, 3)
    pods = core.list_namespaced_pod(ns, label_selector="app=web").items
    assert len(pods) == 3 and all(p.status.phase == "Running" and p.spec.node_name for p in pods)
    victim = pods[0].metadata.name
    core.delete_namespaced_pod(victim, ns)
    deadline = time.monotonic() + 90
    while True:
        running = [p for p in core.list_namespaced_pod(ns, label_selector="app=web").items
                   if p.metadata.name != victim and p.status.phase == "Running" and not p.metadata.deletion_timestamp]
        if len(running) == 3:
            break
        assert time.monotonic() < deadline
        time.sleep(0.2)
    available(apps, ns, 3)


def test_a_rolling_update_respects_max_surge_and_max_unavailable(api, fresh_namespace):
    apps, ns = client.AppsV1Api(api), fresh_namespace
    apps.create_namespaced_deployment(ns, web(4))  # 25% of 4: at most 1 extra, at most 1 missing
    available(apps, ns, 4)
    stream = watch.Watch()
    replica_sets: dict[str, tuple[int, int]] = {}
    worst_total, worst_available = 0, 4
    apps.patch_namespaced_deployment("web", ns, {"spec": {"template": {"spec": {"containers": [
        {"name": "web", "image": "nginx:1.28"}]}}}})
    deadline = time.monotonic() + 120
    for event in stream.stream(apps.list_namespaced_replica_set, ns, timeout_seconds=120):
        rs = event["object"]
        if event["type"] == "DELETED":
            replica_sets.pop(rs.metadata.name, None)
        else:
            replica_sets[rs.metadata.name] = (rs.spec.replicas or 0, rs.status.available_replicas or 0)
        worst_total = max(worst_total, sum(spec for spec, _ in replica_sets.values()))
        worst_available = min(worst_available, sum(avail for _, avail in replica_sets.values()))
        new = [name for name, _ in replica_sets.items()
               if apps.read_namespaced_replica_set(name, ns).spec.template.spec.containers[0].image == "nginx:1.28"]
        if new and replica_sets[new[0]] == (4, 4) and sum(s for s, _ in replica_sets.values()) == 4:
            stream.stop()
        assert time.monotonic() < deadline, replica_sets
    assert len(replica_sets) == 2, "the old ReplicaSet stays, scaled to 0, for rollbacks"
    assert worst_total <= 5 and worst_available >= 3, (worst_total, worst_available)
    available(apps, ns, 4)
