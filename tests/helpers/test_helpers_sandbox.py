"""The helpers against a real sandbox process, as a notebook uses them: apply -> wait -> show -> check."""
import uuid

import pytest
import yaml

import helpers
from helpers import checks, cluster
from helpers.guard import ContextRefused
from helpers.topology import topology_svg
from helpers.wait import TimedOut

pytestmark = pytest.mark.sandbox
TIMEOUT = 90  # generous: the machine is shared



def test_connect_names_cluster_version_and_namespace(learner):
    assert repr(learner).startswith("Connected to the sandbox (context workshop-sandbox, Kubernetes v1.37")
    assert learner.namespace.startswith("containo-t")


def test_apply_wait_show_check_on_right_and_wrong_state(learner, capsys):
    ns = learner.namespace
    helpers.apply("manifests/01-namespace")
    helpers.apply("manifests/04-cache")
    assert capsys.readouterr().out.splitlines() == [
        f"namespace/{ns} created", "service/containo-orders-cache-service created",
        "deployment.apps/containo-orders-cache created"]  # kustomize's order: services before deployments
    helpers.wait_for_rollout("containo-orders-cache", timeout=TIMEOUT)
    helpers.wait_for_endpoints("containo-orders-cache-service", timeout=TIMEOUT)
    assert 'deployment "containo-orders-cache" successfully rolled out' in capsys.readouterr().out

    helpers.show("deploy", "svc", "ep")
    shown = capsys.readouterr().out
    assert f"deployments in {ns}" in shown and "containo-orders-cache   1/1     1            1" in shown
    assert "containo-orders-cache-service   ClusterIP" in shown and "6666/TCP" in shown
    assert ":6379" in shown  # the endpoint: a pod IP and the target port

    helpers.check_cache()
    assert capsys.readouterr().out.startswith("PASS  Chapter 4 checkpoint")
    helpers.apply("manifests/04-cache")
    assert capsys.readouterr().out.splitlines() == ["service/containo-orders-cache-service unchanged",
                                                    "deployment.apps/containo-orders-cache unchanged"]

    # A wrong state: the service selects pods that do not exist.
    helpers.kubectl("patch service containo-orders-cache-service --type merge "
                    "-p '{\"spec\":{\"selector\":{\"service\":\"kache\"}}}'")
    capsys.readouterr()
    helpers.check_cache()
    out = capsys.readouterr().out
    assert out.startswith("NOT YET  Chapter 4 checkpoint")
    assert "service/containo-orders-cache-service selects app=containo,microservice=orders,service=kache" in out


def test_ensure_chapter_4_on_an_empty_namespace_then_again(learner, capsys):
    helpers.ensure_chapter(4, timeout=TIMEOUT)
    assert capsys.readouterr().out.strip().startswith(f"Ready for chapter 4: namespace {learner.namespace} has")
    for chapter in (1, 2, 3):
        assert checks.missing(chapter) == [], chapter
    assert any("containo-orders-cache is missing" in line for line in checks.missing(4))
    before = learner.api.read("apps/v1", "Deployment", "containo-orders-frontend", learner.namespace)
    helpers.ensure_chapter(4, timeout=TIMEOUT)
    after = learner.api.read("apps/v1", "Deployment", "containo-orders-frontend", learner.namespace)
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    containers = [c["name"] for c in after["spec"]["template"]["spec"]["containers"]]
    assert containers == ["orders-api", "orders-validator"]


def test_ensure_chapter_3_takes_the_sidecar_back_out(learner, capsys):
    helpers.ensure_chapter(4, timeout=TIMEOUT)
    # Pods that take a while to stop (a preStop sleep of 20 s, 2 s at the suite's time scale): the rollout back to
    # one container finishes while they are still terminating.
    helpers.kubectl("patch deployment containo-orders-frontend --type strategic -p "
                    "'{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"orders-api\","
                    "\"lifecycle\":{\"preStop\":{\"sleep\":{\"seconds\":20}}}}]}}}}'")
    helpers.wait_for_rollout("containo-orders-frontend", timeout=TIMEOUT)
    helpers.ensure_chapter(3, timeout=TIMEOUT)
    live = learner.api.read("apps/v1", "Deployment", "containo-orders-frontend", learner.namespace)
    assert [c["name"] for c in live["spec"]["template"]["spec"]["containers"]] == ["orders-api"]
    assert checks.missing(2) == [] and checks.missing(3)
    pods = learner.api.items("v1", "Pod", learner.namespace, label_selector="service=api")
    assert [p["metadata"]["name"] for p in pods if p["metadata"].get("deletionTimestamp")] == [], \
        "the sidecar's pods are still terminating: the chapter's first listing would show them"
    assert {len(p["spec"]["containers"]) for p in pods} == {1}


