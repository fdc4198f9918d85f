"""kubectl command construction: always the workshop's kubeconfig, context and namespace, and on the sandbox a
discovery cache of its own."""
from urllib.parse import urlparse

import pytest
from kubernetes import client
from sandbox import kubeconfig
from tests.waiting import wait_until

import helpers
from helpers.errors import WorkshopError
from helpers.kubectl import command, find_kubectl, split_args


def test_flags_come_before_the_users_words():
    cmd = command(["get", "pods", "-o", "wide"], kubectl="kubectl", context="workshop-sandbox",
                  namespace="containo-alice", kubeconfig="/tmp/sandbox.kubeconfig")
    assert cmd == ["kubectl", "--kubeconfig", "/tmp/sandbox.kubeconfig", "--context", "workshop-sandbox",
                   "--namespace", "containo-alice", "get", "pods", "-o", "wide"]


@pytest.mark.parametrize("words", [["get", "pods", "-n", "kube-system"], ["get", "pods", "-A"],
                                   ["get", "pods", "--namespace=other"], ["get", "pods", "--all-namespaces"]])
def test_users_namespace_choice_is_kept(words):
    cmd = command(words, kubectl="kubectl", context="kind-workshop", namespace="containo")
    assert "containo" not in cmd and cmd[:3] == ["kubectl", "--context", "kind-workshop"]


def test_a_kubeconfig_list_is_left_to_the_environment():
    cmd = command(["get", "ns"], kubectl="k", context="c", namespace=None, kubeconfig="/a:/b")
    assert cmd == ["k", "--context", "c", "get", "ns"]


def test_the_sandbox_discovery_cache_is_named_before_the_context():
    cmd = command(["get", "all"], kubectl="k", context="workshop-sandbox", namespace="containo",
                  kubeconfig="/w/sandbox/kubeconfig", cache_dir="/w/sandbox/kubeconfig.kubectl-cache")
    assert cmd == ["k", "--kubeconfig", "/w/sandbox/kubeconfig", "--cache-dir", "/w/sandbox/kubeconfig.kubectl-cache",
                   "--context", "workshop-sandbox", "--namespace", "containo", "get", "all"]


def test_a_sandbox_writing_its_kubeconfig_forgets_what_kubectl_cached_about_an_earlier_one(tmp_path):
    path = tmp_path / "kubeconfig"
    cached = kubeconfig.discovery_cache(path) / "127.0.0.1_6443" / "servergroups.json"
    cached.parent.mkdir(parents=True)
    cached.write_text("{}")
    kubeconfig.write(path, "https://127.0.0.1:6443", b"not a real CA", "token")
    assert kubeconfig.discovery_cache(path) == tmp_path / "kubeconfig.kubectl-cache"
    assert not kubeconfig.discovery_cache(path).exists() and path.exists()


def _crd_in_category_all(group: str) -> dict:
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"widgets.{group}"},
            "spec": {"group": group, "scope": "Namespaced",
                     "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "categories": ["all"]},
                     "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                         "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]}}


@pytest.mark.sandbox
def test_a_sandbox_started_on_an_earlier_sandboxs_port_is_not_taken_for_it(sandbox_factory, tmp_path):
    """kubectl caches discovery per address, for hours: a new sandbox on a port an earlier one had (a restart of the
    workshop's sandbox, the same kubeconfig) must not be asked for the earlier one's resource types."""
    workdir = tmp_path / "home"
    first = sandbox_factory(workdir=workdir)
    with first.api_client() as api_client:  # the CRD exists before kubectl first asks this server anything
        extensions = client.ApiextensionsV1Api(api_client)
        extensions.create_custom_resource_definition(_crd_in_category_all("widgets.example.com"))

        def established() -> bool:
            crd = extensions.read_custom_resource_definition("widgets.widgets.example.com")
            return any(c.type == "Established" and c.status == "True" for c in crd.status.conditions or [])
        wait_until(established, what="the CRD established")
    helpers.connect(context="workshop-sandbox", kubeconfig=str(first.kubeconfig))
    try:
        assert "No resources found" not in helpers.kubectl("get all,widgets -n default", capture=True)
        first.stop()

        second = sandbox_factory("--port", str(urlparse(first.url).port), workdir=workdir)  # fresh: no CRD
        assert second.url == first.url
        helpers.connect(context="workshop-sandbox", kubeconfig=str(second.kubeconfig))
        assert "service/kubernetes" in helpers.kubectl("get all -n default", capture=True)
    finally:
        helpers.disconnect()


def test_no_context_no_command():
    with pytest.raises(WorkshopError, match="connect"):
        command(["get", "pods"], kubectl="kubectl", context="", namespace="containo")


def test_words_from_one_string_or_many_and_a_leading_kubectl():
    assert split_args(["get pods -l 'service=api'"]) == ["get", "pods", "-l", "service=api"]
    assert split_args(["kubectl get pods"]) == ["get", "pods"]
    assert split_args(["get", "pods", 3]) == ["get", "pods", "3"]


def test_kubectl_is_found():
    assert find_kubectl().endswith("kubectl")
