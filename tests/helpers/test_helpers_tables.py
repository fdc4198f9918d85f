"""kubectl's columns computed from object dicts."""
from datetime import datetime, timedelta, timezone

import pytest

from helpers.tables import (KINDS, align, endpoints_addresses, human_duration, kind_named, pod_status, service_row,
                            table)
from helpers.errors import WorkshopError

NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=timezone.utc)


def ago(seconds):
    return (NOW - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("seconds,text", [
    (-5, "<invalid>"), (-1, "0s"), (0, "0s"), (119, "119s"), (120, "2m"), (125, "2m5s"), (600, "10m"),
    (179 * 60, "179m"), (3 * 3600 + 20 * 60, "3h20m"), (5 * 3600, "5h"), (10 * 3600, "10h"),
    (50 * 3600, "2d2h"), (8 * 86400, "8d"), (800 * 86400, "2y70d"), (9 * 365 * 86400, "9y")])
def test_human_duration_matches_apimachinery(seconds, text):
    assert human_duration(seconds) == text


def pod(name="web-7d4b9c8f6-x2x9q", phase="Running", statuses=None, containers=("app",), **extra):
    return {"metadata": {"name": name, "creationTimestamp": ago(42), **extra.pop("meta", {})},
            "spec": {"containers": [{"name": c} for c in containers], "nodeName": "sandbox-worker"},
            "status": {"phase": phase, "podIP": "10.244.1.7", "containerStatuses": statuses or [], **extra}}


def running(name, ready=True, restarts=0, last=None):
    status = {"name": name, "ready": ready, "restartCount": restarts, "state": {"running": {}}}
    if last is not None:
        status["lastState"] = {"terminated": {"finishedAt": ago(last), "exitCode": 1}}
    return status


def test_pod_running_and_ready_with_restarts_ago():
    p = pod(containers=("orders-api", "orders-validator"),
            statuses=[running("orders-api"), running("orders-validator", restarts=2, last=300)])
    row = KINDS["pods"].row(p, NOW, False)
    assert row == ["web-7d4b9c8f6-x2x9q", "2/2", "Running", "2 (5m ago)", "42s"]


def test_first_waiting_container_reason_wins():
    p = pod(containers=("a", "b"), statuses=[
        {"name": "a", "ready": False, "restartCount": 0, "state": {"waiting": {"reason": "ImagePullBackOff"}}},
        {"name": "b", "ready": False, "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}])
    assert pod_status(p)[:3] == ("ImagePullBackOff", "0/2", 3)


def test_pending_terminating_and_exit_codes():
    assert pod_status(pod(phase="Pending"))[:2] == ("Pending", "0/1")
    assert pod_status(pod(statuses=[running("app")], meta={"deletionTimestamp": ago(1)}))[0] == "Terminating"
    crashed = pod(statuses=[{"name": "app", "restartCount": 0, "state": {"terminated": {"exitCode": 3}}}])
    assert pod_status(crashed)[0] == "ExitCode:3"


def test_init_container_progress():
    p = pod(phase="Pending", initContainerStatuses=[
        {"name": "init", "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}}])
    p["spec"]["initContainers"] = [{"name": "init"}]
    assert pod_status(p)[0] == "Init:0/1"


def test_wide_pod_columns():
    row = KINDS["pods"].row(pod(statuses=[running("app")]), NOW, True)
    assert row[5:] == ["10.244.1.7", "sandbox-worker", "<none>", "<none>"]


def svc(kind="ClusterIP", ports=({"port": 6666, "targetPort": 6379, "protocol": "TCP"},), ingress=None):
    s = {"metadata": {"name": "cache", "creationTimestamp": ago(3700)},
         "spec": {"type": kind, "clusterIP": "10.96.12.34", "ports": list(ports), "selector": {"service": "cache"}}}
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
    text = table(KINDS["deployments"], deployments, now=NOW, namespace="containo").text()
    assert text.splitlines() == ["NAME          READY   UP-TO-DATE   AVAILABLE   AGE",
                                 "a             0/1     0            0           7s",
                                 "b-long-name   1/2     2            1           5s"]
    empty = table(KINDS["pods"], [], now=NOW, namespace="containo")
    assert empty.text() == "No resources found in containo namespace."
    assert "<table>" in empty._repr_html_()


def test_html_escapes_values():
    html = table(KINDS["configmaps"], [{"metadata": {"name": "<x>"}, "data": {"a": "1"}}], now=NOW)._repr_html_()
    assert "&lt;x&gt;" in html and "<x>" not in html


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
    assert KINDS["jobs"].row(job, NOW, False)[:3] == ["load", "Running", "0/1"]
    done = {**job, "spec": {**job["spec"], "completions": 3},
            "status": {"startTime": "2026-01-01T00:00:05Z", "completionTime": "2026-01-01T00:01:10Z", "succeeded": 3,
                       "conditions": [{"type": "Complete", "status": "True"}]}}
    assert KINDS["jobs"].row(done, NOW, False)[:4] == ["load", "Complete", "3/3", "65s"]
    assert kind_named("job").kind == "Job"
