"""`workshop learners`: offline, the objects and rules it applies (the Role covers every kind the chapters'
manifests hold; nothing cluster-wide is writable but the learner's own Namespace); on the session sandbox, the
objects it creates, the kubeconfigs it writes working with real kubectl as the learner's ServiceAccount, connect()
taking the namespace from such a kubeconfig, catching up in a provisioned namespace keeping it, and delete revoking
the tokens."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import yaml

import helpers
from helpers import cli, learners, manifests
from tests.waiting import wait_until

REPO = Path(__file__).resolve().parents[2]
PLURALS = {"Namespace": ("", "namespaces"), "Deployment": ("apps", "deployments"), "Service": ("", "services"),
           "HorizontalPodAutoscaler": ("autoscaling", "horizontalpodautoscalers"),
           "ScaledObject": ("keda.sh", "scaledobjects"), "ConfigMap": ("", "configmaps"), "Secret": ("", "secrets"),
           "Job": ("batch", "jobs"), "Pod": ("", "pods"),
           "TriggerAuthentication": ("keda.sh", "triggerauthentications")}  # chapter 07


def allows(rules: list[dict], group: str, resource: str, verb: str, name: str | None = None) -> bool:
    """RBAC's rule match (k8s.io/apiserver's RuleAllows), for the rules these objects hold."""
    return any((group in rule["apiGroups"] or "*" in rule["apiGroups"])
               and (resource in rule["resources"] or "*" in rule["resources"])
               and (verb in rule["verbs"] or "*" in rule["verbs"])
               and (not rule.get("resourceNames") or name in rule["resourceNames"]) for rule in rules)


def test_every_kind_in_the_chapters_manifests_is_the_learners_to_write():
    kinds = {obj["kind"] for n in manifests.chapter_folders() for obj in manifests.chapter_objects(n)}
    assert kinds - {"Namespace"} <= set(PLURALS), f"add the new kind to the Role and to PLURALS: {kinds}"
    for kind in kinds - {"Namespace"}:
        group, plural = PLURALS[kind]
        for verb in ("get", "list", "watch", "create", "patch", "update", "delete"):
            assert allows(learners.ROLE_RULES, group, plural, verb), (kind, verb)
    for subresource, verb in (("pods/log", "get"), ("pods/exec", "create"), ("pods/portforward", "create"),
                              ("deployments/scale", "patch")):
        group = "apps" if subresource.startswith("deployments") else ""
        assert allows(learners.ROLE_RULES, group, subresource, verb), subresource


def test_the_role_grants_nothing_an_instructor_keeps():
    for group, resource in (("rbac.authorization.k8s.io", "roles"), ("rbac.authorization.k8s.io", "rolebindings"),
                            ("", "resourcequotas"), ("", "limitranges"), ("", "serviceaccounts")):
        for verb in ("create", "update", "patch", "delete"):
            assert not allows(learners.ROLE_RULES, group, resource, verb), (resource, verb)
    assert not allows(learners.ROLE_RULES, "", "serviceaccounts/token", "create")


def test_cluster_wide_the_learner_reads_nodes_and_namespaces_and_labels_only_their_own():
    rules = learners.cluster_rules("containo-alice")
    assert allows(rules, "", "nodes", "list") and allows(rules, "", "namespaces", "list")
    assert allows(rules, "", "namespaces", "patch", "containo-alice")
    for verb in ("create", "delete", "patch", "update"):
        assert not allows(rules, "", "namespaces", verb, "containo-bob"), verb
        assert not allows(rules, "", "nodes", verb, "sandbox-worker"), verb
    assert not allows(rules, "", "namespaces", "delete", "containo-alice")  # the account lives in it


def test_the_objects_are_labelled_and_bound_to_the_learners_account():
    made = learners.objects("alice")
    assert [(o["kind"], o["metadata"]["name"], o["metadata"].get("namespace")) for o in made] == [
        ("Namespace", "containo-alice", None), ("ServiceAccount", "alice", "containo-alice"),
        ("Role", "workshop-learner", "containo-alice"), ("RoleBinding", "workshop-learner", "containo-alice"),
        ("ClusterRole", "workshop-learner-alice", None), ("ClusterRoleBinding", "workshop-learner-alice", None)]
    assert all(o["metadata"]["labels"] == {"workshop.containo/learner": "alice"} for o in made)
    for binding in (made[3], made[5]):
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "alice", "namespace": "containo-alice"}]


@pytest.mark.parametrize("text, seconds", [("12h", 43200), ("90m", 5400), ("1h30m", 5400), ("3600", 3600),
                                           ("600s", 600)])
def test_durations_read_like_kubectls(text, seconds):
    assert learners.parse_duration(text) == seconds


def test_a_bad_duration_or_name_says_what_to_write():
    with pytest.raises(helpers.WorkshopError, match="write it like 12h"):
        learners.parse_duration("a day")
    with pytest.raises(helpers.WorkshopError, match="invalid learner name"):
        learners.create(None, ["alice", "Bob"], Path("/nonexistent"))


def test_the_help_says_the_confinement_needs_a_cluster_that_enforces_rbac(capsys):
    with pytest.raises(SystemExit):
        cli.main(["learners", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "enforced only by a cluster that enforces RBAC (kind and managed clusters do)" in help_text
    assert "the sandbox allows every request" in help_text


@pytest.fixture
def room(sandbox_process, tmp_path):
    """Two learners made on the session sandbox with the instructor's connection; deleted after."""
    names = [f"a{uuid.uuid4().hex[:6]}", f"b{uuid.uuid4().hex[:6]}"]
    conn = helpers.connect("sandbox", kubeconfig=str(sandbox_process.kubeconfig))
    issued = learners.create(conn, names, tmp_path, duration=8 * 3600)
    yield conn, issued
    helpers.connect("sandbox", kubeconfig=str(sandbox_process.kubeconfig))
    learners.delete(helpers.current(), names)
    helpers.disconnect()


