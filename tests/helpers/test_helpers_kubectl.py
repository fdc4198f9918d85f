"""kubectl command construction: always the workshop's kubeconfig, context and namespace."""
import pytest

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


def test_no_context_no_command():
    with pytest.raises(WorkshopError, match="connect"):
        command(["get", "pods"], kubectl="kubectl", context="", namespace="containo")


def test_words_from_one_string_or_many_and_a_leading_kubectl():
    assert split_args(["get pods -l 'service=api'"]) == ["get", "pods", "-l", "service=api"]
    assert split_args(["kubectl get pods"]) == ["get", "pods"]
    assert split_args(["get", "pods", 3]) == ["get", "pods", "3"]


def test_kubectl_is_found():
    assert find_kubectl().endswith("kubectl")
