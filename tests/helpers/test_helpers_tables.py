"""kubectl's tables: the server prints the cells (sandbox/printers, served as `as=Table`), the helpers render them as
kubectl does (capitals, wide columns on request, -L columns, sorted rows, alignment, kubectl's wording)."""
from datetime import datetime, timedelta, timezone

import pytest

from helper_objects import shown
from helpers.api import Api
from helpers.errors import WorkshopError
from helpers.tables import align
from sandbox.api import discovery
from sandbox.printers.common import human_duration
from sandbox.printers.network import endpoints_addresses
from sandbox.printers.pods import pod_status

NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=timezone.utc)


def ago(seconds):
    return (NOW - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def table(plural, objects, *, now=NOW, wide=False, namespace=None):
    return shown(plural, objects, now, wide=wide, namespace=namespace)


def row(plural, obj, now=NOW, wide=False):
    return table(plural, [obj], now=now, wide=wide).rows[0]


def service_row(svc, now=NOW, wide=False):
    return row("services", svc, now, wide)


@pytest.mark.parametrize("seconds,text", [
    (-5, "<invalid>"), (-1, "0s"), (0, "0s"), (119, "119s"), (120, "2m"), (125, "2m5s"), (600, "10m"),
    (179 * 60, "179m"), (3 * 3600 + 20 * 60, "3h20m"), (5 * 3600, "5h"), (10 * 3600, "10h"),
    (50 * 3600, "2d2h"), (8 * 86400, "8d"), (800 * 86400, "2y70d"), (9 * 365 * 86400, "9y")])
def test_human_duration_matches_apimachinery(seconds, text):
    assert human_duration(seconds) == text


def pod(name="web-7d4b9c8f6-x2x9q", phase="Running", statuses=None, containers=("app",), **extra):
    return {"metadata": {"name": name, "creationTimestamp": ago(42), **extra.pop("meta", {})},
            "spec": {"containers": [{"name": c} for c in containers], "nodeName": "sandbox-worker"},
            "status": {"phase": phase, "podIP": "10.244.1.7", "podIPs": [{"ip": "10.244.1.7"}], "containerStatuses": statuses or [], **extra}}


def running(name, ready=True, restarts=0, last=None):
    status = {"name": name, "ready": ready, "restartCount": restarts, "state": {"running": {}}}
    if last is not None:
        status["lastState"] = {"terminated": {"finishedAt": ago(last), "exitCode": 1}}
    return status


def test_pod_running_and_ready_with_restarts_ago():
    p = pod(containers=("orders-api", "orders-validator"),
            statuses=[running("orders-api"), running("orders-validator", restarts=2, last=300)])
    assert row("pods", p) == ["web-7d4b9c8f6-x2x9q", "2/2", "Running", "2 (5m ago)", "42s"]


def test_first_waiting_container_reason_wins():
    p = pod(containers=("a", "b"), statuses=[
        {"name": "a", "ready": False, "restartCount": 0, "state": {"waiting": {"reason": "ImagePullBackOff"}}},
        {"name": "b", "ready": False, "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}])
    status = pod_status(p)
    assert (status.reason, status.ready_text, status.restarts) == ("ImagePullBackOff", "0/2", 3)


def test_pending_terminating_and_exit_codes():
    pending = pod_status(pod(phase="Pending"))
    assert (pending.reason, pending.ready_text) == ("Pending", "0/1")
    assert pod_status(pod(statuses=[running("app")], meta={"deletionTimestamp": ago(1)})).reason == "Terminating"
    crashed = pod(statuses=[{"name": "app", "restartCount": 0, "state": {"terminated": {"exitCode": 3}}}])
    assert pod_status(crashed).reason == "ExitCode:3"


def test_init_container_progress():
    p = pod(phase="Pending", initContainerStatuses=[
        {"name": "init", "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}}])
    p["spec"]["initContainers"] = [{"name": "init"}]
    assert pod_status(p).reason == "Init:0/1"


def test_wide_pod_columns():
    wide = row("pods", pod(statuses=[running("app")]), wide=True)
    assert wide[5:] == ["10.244.1.7", "sandbox-worker", "<none>", "<none>"]


def svc(kind="ClusterIP", ports=({"port": 6666, "targetPort": 6379, "protocol": "TCP"},), ingress=None):
    s = {"metadata": {"name": "cache", "creationTimestamp": ago(3700)},
         "spec": {"type": kind, "clusterIP": "10.96.12.34", "clusterIPs": ["10.96.12.34"], "ports": list(ports),
                  "selector": {"service": "cache"}}}
    if ingress is not None:
        s["status"] = {"loadBalancer": {"ingress": ingress}}
    return s


def test_service_columns():
    assert service_row(svc(), NOW) == ["cache", "ClusterIP", "10.96.12.34", "<none>", "6666/TCP", "61m"]
    lb = svc("LoadBalancer", [{"port": 1337, "nodePort": 31337, "protocol": "TCP"}], ingress=[])
    assert service_row(lb, NOW)[3:5] == ["<pending>", "1337:31337/TCP"]
    lb["status"]["loadBalancer"]["ingress"] = [{"ip": "172.18.255.200"}]
    assert service_row(lb, NOW, wide=True)[3] == "172.18.255.200"
    assert service_row(lb, NOW, wide=True)[-1] == "service=cache"


def test_endpoints_first_three_then_more():
    ep = {"subsets": [{"addresses": [{"ip": f"10.244.0.{i}"} for i in range(5)], "ports": [{"port": 6379}]}]}
    assert endpoints_addresses(ep) == "10.244.0.0:6379,10.244.0.1:6379,10.244.0.2:6379 + 2 more..."
    assert endpoints_addresses({"subsets": []}) == "<none>"


def test_table_text_is_aligned_like_kubectl_and_empty_is_worded_like_kubectl():
    deployments = [{"metadata": {"name": "b-long-name", "creationTimestamp": ago(5)},
                    "spec": {"replicas": 2}, "status": {"readyReplicas": 1, "updatedReplicas": 2,
                                                        "availableReplicas": 1}},
                   {"metadata": {"name": "a", "creationTimestamp": ago(7)}, "spec": {"replicas": 1}, "status": {}}]
    text = table("deployments", deployments, namespace="containo").text()
    assert text.splitlines() == ["NAME          READY   UP-TO-DATE   AVAILABLE   AGE",
                                 "a             0/1     0            0           7s",
                                 "b-long-name   1/2     2            1           5s"]
    empty = table("pods", [], namespace="containo")
    assert empty.text() == "No resources found in containo namespace."
    assert "<table>" in empty._repr_html_()


def test_html_escapes_values():
    html = table("configmaps", [{"metadata": {"name": "<x>"}, "data": {"a": "1"}}])._repr_html_()
    assert "&lt;x&gt;" in html and "<x>" not in html


class Discovery(Api):
    """An Api answering discovery only: the sandbox's documents (batch/v1 among them, as on a kind cluster)."""

    def __init__(self):
        super().__init__(client=None)

    def get(self, path, **params):
        if path == "/apis":
            return discovery.api_group_list()
        group, version = ("", "v1") if path == "/api/v1" else path.split("/")[2:4]
        return discovery.resource_list(group, version)


def kind_named(name):
    return Discovery().named(name)


def test_aliases_and_unknown_kinds():
    assert kind_named("svc").kind == "Service" and kind_named("deploy").kind == "Deployment"
    with pytest.raises(WorkshopError, match="unknown kind 'widgets'"):
        kind_named("widgets")


def test_align_min_width_and_unpadded_last_column():
    assert align([["A", "B"], ["x", "yy"]]) == "A     B\nx     yy"


def test_job_rows_follow_kubectls_job_printer():
    job = {"metadata": {"name": "load", "creationTimestamp": "2026-01-01T00:00:00Z"},
           "spec": {"parallelism": 1, "template": {"spec": {"containers": [{"name": "fortio", "image": "f:1"}]}}},
           "status": {"startTime": "2026-01-01T00:00:05Z", "succeeded": 0}}
    assert row("jobs", job)[:3] == ["load", "Running", "0/1"]
    done = {**job, "spec": {**job["spec"], "completions": 3},
            "status": {"startTime": "2026-01-01T00:00:05Z", "completionTime": "2026-01-01T00:01:10Z", "succeeded": 3,
                       "conditions": [{"type": "Complete", "status": "True"}]}}
    assert row("jobs", done)[:4] == ["load", "Complete", "3/3", "65s"]
    assert kind_named("job").kind == "Job"
