"""A StatefulSet of Redis pods that really run, behind a headless Service, reached from another pod's Python process
by the stable names cluster DNS gives each of them (<pod>.<service>.<namespace>.svc.cluster.local and the short
<pod>.<service>), with their claims bound by the `standard` class on the nodes the pods run on; what redis-0 saved in
its claim's volume is there again when the set makes redis-0 anew."""
from __future__ import annotations

import json

import pytest

from tests.sandbox.runtime.conftest import apply, wait_for_pod
from tests.waiting import wait_until

pytestmark = pytest.mark.sandbox

REDIS = """
apiVersion: v1
kind: Service
metadata: {name: redis}
spec:
  clusterIP: None
  selector: {app: redis}
  ports: [{port: 6379, name: redis}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: redis}
spec:
  serviceName: redis
  replicas: 2
  selector: {matchLabels: {app: redis}}
  template:
    metadata: {labels: {app: redis}}
    spec:
      containers:
        - name: redis
          image: redis:7.4
          ports: [{containerPort: 6379, name: redis}]
          readinessProbe: {tcpSocket: {port: 6379}, periodSeconds: 1}
          volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 100Mi}}}
"""

CLIENT = r"""
import json, socket, sys

def command(host, *parts):
    with socket.create_connection((host, 6379), timeout=10) as s:
        s.sendall(b"".join([b"*%d\r\n" % len(parts)] + [b"$%d\r\n%s\r\n" % (len(p), p.encode()) for p in parts]))
        return s.recv(1024).decode()

namespace = sys.argv[1]
out = {}
for i in (0, 1):
    full = f"redis-{i}.redis.{namespace}.svc.cluster.local"
    out[f"address-{i}"] = socket.gethostbyname(full)
    out[f"set-{i}"] = command(full, "SET", "who", f"redis-{i}")
    out[f"get-{i}"] = command(f"redis-{i}.redis", "GET", "who")
    out[f"save-{i}"] = command(full, "SAVE")
out["headless"] = sorted(socket.gethostbyname_ex(f"redis.{namespace}.svc.cluster.local")[2])
print(json.dumps(out), flush=True)
"""


READER = CLIENT.split("namespace = sys.argv[1]")[0] + r"""
print(json.dumps(command(f"redis-0.redis.{sys.argv[1]}.svc.cluster.local", "GET", "who")), flush=True)
"""


def test_stateful_redis_pods_are_reached_by_their_stable_dns_names(runtime_sandbox, namespace):
    sandbox = runtime_sandbox
    apply(sandbox, namespace, REDIS)
    pods = [wait_for_pod(sandbox, namespace, f"redis-{i}", lambda p: p["status"].get("podIP") and any(
        c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions") or []),
        f"redis-{i} ready", timeout=120) for i in (0, 1)]
    client = f"""
apiVersion: v1
kind: Pod
metadata: {{name: client}}
spec:
  restartPolicy: Never
  containers:
    - name: client
      image: python:3.11-slim
      command: ["python", "-c", {json.dumps(CLIENT)}, {json.dumps(namespace)}]
"""
    apply(sandbox, namespace, client)
    wait_for_pod(sandbox, namespace, "client", lambda p: p["status"].get("phase") in ("Succeeded", "Failed"),
                 "the client to finish", timeout=120)
    logs = sandbox.kubectl("-n", namespace, "logs", "client").stdout
    out = json.loads(logs.strip().splitlines()[-1])
    assert out["address-0"] == pods[0]["status"]["podIP"] and out["address-1"] == pods[1]["status"]["podIP"]
    assert (out["set-0"], out["get-0"]) == ("+OK\r\n", "$7\r\nredis-0\r\n")
    assert (out["set-1"], out["get-1"]) == ("+OK\r\n", "$7\r\nredis-1\r\n")
    assert out["headless"] == sorted(p["status"]["podIP"] for p in pods)
    claims = json.loads(sandbox.kubectl("-n", namespace, "get", "pvc", "-o", "json").stdout)["items"]
    by_name = {c["metadata"]["name"]: c for c in claims}
    for pod in pods:
        claim = by_name["data-" + pod["metadata"]["name"]]
        assert claim["status"]["phase"] == "Bound"
        assert claim["metadata"]["annotations"]["volume.kubernetes.io/selected-node"] == pod["spec"]["nodeName"]
    wait_until(lambda: sandbox.kubectl("-n", namespace, "get", "sts", "redis").stdout.splitlines()[1].split()[1]
               == "2/2", timeout=30, interval=0.2, what="READY 2/2")
    assert out["save-0"] == "+OK\r\n"
    old_uid = pods[0]["metadata"]["uid"]
    assert sandbox.kubectl("-n", namespace, "delete", "pod", "redis-0").returncode == 0
    wait_for_pod(sandbox, namespace, "redis-0", lambda p: p["metadata"]["uid"] != old_uid and any(
        c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions") or []),
        "redis-0 made again and ready", timeout=120)
    reader = client.replace("name: client", "name: reader").replace(
        json.dumps(CLIENT), json.dumps(READER))
    apply(sandbox, namespace, reader)
    wait_for_pod(sandbox, namespace, "reader", lambda p: p["status"].get("phase") in ("Succeeded", "Failed"),
                 "the reader to finish", timeout=120)
    assert sandbox.kubectl("-n", namespace, "logs", "reader").stdout.strip().splitlines()[-1] == \
        json.dumps("$7\r\nredis-0\r\n")
