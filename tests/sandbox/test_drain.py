"""kubectl drain, cordon and uncordon against the sandbox, and pods/eviction as clients see it: drain cordons the
node, evicts its pods through pods/eviction (found in /api/v1 discovery) and waits until they are gone, and the
Deployment's pods come back on the other nodes; a PodDisruptionBudget holds the drain back while it allows no
disruption, as on a real cluster."""
import json
import re

import pytest
from kubernetes import client

from tests.waiting import wait_until

pytestmark = pytest.mark.sandbox

NAMESPACE = "drain"


@pytest.fixture
def cluster(sandbox_factory):
    """A sandbox of its own: draining a node of the session sandbox would move the pods of every later test."""
    return sandbox_factory()


def ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def pods_by_node(sandbox, namespace: str = NAMESPACE) -> dict[str, str]:
    """pod name -> node of the running, ready pods of the deployment `web` (terminating ones left out)."""
    listed = json.loads(ok(sandbox.kubectl("get", "pods", "-n", namespace, "-l", "app=web", "-o", "json")))
    return {p["metadata"]["name"]: p["spec"].get("nodeName") for p in listed["items"]
            if not p["metadata"].get("deletionTimestamp")
            and any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))}


def unschedulable(sandbox, node: str) -> bool:
    return json.loads(ok(sandbox.kubectl("get", "node", node, "-o", "json")))["spec"].get("unschedulable", False)


def test_drain_evicts_the_pods_of_a_node_and_the_deployment_replaces_them_elsewhere(cluster):
    ok(cluster.kubectl("create", "namespace", NAMESPACE))
    ok(cluster.kubectl("create", "deployment", "web", "--image=nginx:1.27", "--replicas=4", "-n", NAMESPACE))

    def four_ready(avoiding: str | None = None, gone: frozenset = frozenset()):
        now = pods_by_node(cluster)
        return now if len(now) == 4 and avoiding not in now.values() and not gone & set(now) else None

    placed = wait_until(four_ready, timeout=120, what="4 ready pods")
    node = next(iter(placed.values()))
    evicted = frozenset(pod for pod, where in placed.items() if where == node)
    try:
        output = ok(cluster.kubectl("drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=120s",
                                    timeout=180))
        assert f"node/{node} cordoned" in output and f"node/{node} drained" in output
        assert {f"pod/{pod} evicted" for pod in evicted} <= set(output.splitlines())
        assert unschedulable(cluster, node)
        wait_until(lambda: four_ready(node, evicted), timeout=120, what=f"4 ready pods again, none on {node}",
                   debug=lambda: cluster.kubectl("get", "pods", "-A", "-o", "wide").stdout)
    finally:
        uncordoned = cluster.kubectl("uncordon", node)
    assert ok(uncordoned).strip() == f"node/{node} uncordoned"
    assert not unschedulable(cluster, node)


def budget_status(sandbox, namespace: str = NAMESPACE) -> dict:
    """The status of PodDisruptionBudget `web` once the disruption controller has seen its latest spec, else {}."""
    pdb = json.loads(ok(sandbox.kubectl("get", "pdb", "web", "-n", namespace, "-o", "json")))
    status = pdb.get("status") or {}
    return status if status.get("observedGeneration") == pdb["metadata"]["generation"] else {}


def test_drain_waits_for_a_pod_disruption_budget_to_allow_the_eviction(cluster):
    ok(cluster.kubectl("create", "namespace", NAMESPACE))
    ok(cluster.kubectl("create", "deployment", "web", "--image=nginx:1.27", "--replicas=3", "-n", NAMESPACE))
    placed = wait_until(lambda: len(now := pods_by_node(cluster)) == 3 and now, timeout=120, what="3 ready pods")
    ok(cluster.kubectl("create", "pdb", "web", "--selector=app=web", "--min-available=3", "-n", NAMESPACE))
    wait_until(lambda: budget_status(cluster).get("currentHealthy") == 3, timeout=60, what="the budget synced")
    nodes = sorted(set(placed.values()), key=list(placed.values()).count)
    node = nodes[0]  # the node hosting the fewest of them
    victims = {pod for pod, where in placed.items() if where == node}
    try:
        refused = cluster.kubectl("drain", node, "--ignore-daemonsets", "--timeout=15s", timeout=90)
        assert refused.returncode != 0
        for pod in victims:
            assert (f'error when evicting pods/"{pod}" -n "{NAMESPACE}" (will retry after 5s): Cannot evict pod as '
                    "it would violate the pod's disruption budget.") in refused.stderr, refused.stderr
        assert "global timeout reached: 15s" in refused.stderr
        assert victims <= {pod for pod, where in pods_by_node(cluster).items() if where == node}, "the pods stay"
        assert budget_status(cluster)["disruptionsAllowed"] == 0
        ok(cluster.kubectl("patch", "pdb", "web", "-n", NAMESPACE, "--type=merge", "-p",
                           '{"spec": {"minAvailable": 2}}'))
        wait_until(lambda: budget_status(cluster).get("disruptionsAllowed") == 1, timeout=60,
                   what="minAvailable 2: one disruption allowed")
        output = ok(cluster.kubectl("drain", node, "--ignore-daemonsets", "--timeout=120s", timeout=180))
        assert f"node/{node} drained" in output
        assert {f"pod/{pod} evicted" for pod in victims} <= set(output.splitlines())

        def replaced():
            now = pods_by_node(cluster)
            return now if len(now) == 3 and node not in now.values() and not victims & set(now) else None
        wait_until(replaced, timeout=120, what=f"3 ready pods again, none on {node}",
                   debug=lambda: cluster.kubectl("get", "pods,pdb", "-n", NAMESPACE, "-o", "wide").stdout)
    finally:
        uncordoned = cluster.kubectl("uncordon", node)
    assert ok(uncordoned).strip() == f"node/{node} uncordoned"


