"""Learner namespaces: containo-<learner>, with a clear error for names Kubernetes would refuse."""
import pytest

from helpers.cluster import namespace_for
from helpers.errors import WorkshopError


def test_learner_namespaces():
    assert namespace_for(None) == "containo"
    assert namespace_for("alice") == "containo-alice"
    assert namespace_for("bob-2") == "containo-bob-2"


@pytest.mark.parametrize("name", ["Alice", "alice smith", "-bob", "bob-", "x" * 55, "a_b"])
def test_names_kubernetes_would_refuse_are_explained(name):
    with pytest.raises(WorkshopError, match="cannot be part of a namespace name.*for example 'alice'"):
        namespace_for(name)


def test_the_sandbox_kubeconfig_gives_the_kernel_the_pod_network_and_other_clusters_take_it_away(tmp_path):
    """connect() installs the network layer's host mode from the extension the sandbox writes into its
    kubeconfig; kubectl itself reads that kubeconfig as any other (extensions are for tools that know them)."""
    import json
    import subprocess
    import types

    from helpers.cluster import use_pod_network
    from sandbox import kubeconfig
    from sandbox.pod_network import layer

    path = tmp_path / "kubeconfig"
    kubeconfig.write(path, "https://127.0.0.1:6443", b"not a real CA", "token",
                     pod_network={"table": str(tmp_path / "routes.json")})
    assert kubeconfig.read(path)["pod_network"] == {"table": str(tmp_path / "routes.json")}
    view = subprocess.run(["kubectl", "--kubeconfig", str(path), "config", "view", "-o", "json"],
                          capture_output=True, text=True, timeout=60)
    assert view.returncode == 0, view.stderr
    assert json.loads(view.stdout)["clusters"][0]["cluster"]["extensions"][0]["name"] == \
        kubeconfig.POD_NETWORK_EXTENSION
    try:
        sandbox = types.SimpleNamespace(cluster="sandbox", kubeconfig=str(path))
        assert use_pod_network(sandbox) == str(tmp_path / "routes.json") and layer.mode() == "host"
        assert use_pod_network(types.SimpleNamespace(cluster="kind", kubeconfig=str(path))) is None
        assert layer.mode() is None
        kubeconfig.write(path, "https://127.0.0.1:6443", b"not a real CA", "token")  # no pod network
        assert use_pod_network(sandbox) is None and layer.mode() is None
    finally:
        layer.uninstall()