def test_ensure_chapter_3_also_undoes_a_sidecar_added_with_kubectl_apply(learner, capsys):
    helpers.ensure_chapter(3, timeout=TIMEOUT)
    helpers.kubectl("apply -f manifests/03-sidecar/api-deployment.yaml")  # client-side: another field manager
    live = learner.api.read("apps/v1", "Deployment", "containo-orders-frontend", learner.namespace)
    assert len(live["spec"]["template"]["spec"]["containers"]) == 2
    helpers.ensure_chapter(3, timeout=TIMEOUT)
    live = learner.api.read("apps/v1", "Deployment", "containo-orders-frontend", learner.namespace)
    assert [c["name"] for c in live["spec"]["template"]["spec"]["containers"]] == ["orders-api"]


def test_ensure_chapter_prunes_rollout_history_and_quiets_the_simulation(learner, sandbox_process, capsys):
    from helpers import scaling_watch, simulation

    ns = learner.namespace
    helpers.ensure_chapter(3, timeout=TIMEOUT)
    helpers.apply("manifests/03-sidecar")  # a rollout: the one-container ReplicaSet stays, at zero
    helpers.wait_for_rollout("containo-orders-frontend", timeout=TIMEOUT)
    assert len(learner.api.items("apps/v1", "ReplicaSet", ns)) == 2
    simulation.simulation(learner, "PUT", f"{ns}/load/deployments/containo-orders-frontend", {"requestsPerSecond": 50})
    simulation.simulation(learner, "PUT", f"{ns}/queues/orders", {"ordersPerSecond": 1})
    simulation.simulation(learner, "POST", f"{ns}/queues/orders/orders", {"count": 30})
    helpers.ensure_chapter(4, timeout=TIMEOUT)
    [current] = learner.api.items("apps/v1", "ReplicaSet", ns)
    assert current["spec"]["replicas"] == 2 and len(current["spec"]["template"]["spec"]["containers"]) == 2
    assert simulation.simulation(learner, "GET", f"{ns}/load")["items"] == []
    [queue] = simulation.simulation(learner, "GET", f"{ns}/queues")["items"]
    assert (queue["length"], queue["ordersPerSecond"]) == (0, 0)
    assert scaling_watch.time_scale(learner) == sandbox_process.time_scale  # GET /simulation/v1/clock
    assert simulation.sandbox_runtime(learner) == "simulated" and simulation.is_simulated(learner)


BAD_SELECTOR = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {service: web}}
  template:
    metadata: {labels: {service: website}}
    spec: {containers: [{name: web, image: nginx}]}
