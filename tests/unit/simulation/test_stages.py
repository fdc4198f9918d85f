"""The simulated kubelet's plans, statuses and events as pure functions of time."""
import pytest

from sandbox.simulation import images, stages

STAMP = lambda t: f"T{t:.2f}"


def pod(*containers, init=(), **spec):
    return {"metadata": {"name": "web-1", "uid": "u1", "generation": 1},
            "spec": {"containers": list(containers), "initContainers": list(init), **spec},
            "status": {"phase": "Pending", "qosClass": "BestEffort",
                       "conditions": [{"type": "PodScheduled", "status": "True"}]}}


def c(name, image="nginx:1.27", **extra):
    return {"name": name, "image": image, **extra}


def test_go_duration():
    assert [stages.go_duration(s) for s in (0.3124, 1.5, 3.2789, 65.2, 0)] == ["312ms", "1.5s", "3.278s", "1m5.2s", "0s"]


def test_a_pod_goes_from_container_creating_to_running_to_ready():
    p = pod(c("web", readinessProbe={"initialDelaySeconds": 5}))
    plan = stages.plan(p, 100.0, lambda image: None)
    run = plan.containers[0]
    assert run.pull_at == plan.sandbox_at and run.pulled_at > run.pull_at
    early = stages.pod_status(p, plan, 100.1, STAMP, host_ip="172.18.0.3", pod_ip="10.244.1.2")
    assert early["phase"] == "Pending" and "podIP" not in early
    assert early["containerStatuses"][0]["state"] == {"waiting": {"reason": "ContainerCreating"}}
    assert [x["type"] for x in early["conditions"]] == ["PodReadyToStartContainers", "Initialized", "Ready",
                                                       "ContainersReady", "PodScheduled"]
    ready = {x["type"]: x for x in early["conditions"]}["Ready"]
    assert ready["reason"] == "ContainersNotReady" and ready["message"] == "containers with unready status: [web]"
    running = stages.pod_status(p, plan, run.started_at, STAMP, host_ip="172.18.0.3", pod_ip="10.244.1.2")
    status = running["containerStatuses"][0]
    assert running["phase"] == "Running" and running["podIP"] == "10.244.1.2"
    assert status["state"] == {"running": {"startedAt": STAMP(run.started_at)}}
    assert status["started"] and not status["ready"]
    assert status["image"] == "docker.io/library/nginx:1.27" and status["imageID"].startswith(
        "docker.io/library/nginx@sha256:") and status["containerID"].startswith("containerd://")
    assert run.ready_at - run.started_at >= 5
    done = stages.pod_status(p, plan, run.ready_at, STAMP, host_ip="172.18.0.3", pod_ip="10.244.1.2")
    assert all(x["status"] == "True" for x in done["conditions"]) and done["containerStatuses"][0]["ready"]
    assert stages.next_change(plan, run.ready_at) is None


def test_events_come_in_kubelet_order_with_field_paths():
    p = pod(c("a"), c("b", image="redis:7.4-alpine"))
    plan = stages.plan(p, 0.0, lambda image: 0.0 if image.repository.endswith("nginx") else None)
    events = stages.events_between(plan, -1, 1e9)
    assert [(e.reason, e.field_path) for e in events] == [
        ("Pulled", "spec.containers{a}"), ("Created", "spec.containers{a}"), ("Started", "spec.containers{a}"),
        ("Pulling", "spec.containers{b}"), ("Pulled", "spec.containers{b}"), ("Created", "spec.containers{b}"),
        ("Started", "spec.containers{b}")]
    assert events[0].message == 'Container image "nginx:1.27" already present on machine'
    assert events[4].message.startswith('Successfully pulled image "redis:7.4-alpine" in ')
    assert events[5].message == "Created container: b" and events[6].message == "Started container b"


def test_always_pull_policy_pulls_even_when_the_image_is_there():
    p = pod(c("a", image="nginx:latest"))
    plan = stages.plan(p, 0.0, lambda image: 0.0)
    assert [e.reason for e in plan.events[:2]] == ["Pulling", "Pulled"]


