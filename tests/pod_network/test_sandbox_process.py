"""`python -m sandbox --runtime process` (the default) runs the pod network: the kubeconfig names the routing table,
a host-mode process reaches the API server on the control plane node's address (its certificate names it), and a
clean stop removes the table. The simulated runtime runs none."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox import kubeconfig

pytestmark = pytest.mark.sandbox

HOST_CLIENT = """
import json, socket, ssl, sys, urllib.request
from sandbox import kubeconfig
from sandbox.pod_network import layer
config = kubeconfig.read(sys.argv[1])
layer.install_host(config["pod_network"]["table"])
context = ssl.create_default_context(cadata=config["ca_pem"].decode())
request = urllib.request.Request("https://172.18.0.2:6443/version",
                                 headers={"Authorization": "Bearer " + config["token"]})
version = json.load(urllib.request.urlopen(request, context=context, timeout=30))["gitVersion"]
try:
    socket.create_connection(("10.96.0.1", 443), timeout=30)
    inside = "connected"
except OSError as e:
    inside = str(e)
print(json.dumps({"version": version, "inside": inside}))
"""


def test_the_simulated_runtime_runs_no_pod_network(sandbox_factory):
    sandbox = sandbox_factory("--runtime", "simulated", "--nodes", "1")
    assert kubeconfig.read(sandbox.kubeconfig)["pod_network"] is None


def test_the_process_runtime_names_the_table_in_the_kubeconfig_and_routes_the_host_to_the_api_server(
        sandbox_factory):
    sandbox = sandbox_factory("--runtime", "process", "--nodes", "1")
    table = kubeconfig.read(sandbox.kubeconfig)["pod_network"]["table"]
    assert Path(table).exists()
    assert sandbox.kubectl("get", "ns", "default").returncode == 0  # kubectl reads past the extension
    result = subprocess.run([sys.executable, "-c", HOST_CLIENT, str(sandbox.kubeconfig)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["version"].startswith("v1.37") and "kubectl port-forward svc/kubernetes -n default" in out["inside"]
    assert sandbox.stop() == 0
    assert not Path(table).exists()
