"""Real kubectl 1.37 against the sandbox: the workflow a learner follows, with the output kubectl really prints."""
import json
import subprocess

import pytest
from tests.waiting import wait_until

pytestmark = pytest.mark.sandbox

APP = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: REPLICAS
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 1337, targetPort: 80}]
"""


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def app(replicas: int = 2) -> str:
    return APP.replace("REPLICAS", str(replicas))


def wait_for(predicate, timeout: float = 60, interval: float = 0.2):
    return wait_until(predicate, timeout=timeout, interval=interval)


def test_apply_then_reapply_says_unchanged_then_configured(sandbox_process, fresh_namespace):
    k, ns = sandbox_process.kubectl, fresh_namespace
    assert ok(k("apply", "-n", ns, "-f", "-", input=app())).split("\n")[:2] == [
        "deployment.apps/web created", "service/web created"]
    assert "deployment.apps/web unchanged" in ok(k("apply", "-n", ns, "-f", "-", input=app()))
    out = ok(k("apply", "-n", ns, "-f", "-", input=app(3)))
    assert "deployment.apps/web configured" in out and "service/web unchanged" in out
    assert json.loads(ok(k("get", "-n", ns, "deploy", "web", "-o", "json")))["spec"]["replicas"] == 3


def test_server_side_apply_tracks_managers_and_reports_conflicts(sandbox_process, fresh_namespace):
    k, ns = sandbox_process.kubectl, fresh_namespace
    assert "serverside-applied" in ok(k("apply", "--server-side", "-n", ns, "-f", "-", input=app()))
    assert "serverside-applied" in ok(k("apply", "--server-side", "-n", ns, "-f", "-", input=app()))
    deploy = json.loads(ok(k("get", "-n", ns, "deploy", "web", "-o", "json", "--show-managed-fields")))
    assert any(m["manager"] == "kubectl" and m["operation"] == "Apply" for m in deploy["metadata"]["managedFields"])
    other = k("apply", "--server-side", "--field-manager=other", "-n", ns, "-f", "-", input=app(5))
    assert other.returncode != 0 and "conflict" in other.stderr.lower()
    ok(k("apply", "--server-side", "--field-manager=other", "--force-conflicts", "-n", ns, "-f", "-", input=app(5)))
    assert json.loads(ok(k("get", "-n", ns, "deploy", "web", "-o", "json")))["spec"]["replicas"] == 5


def test_get_shows_real_columns_wide_yaml_and_labels(sandbox_process, fresh_namespace):
    k, ns = sandbox_process.kubectl, fresh_namespace
    ok(k("apply", "-n", ns, "-f", "-", input=app()))
    ok(k("rollout", "status", "-n", ns, "deploy/web", "--timeout=60s"))
    assert ok(k("get", "-n", ns, "deploy")).split("\n")[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE",
                                                                       "AGE"]
    wide = ok(k("get", "-n", ns, "pods", "-o", "wide")).split("\n")[0].split()
    assert wide[:7] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"]
    assert ok(k("get", "-n", ns, "svc", "web")).split("\n")[0].split() == [
        "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    doc = ok(k("get", "-n", ns, "deploy", "web", "-o", "yaml"))
    assert "kind: Deployment" in doc and "observedGeneration: 1" in doc
    labelled = ok(k("get", "-n", ns, "pods", "-l", "app=web", "-o", "name")).split()
    assert len(labelled) == 2 and all(n.startswith("pod/web-") for n in labelled)
    assert ok(k("get", "-n", ns, "pods", "-l", "app=other", "-o", "name")) == ""


def test_get_watch_streams_changes(sandbox_process, fresh_namespace):
    ns = fresh_namespace
    command = ["kubectl", "--kubeconfig", str(sandbox_process.kubeconfig), "get", "secrets", "-n", ns,
               "--watch", "--output-watch-events"]
    ok(sandbox_process.kubectl("create", "secret", "generic", "first", "-n", ns, "--from-literal=a=b"))
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as watch:
        try:
            assert watch.stdout.readline().split()[:2] == ["EVENT", "NAME"]
            assert watch.stdout.readline().split()[:2] == ["ADDED", "first"]
            ok(sandbox_process.kubectl("create", "secret", "generic", "second", "-n", ns, "--from-literal=a=b"))
            assert watch.stdout.readline().split()[:2] == ["ADDED", "second"]
            ok(sandbox_process.kubectl("delete", "secret", "first", "-n", ns))
            assert watch.stdout.readline().split()[:2] == ["DELETED", "first"]
        finally:
            watch.terminate()


def test_describe_shows_events(sandbox_process, fresh_namespace):
    k, ns = sandbox_process.kubectl, fresh_namespace
    ok(k("apply", "-n", ns, "-f", "-", input=app(1)))
    ok(k("rollout", "status", "-n", ns, "deploy/web", "--timeout=60s"))
    described = ok(k("describe", "deployment", "-n", ns, "web"))
    assert "ScalingReplicaSet" in described and "RollingUpdateStrategy:  25% max unavailable, 25% max surge" in \
        described
    pod = ok(k("get", "pods", "-n", ns, "-o", "name")).split()[0]
    described = wait_for(lambda: (text := ok(k("describe", "-n", ns, pod))) and "Started" in text and text)
    assert "Scheduled" in described and "Status:           Running" in described


def test_scale_rollout_set_image_and_undo(sandbox_process, fresh_namespace):
    k, ns = sandbox_process.kubectl, fresh_namespace
    ok(k("apply", "-n", ns, "-f", "-", input=app(1)))
    assert ok(k("scale", "-n", ns, "deploy/web", "--replicas=3")).strip() == "deployment.apps/web scaled"
    assert "successfully rolled out" in ok(k("rollout", "status", "-n", ns, "deploy/web", "--timeout=60s"))
    ok(k("set", "image", "-n", ns, "deploy/web", "web=nginx:1.28"))
    ok(k("rollout", "status", "-n", ns, "deploy/web", "--timeout=60s"))
    history = ok(k("rollout", "history", "-n", ns, "deploy/web"))
    assert "1 " in history and "2 " in history
    ok(k("rollout", "undo", "-n", ns, "deploy/web"))
    ok(k("rollout", "status", "-n", ns, "deploy/web", "--timeout=60s"))
    image = ok(k("get", "-n", ns, "deploy/web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"))
    assert image == "nginx:1.27"


def test_imperative_creates_send_protobuf_and_work(sandbox_process, fresh_namespace):
    k, ns = sandbox_process.kubectl, fresh_namespace
    assert ok(k("create", "deployment", "api", "-n", ns, "--image=nginx:1.27", "--replicas=2")).strip() == \
        "deployment.apps/api created"
    assert ok(k("create", "configmap", "cfg", "-n", ns, "--from-literal=a=b")).strip() == "configmap/cfg created"
    assert ok(k("create", "secret", "generic", "pw", "-n", ns, "--from-literal=p=s3cret")).strip() == \
        "secret/pw created"
    ok(k("create", "service", "clusterip", "api", "-n", ns, "--tcp=80:8080"))
    assert ok(k("get", "-n", ns, "secret", "pw", "-o", "jsonpath={.data.p}")) == "czNjcmV0"
    deploy = json.loads(ok(k("get", "-n", ns, "deploy", "api", "-o", "json")))
    assert deploy["spec"]["replicas"] == 2 and deploy["spec"]["strategy"]["type"] == "RollingUpdate"


def test_delete_namespace_terminates_then_disappears(sandbox_process):
    k = sandbox_process.kubectl
    ok(k("create", "namespace", "doomed"))
    ok(k("apply", "-n", "doomed", "-f", "-", input=app(1)))
    ok(k("delete", "namespace", "doomed", "--wait=false"))
    phase = ok(k("get", "namespace", "doomed", "-o", "jsonpath={.status.phase}", "--ignore-not-found"))
    assert phase in ("Terminating", "")
    wait_for(lambda: ok(k("get", "namespace", "doomed", "--ignore-not-found", "-o", "name")) == "")
    created = k("create", "configmap", "late", "-n", "doomed")
    assert 'namespaces "doomed" not found' in created.stderr


def test_logs_are_simulated_and_say_so(sandbox_process, fresh_namespace):
    k, ns = sandbox_process.kubectl, fresh_namespace
    ok(k("run", "solo", "-n", ns, "--image=nginx:1.27"))
    wait_for(lambda: ok(k("get", "pod", "solo", "-n", ns, "-o", "jsonpath={.status.phase}")) == "Running")
    logs = ok(k("logs", "-n", ns, "solo"))
    assert "simulated" in logs.lower()


def test_api_resources_lists_every_served_type(sandbox_process):
    out = ok(sandbox_process.kubectl("api-resources"))
    for name in ("deployments", "horizontalpodautoscalers", "scaledobjects", "endpointslices", "nodes", "events"):
        assert name in out


def test_errors_read_as_on_a_real_cluster(sandbox_process, fresh_namespace):
    k, ns = sandbox_process.kubectl, fresh_namespace
    missing = k("get", "pod", "nope", "-n", ns)
    assert missing.returncode == 1
    assert missing.stderr.strip() == 'Error from server (NotFound): pods "nope" not found'
    ok(k("create", "configmap", "twice", "-n", ns))
    again = k("create", "configmap", "twice", "-n", ns)
    assert 'configmaps "twice" already exists' in again.stderr
    bad = k("apply", "-n", ns, "-f", "-", input=app().replace("containerPort", "containerPortt"))
    assert bad.returncode != 0 and 'unknown field "spec.template.spec.containers[0].ports[0].containerPortt"' in \
        bad.stderr
