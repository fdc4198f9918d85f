"""The sandbox process starts, serves discovery and basic verbs to real kubectl and the Python client."""
import json
import time

import pytest
from kubernetes import client

pytestmark = pytest.mark.sandbox


def test_kubectl_sees_the_system_namespaces(sandbox_process):
    result = sandbox_process.kubectl("get", "namespaces", "-o", "name")
    assert result.returncode == 0, result.stderr
    assert {"namespace/default", "namespace/kube-system"} <= set(result.stdout.split())


def test_kubectl_version_reports_the_server(sandbox_process):
    result = sandbox_process.kubectl("version", "-o", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["serverVersion"]["gitVersion"] == "v1.37.0"


def test_python_client_creates_and_reads_a_configmap(sandbox_process, fresh_namespace):
    with sandbox_process.api_client() as api_client:
        core = client.CoreV1Api(api_client)
        body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="settings"), data={"a": "1"})
        created = core.create_namespaced_config_map(fresh_namespace, body)
        assert created.metadata.uid and created.metadata.resource_version
        read = core.read_namespaced_config_map("settings", fresh_namespace)
        assert read.data == {"a": "1"}
        names = [cm.metadata.name for cm in core.list_namespaced_config_map(fresh_namespace).items]
        assert "settings" in names



def test_kube_root_ca_config_maps_carry_the_servers_ca(http, fresh_namespace):
    """Pods trust the API server through kube-root-ca.crt: it must hold the CA the kubeconfig names."""
    expected = open(http.ca_path).read()  # the http fixture wrote the kubeconfig's CA there
    deadline = time.monotonic() + 30
    path = f"/api/v1/namespaces/{fresh_namespace}/configmaps/kube-root-ca.crt"
    while (response := http.get(path)).status_code == 404 and time.monotonic() < deadline:
        time.sleep(0.05)  # the root-CA publisher reacts to the namespace's creation
    assert response.status_code == 200, response.text
    assert response.json()["data"]["ca.crt"].strip() == expected.strip()