@pytest.mark.sandbox
def test_create_makes_the_objects_and_kubeconfigs_that_work_with_kubectl(room, sandbox_process):
    conn, issued = room
    alice = issued[0]
    role = conn.api.read("rbac.authorization.k8s.io/v1", "Role", "workshop-learner", alice.namespace)
    assert role["rules"] == learners.ROLE_RULES
    cluster_role = conn.api.read("rbac.authorization.k8s.io/v1", "ClusterRole", f"workshop-learner-{alice.learner}")
    assert cluster_role["rules"] == learners.cluster_rules(alice.namespace)
    assert {name for name, _, _ in learners.listed(conn)} >= {one.learner for one in issued}

    config = yaml.safe_load(alice.kubeconfig.read_text())
    assert config["contexts"][0]["context"]["namespace"] == alice.namespace
    assert alice.kubeconfig.stat().st_mode & 0o077 == 0
    kubectl = ["--kubeconfig", str(alice.kubeconfig)]
    pods = sandbox_process.kubectl(*kubectl, "get", "pods", "-n", alice.namespace)
    assert pods.returncode == 0 and "No resources found in" in pods.stderr
    whoami = sandbox_process.kubectl(*kubectl, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
    assert whoami.stdout == f"system:serviceaccount:{alice.namespace}:{alice.learner}"
    default = sandbox_process.kubectl(*kubectl, "get", "serviceaccounts", "-o", "name")  # the context's namespace
    assert f"serviceaccount/{alice.learner}" in default.stdout.split()


@pytest.mark.sandbox
def test_the_helpers_work_in_the_namespace_a_learners_kubeconfig_names_and_keep_it(room, capsys):
    _, issued = room
    alice = issued[0]
    conn = helpers.connect(context=f"workshop-{alice.learner}", kubeconfig=str(alice.kubeconfig))
    assert (conn.namespace, conn.learner) == (alice.namespace, alice.learner)
    helpers.apply("manifests/01-namespace")
    helpers.ensure_chapter(1)  # catching up would delete the namespace: a provisioned one is emptied instead
    assert "was made for you by your instructor" in capsys.readouterr().out
    namespace = conn.api.read("v1", "Namespace", alice.namespace)
    assert namespace["metadata"].get("deletionTimestamp") is None
    assert "app" not in namespace["metadata"]["labels"]  # chapter 1's labels are the learner's to apply again
    assert conn.api.read("v1", "ServiceAccount", alice.learner, alice.namespace) is not None


@pytest.mark.sandbox
def test_delete_removes_the_namespace_and_revokes_the_kubeconfig(room, sandbox_process):
    conn, issued = room
    bob = issued[1]
    removed = learners.delete(conn, [bob.learner])
    assert removed == [f"clusterrolebinding.rbac.authorization.k8s.io/workshop-learner-{bob.learner}",
                       f"clusterrole.rbac.authorization.k8s.io/workshop-learner-{bob.learner}",
                       f"namespace/{bob.namespace}"]
    wait_until(lambda: sandbox_process.kubectl("--kubeconfig", str(bob.kubeconfig), "get", "pods").returncode == 1,
               timeout=60, what="bob's token to stop working once his namespace (and account) is gone")