def test_an_image_that_does_not_exist_cycles_through_pull_back_off():
    p = pod(c("a", image="nginx:doesnotexist"))
    plan = stages.plan(p, 0.0, lambda image: None)
    run = plan.containers[0]
    assert run.failing_pull and run.started_at is None
    cycles = list(stages.pull_cycles(run, 100))
    assert cycles[1][0] - cycles[0][1] == pytest.approx(10) and cycles[2][0] - cycles[1][1] == pytest.approx(20)
    failed = stages.pod_status(p, plan, cycles[0][1] + 0.1, STAMP, host_ip="h", pod_ip="i")
    waiting = failed["containerStatuses"][0]["state"]["waiting"]
    assert waiting["reason"] == "ErrImagePull" and "not found" in waiting["message"]
    backoff = stages.pod_status(p, plan, cycles[0][2] + 0.1, STAMP, host_ip="h", pod_ip="i")
    assert backoff["containerStatuses"][0]["state"]["waiting"]["reason"] == "ImagePullBackOff"
    assert backoff["phase"] == "Pending"
    reasons = [e.message for e in stages.events_between(plan, -1, cycles[1][1] + 0.1)]
    assert reasons.count("Error: ErrImagePull") == 2 and "Error: ImagePullBackOff" in reasons
    assert stages.next_change(plan, cycles[0][2] + 0.1) == cycles[1][0]



def test_a_local_image_has_only_the_tag_kind_loaded():
    """After `workshop up --kind` the nodes hold containo-orders:dev and nothing else of that repository: another
    tag, or pull policy Always, goes to Docker Hub, which has no such repository."""
    from helpers.manifests import APP_IMAGE

    loaded, other = images.parse(APP_IMAGE), images.parse("containo-orders:v2")
    assert loaded.preloaded and not other.preloaded and other.local_only and not other.pullable
    assert other.pull_error() == (
        'rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/containo-orders:v2": '
        'failed to resolve reference "docker.io/library/containo-orders:v2": pull access denied, repository does '
        'not exist or may require authorization: server message: insufficient_scope: authorization failed')
    plan = stages.plan(pod(c("api", image="containo-orders:v2"), c("sidecar", image=APP_IMAGE)), 0.0, lambda i: None)
    bad, good = plan.containers
    assert bad.failing_pull and not good.failing_pull
    assert [e.message for e in plan.events if e.field_path == "spec.containers{sidecar}"][0] == \
        f'Container image "{APP_IMAGE}" already present on machine'
    always = stages.image_pull(loaded, "Always", 0.0, 5.0)
    assert always.ready_at is None, "Always asks the registry, even for an image the node holds"
    assert images.parse("nginx:1.27").pullable and not images.parse("registry.example/containo-orders:1").local_only

def test_init_containers_run_first():
    p = pod(c("app"), init=[c("setup", image="busybox:1.36")])
    plan = stages.plan(p, 0.0, lambda image: 0.0)
    init, app = plan.containers
    assert init.exited_at <= app.started_at
    mid = stages.pod_status(p, plan, init.started_at, STAMP, host_ip="h", pod_ip="i")
    initialized = {x["type"]: x for x in mid["conditions"]}["Initialized"]
    assert initialized["status"] == "False" and initialized["message"] == "containers with incomplete status: [setup]"
    assert mid["containerStatuses"][0]["state"] == {"waiting": {"reason": "PodInitializing"}}
    end = stages.pod_status(p, plan, app.started_at, STAMP, host_ip="h", pod_ip="i")
    assert end["initContainerStatuses"][0]["state"]["terminated"]["reason"] == "Completed"


def test_termination_honours_the_grace_period_and_pre_stop_sleep():
    p = pod(c("a", lifecycle={"preStop": {"sleep": {"seconds": 5}}}), terminationGracePeriodSeconds=3)
    plan = stages.plan(p, 0.0, lambda image: 0.0)
    assert stages.stop_seconds(p, plan.containers[0]) == 3
    p["spec"]["terminationGracePeriodSeconds"] = 30
    assert stages.stop_seconds(p, plan.containers[0]) == 5 + stages.TIMINGS.stop


def test_image_references_are_normalized_like_containerd():
    assert images.parse("nginx").reference == "docker.io/library/nginx:latest"
    assert images.parse("bitnami/redis:7").reference == "docker.io/bitnami/redis:7"
    assert images.parse("registry.k8s.io/pause:3.10").repository == "registry.k8s.io/pause"
    assert images.parse("localhost:5000/app:v1").reference == "localhost:5000/app:v1"
    assert images.parse("containo-orders:dev").preloaded
    assert images.pull_policy({"image": "nginx"}) == "Always"
    assert images.pull_policy({"image": "nginx:1.27"}) == "IfNotPresent"