def test_cordon_and_uncordon_patch_the_node(cluster):
    node = "sandbox-worker"
    try:
        assert ok(cluster.kubectl("cordon", node)).strip() == f"node/{node} cordoned"
        assert unschedulable(cluster, node)
        assert "SchedulingDisabled" in ok(cluster.kubectl("get", "node", node))
    finally:
        uncordoned = cluster.kubectl("uncordon", node)
    assert ok(uncordoned).strip() == f"node/{node} uncordoned"
    assert not unschedulable(cluster, node)


# PodDisruptionBudgets through kubectl, on the session sandbox (nothing here drains a node) ---------------------
def columns(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


def test_kubectl_create_and_get_pdb(sandbox_process, fresh_namespace):
    kubectl = lambda *args: sandbox_process.kubectl(*args, "-n", fresh_namespace)
    ok(kubectl("create", "deployment", "web", "--image=nginx:1.27", "--replicas=2"))
    # kubectl sends these as protobuf
    assert ok(kubectl("create", "pdb", "web", "--selector=app=web", "--min-available=1")).strip() == (
        "poddisruptionbudget.policy/web created")
    ok(kubectl("create", "pdb", "api", "--selector=app=api", "--max-unavailable=25%"))
    wait_until(lambda: budget_status(sandbox_process, fresh_namespace).get("disruptionsAllowed") == 1, timeout=60,
               what="2 ready pods, minAvailable 1: one disruption allowed")
    lines = ok(kubectl("get", "pdb")).splitlines()
    assert columns(lines[0]) == ["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"]
    assert [columns(line)[:4] for line in lines[1:]] == [["api", "N/A", "25%", "0"], ["web", "1", "N/A", "1"]]
    status = budget_status(sandbox_process, fresh_namespace)
    assert {k: status[k] for k in ("currentHealthy", "desiredHealthy", "expectedPods")} == {
        "currentHealthy": 2, "desiredHealthy": 1, "expectedPods": 2}
    assert [(c["type"], c["status"], c["reason"]) for c in status["conditions"]] == [
        ("DisruptionAllowed", "True", "SufficientPods")]


def test_an_invalid_pdb_is_refused_with_the_apiserver_s_words(sandbox_process, fresh_namespace):
    manifest = ("apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: bad}\nspec: {maxUnavailable: "
                "150%, selector: {matchLabels: {app: web}}, unhealthyPodEvictionPolicy: Never}\n")
    refused = sandbox_process.kubectl("apply", "-n", fresh_namespace, "-f", "-", input=manifest)
    assert refused.returncode != 0
    assert 'spec.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be ' \
           "greater than 100%" in refused.stderr, refused.stderr
    assert 'spec.unhealthyPodEvictionPolicy: Unsupported value: "Never": supported values: "AlwaysAllow", ' \
           '"IfHealthyBudget"' in refused.stderr


# pods/eviction through the Python client, on the session sandbox (nothing here drains a node) ------------------
@pytest.fixture
def core(sandbox_process):
    with sandbox_process.api_client() as api_client:
        yield client.CoreV1Api(api_client)


def eviction(name: str, namespace: str, **options) -> client.V1Eviction:
    return client.V1Eviction(metadata=client.V1ObjectMeta(name=name, namespace=namespace),
                             delete_options=client.V1DeleteOptions(**options) if options else None)


def failure(call, *args) -> tuple[int, dict]:
    with pytest.raises(client.ApiException) as raised:
        call(*args)
    return raised.value.status, json.loads(raised.value.body)


def test_evicting_a_missing_pod_is_not_found(core, fresh_namespace):
    status, body = failure(core.create_namespaced_pod_eviction, "missing", fresh_namespace,
                           eviction("missing", fresh_namespace))
    assert status == 404
    assert (body["reason"], body["message"]) == ("NotFound", 'pods "missing" not found')
    assert body["details"] == {"name": "missing", "kind": "pods"}


def test_an_eviction_is_created_and_deletes_the_pod(core, fresh_namespace):
    pod = client.V1Pod(metadata=client.V1ObjectMeta(name="web"),
                       spec=client.V1PodSpec(containers=[client.V1Container(name="web", image="nginx:1.27")]))
    core.create_namespaced_pod(fresh_namespace, pod)
    status, body = failure(core.create_namespaced_pod_eviction, "web", fresh_namespace,
                           eviction("other", fresh_namespace))
    assert (status, body["reason"]) == (400, "BadRequest")
    assert body["message"] == "name in URL does not match name in Eviction object"
    core.create_namespaced_pod_eviction("web", fresh_namespace, eviction("web", fresh_namespace, dry_run=["All"]))
    assert not core.read_namespaced_pod("web", fresh_namespace).metadata.deletion_timestamp
    core.create_namespaced_pod_eviction("web", fresh_namespace, eviction("web", fresh_namespace,
                                                                           grace_period_seconds=0))
    wait_until(lambda: not core.list_namespaced_pod(fresh_namespace).items, what="the evicted pod gone")


def test_eviction_answers_201_status_and_only_serves_post(http, sandbox_process, fresh_namespace):
    path = f"/api/v1/namespaces/{fresh_namespace}/pods/web/eviction"
    ok(sandbox_process.kubectl("run", "web", "--image=nginx:1.27", "-n", fresh_namespace))
    body = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "web"}}
    response = http.post(path, json=body)
    assert response.status_code == 201, response.text
    assert response.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                               "code": 201}
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        assert http.request(method, path, json=body).status_code == 405, method