"""


def test_a_selector_that_does_not_match_shows_the_servers_error_with_the_field(learner):
    helpers.apply("manifests/01-namespace", quiet=True)
    with pytest.raises(helpers.WorkshopError) as error:
        helpers.apply(BAD_SELECTOR)
    message = str(error.value)
    assert message.startswith("error when applying deployment.apps/web:\nError from server (Invalid): "
                              'Deployment.apps "web" is invalid:')
    assert "spec.template.metadata.labels" in message and "`selector` does not match template `labels`" in message
    assert error.value._render_traceback_() == [message]


def test_a_bad_name_and_an_unknown_field_are_reported_by_the_server(learner):
    helpers.apply("manifests/01-namespace", quiet=True)
    with pytest.raises(helpers.WorkshopError, match=r"(?s)Invalid.*metadata.name"):
        helpers.apply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n")
    with pytest.raises(helpers.WorkshopError, match='unknown field "spec.replica"'):
        helpers.apply(BAD_SELECTOR.replace("service: website", "service: web").replace(
            "  selector:", "  replica: 2\n  selector:"))


def test_dry_run_and_an_unknown_kind(learner, capsys):
    helpers.apply("manifests/01-namespace", quiet=True)
    helpers.apply("manifests/04-cache", dry_run=True)
    assert capsys.readouterr().out.splitlines() == [
        "service/containo-orders-cache-service created (server dry run)",
        "deployment.apps/containo-orders-cache created (server dry run)"]
    assert learner.api.read("apps/v1", "Deployment", "containo-orders-cache", learner.namespace) is None
    with pytest.raises(helpers.WorkshopError, match='no matches for kind "Widget" in version "example.com/v1"'):
        helpers.apply("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n")


def test_timeout_lists_the_pending_pod_and_its_scheduling_failure(learner):
    helpers.apply("manifests/01-namespace", quiet=True)
    greedy = yaml.safe_load(BAD_SELECTOR.replace("service: website", "service: web"))
    greedy["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "500"}}
    helpers.apply(yaml.safe_dump(greedy), quiet=True)
    with pytest.raises(TimedOut) as error:
        helpers.wait_for_rollout("web", timeout=8)
    message = str(error.value)
    assert 'deployment "web": not done after 8s.' in message
    assert "Pending, not scheduled:" in message and "Insufficient cpu" in message and "(FailedScheduling)" in message


def test_topology_and_kubectl_use_the_learner_namespace(learner, capsys):
    helpers.apply("manifests/01-namespace", quiet=True)
    helpers.apply("manifests/04-cache", quiet=True)
    svg = topology_svg()
    assert f"namespace {learner.namespace}" in svg and "containo-orders-cache-service" in svg
    text = helpers.kubectl("get deployments -o name", capture=True)
    assert text.strip() == "deployment.apps/containo-orders-cache"


def test_two_learners_do_not_see_each_other_and_progress_reports_both(sandbox_process, capsys):
    kubeconfig = str(sandbox_process.kubeconfig)
    names = [f"a{uuid.uuid4().hex[:6]}", f"b{uuid.uuid4().hex[:6]}"]
    try:
        helpers.connect(context="workshop-sandbox", kubeconfig=kubeconfig, learner=names[0])
        helpers.apply("manifests/01-namespace", quiet=True)
        helpers.apply("manifests/04-cache", quiet=True)
        helpers.connect(context="workshop-sandbox", kubeconfig=kubeconfig, learner=names[1])
        helpers.apply("manifests/01-namespace", quiet=True)
        helpers.show("deployments")
        assert "No resources found in containo-" + names[1] in capsys.readouterr().out
        helpers.wait_for_rollout("containo-orders-cache", namespace=f"containo-{names[0]}", timeout=TIMEOUT)
        report = helpers.progress([f"containo-{n}" for n in names])
        assert report[f"containo-{names[0]}"][1] and report[f"containo-{names[1]}"][1]
        assert not report[f"containo-{names[0]}"][2] and not report[f"containo-{names[1]}"][4]
        assert set(checks.workshop_namespaces(cluster.current())) >= {f"containo-{n}" for n in names}
    finally:
        for n in names:
            sandbox_process.kubectl("delete", "namespace", f"containo-{n}", "--wait=false")
        helpers.disconnect()


def test_the_guard_refuses_a_current_production_context_and_explains_an_unreachable_one(sandbox_process, tmp_path):
    helpers.disconnect()
    config = yaml.safe_load(sandbox_process.kubeconfig.read_text())
    config["clusters"].append({"name": "prod", "cluster": {"server": "https://127.0.0.1:9"}})
    config["users"].append({"name": "prod-admin", "user": {"token": "secret"}})
    config["contexts"].append({"name": "prod-eu-west", "context": {"cluster": "prod", "user": "prod-admin"}})
    config["current-context"] = "prod-eu-west"
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ContextRefused, match="Refusing to use the current context 'prod-eu-west'"):
        helpers.connect("current", kubeconfig=str(path))
    with pytest.raises(helpers.WorkshopError, match=r"Cannot reach the cluster at https://127.0.0.1:9: "
                                                    r"connection refused.\nCheck that the cluster is up"):
        helpers.connect(context="prod-eu-west", kubeconfig=str(path))
    assert cluster.connected() is None  # a refused or failed connect leaves nothing half-connected
    conn = helpers.connect(context="workshop-sandbox", kubeconfig=str(path))
    assert conn.context == "workshop-sandbox"
    helpers.disconnect()


def test_connect_without_arguments_starts_the_sandbox_in_the_background(tmp_path, monkeypatch):
    from sandbox import daemon

    for name in ("WORKSHOP_CONTEXT", "WORKSHOP_CLUSTER", "WORKSHOP_LEARNER", "KUBECONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WORKSHOP_HOME", str(tmp_path))
    monkeypatch.setenv("WORKSHOP_TIME_SCALE", "20")
    try:
        conn = helpers.connect()
        assert (conn.cluster, conn.context, conn.namespace) == ("sandbox", "workshop-sandbox", "containo")
        assert conn.kubeconfig == str(daemon.status(tmp_path).kubeconfig)
        assert helpers.connect().server == conn.server  # idempotent: the same sandbox answers again
    finally:
        helpers.disconnect()
        daemon.stop(tmp_path)


def test_on_the_simulated_runtime_load_and_orders_are_the_models_and_say_so(learner, capsys):
    """A sandbox started with --runtime simulated runs nothing: the helpers say so and use its workload model, and
    the chapter's goals ("scaled up", "scaled down") hold on the model's numbers too."""
    helpers.ensure_chapter(6, timeout=TIMEOUT)
    helpers.apply("manifests/06-scaling/api-hpa.yaml")
    helpers.wait_for_autoscaler(timeout=TIMEOUT)
    helpers.generate_load(200)
    run = helpers.watch_scaling("containo-orders-frontend", until="scaled up", timeout=TIMEOUT)
    assert run.samples[-1].replicas > 2
    helpers.stop_load()
    helpers.watch_scaling(previous=run, until="scaled down", timeout=TIMEOUT)
    helpers.enqueue_orders(3)
    helpers.wait_for_queue(timeout=TIMEOUT)
    out = capsys.readouterr().out
    assert "[simulation] 200 requests/s offered to service/containo-orders-frontend" in out
    assert "[simulation] 3 orders pushed onto the Redis list 'orders'" in out
    with pytest.raises(helpers.WorkshopError, match="runs with --runtime simulated: no process serves"):
        with helpers.reach_service():
            pass