def test_a_delete_with_protobuf_delete_options_as_kubectl_drain_disable_eviction_sends(http, sandbox_process,
                                                                                       fresh_namespace):
    ok(sandbox_process.kubectl("run", "web", "--image=nginx:1.27", "-n", fresh_namespace))
    # once scheduled, the pod would get its 30 s grace period if the explicit 0 were lost on the way
    wait_until(lambda: http.get(f"/api/v1/namespaces/{fresh_namespace}/pods/web").json()["spec"].get("nodeName"),
               what="the pod scheduled")
    # DeleteOptions{gracePeriodSeconds: 0} in a runtime.Unknown of v1 DeleteOptions, as kubectl -v=8 shows it
    body = bytes.fromhex("6b 38 73 00 0a 13 0a 02 76 31 12 0d 44 65 6c 65 74 65 4f 70 74 69 6f 6e 73 12 02 08 00"
                         "1a 00 22 00")
    response = http.request("DELETE", f"/api/v1/namespaces/{fresh_namespace}/pods/web", data=body,
                            headers={"Content-Type": "application/vnd.kubernetes.protobuf"})
    assert response.status_code == 200, response.text
    assert response.json()["metadata"].get("deletionGracePeriodSeconds", 0) == 0, "deleted at once, no grace"
    assert http.get(f"/api/v1/namespaces/{fresh_namespace}/pods/web").status_code == 404


def test_an_eviction_refused_by_a_budget_is_a_429_for_the_python_client(core, sandbox_process, fresh_namespace):
    ok(sandbox_process.kubectl("create", "deployment", "web", "--image=nginx:1.27", "-n", fresh_namespace))
    ok(sandbox_process.kubectl("create", "pdb", "web", "--selector=app=web", "--min-available=1", "-n",
                               fresh_namespace))
    wait_until(lambda: budget_status(sandbox_process, fresh_namespace).get("currentHealthy") == 1, timeout=60,
               what="the one pod ready and counted")
    [pod] = pods_by_node(sandbox_process, fresh_namespace)
    status, body = failure(core.create_namespaced_pod_eviction, pod, fresh_namespace, eviction(pod, fresh_namespace))
    assert (status, body["reason"], body["message"]) == (
        429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.")
    cause = "The disruption budget web needs 1 healthy pods and has 1 currently"
    assert body["details"] == {"causes": [{"reason": "DisruptionBudget", "message": cause}]}
