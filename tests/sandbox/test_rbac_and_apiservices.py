"""rbac.authorization.k8s.io and apiregistration.k8s.io through real kubectl and the official client: the bootstrap
policy, kubectl create role/rolebinding/clusterrole/clusterrolebinding (protobuf bodies), kubectl's tables, the
validation kube-apiserver applies (roleRef immutable, subjects, rules), aggregated ClusterRoles, watch, selectors,
delete; the APIServices a kind cluster with metrics-server and KEDA lists; authorization staying allow-all."""
import json
import subprocess
import threading
import uuid

import pytest
from kubernetes import client, utils, watch
from tests.waiting import wait_until

pytestmark = pytest.mark.sandbox


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.strip().splitlines()]


def test_bootstrap_policy_is_listed_as_kind_lists_it(sandbox_process):
    roles = {r[0] for r in rows(ok(sandbox_process.kubectl("get", "clusterroles")))[1:]}
    assert {"cluster-admin", "admin", "edit", "view", "system:discovery", "system:basic-user",
            "system:aggregate-to-view", "system:kube-scheduler"} <= roles
    header, *bindings = rows(ok(sandbox_process.kubectl("get", "clusterrolebindings", "-o", "wide")))
    assert header == ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"]
    assert ["cluster-admin", "ClusterRole/cluster-admin"] == next(b for b in bindings if b[0] == "cluster-admin")[:2]
    assert "system:masters" in next(b for b in bindings if b[0] == "cluster-admin")
    header, *kube_system = rows(ok(sandbox_process.kubectl("get", "roles", "-n", "kube-system")))
    assert header == ["NAME", "CREATED", "AT"]  # CREATED AT: one column, two words
    assert any(r[0] == "extension-apiserver-authentication-reader" for r in kube_system)


def test_aggregated_roles_get_their_rules(sandbox_process):
    """view/edit/admin are filled by the clusterrole aggregation controller, and a learner's labelled role joins."""
    def rules_of(name):
        return json.loads(ok(sandbox_process.kubectl("get", "clusterrole", name, "-o", "json"))).get("rules") or []
    wait_until(lambda: any("pods" in r.get("resources", []) for r in rules_of("view")), what="view aggregated")
    name = f"crd-viewer-{uuid.uuid4().hex[:6]}"
    ok(sandbox_process.kubectl("create", "clusterrole", name, "--verb=get,list", "--resource=scaledobjects.keda.sh"))
    ok(sandbox_process.kubectl("label", "clusterrole", name, "rbac.authorization.k8s.io/aggregate-to-view=true"))
    wait_until(lambda: any("scaledobjects" in r.get("resources", []) for r in rules_of("view")), what="view extended")
    wait_until(lambda: any("scaledobjects" in r.get("resources", []) for r in rules_of("admin")), what="admin extended")
    ok(sandbox_process.kubectl("delete", "clusterrole", name))
    wait_until(lambda: not any("scaledobjects" in r.get("resources", []) for r in rules_of("view")), what="shrunk")


def test_kubectl_create_role_and_bindings(sandbox_process, fresh_namespace):
    ns = fresh_namespace
    kubectl = sandbox_process.kubectl
    ok(kubectl("create", "role", "pod-reader", "-n", ns, "--verb=get,list,watch", "--resource=pods,deployments.apps"))
    ok(kubectl("create", "rolebinding", "read-pods", "-n", ns, "--role=pod-reader", "--user=alice",
               "--group=devs", f"--serviceaccount={ns}:robot"))
    role = json.loads(ok(kubectl("get", "role", "pod-reader", "-n", ns, "-o", "json")))
    assert role["rules"] == [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]},
                             {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "watch"]}]
    header, row = rows(ok(kubectl("get", "rolebinding", "read-pods", "-n", ns, "-o", "wide")))
    assert header == ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"]
    assert row[:2] == ["read-pods", "Role/pod-reader"] and row[3:] == ["alice", "devs", f"{ns}/robot"]
    binding = json.loads(ok(kubectl("get", "rolebinding", "read-pods", "-n", ns, "-o", "json")))
    assert binding["subjects"][0] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}
    assert binding["subjects"][2] == {"kind": "ServiceAccount", "name": "robot", "namespace": ns}
    # roleRef is immutable, with kube-apiserver's words
    result = kubectl("patch", "rolebinding", "read-pods", "-n", ns, "--type", "merge", "-p",
                     '{"roleRef":{"name":"other"}}')
    assert result.returncode != 0
    assert ('roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", '
            'Name:"other"}: cannot change roleRef') in result.stderr
    name = f"nodes-{uuid.uuid4().hex[:6]}"
    ok(kubectl("create", "clusterrole", name, "--verb=get", "--non-resource-url=/logs/*"))
    ok(kubectl("create", "clusterrolebinding", name, f"--clusterrole={name}", "--user=bob"))
    assert rows(ok(kubectl("get", "clusterrolebinding", name)))[1][:2] == [name, f"ClusterRole/{name}"]
    ok(kubectl("delete", "clusterrolebinding,clusterrole", name))


def test_rbac_validation_words(sandbox_process, fresh_namespace):
    bad = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "b"},
           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Foo", "name": "x"},
           "subjects": [{"kind": "Robot", "name": "r"}, {"kind": "ServiceAccount", "name": "", "apiGroup": "x"}]}
    result = sandbox_process.kubectl("create", "-n", fresh_namespace, "-f", "-", input=json.dumps(bad))
    assert result.returncode != 0
    for line in ('roleRef.kind: Unsupported value: "Foo": supported values: "Role", "ClusterRole"',
                 'subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
                 "subjects[1].name: Required value", 'subjects[1].apiGroup: Unsupported value: "x": supported '
                 'values: ""'):
        assert line in result.stderr, result.stderr
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r"},
            "rules": [{"verbs": [], "nonResourceURLs": ["/x"]}]}
    result = sandbox_process.kubectl("create", "-n", fresh_namespace, "-f", "-", input=json.dumps(role))
    assert "rules[0].verbs: Required value: verbs must contain at least one value" in result.stderr
    assert ('rules[0].nonResourceURLs: Invalid value: []string{"/x"}: namespaced rules cannot apply to '
            'non-resource URLs') in result.stderr


def test_client_roles_crud_watch_selectors(sandbox_process, fresh_namespace):
    """The official client's e2e flow for RBAC (utils.create_from_yaml of a Role), then watch, list by label,
    patch, delete."""
    ns = fresh_namespace
    with sandbox_process.api_client() as api_client:
        rbac = client.RbacAuthorizationV1Api(api_client)
        stream = watch.Watch()
        seen: list[tuple[str, str]] = []

        def follow():
            for event in stream.stream(rbac.list_namespaced_role, ns, timeout_seconds=30):
                seen.append((event["type"], event["object"].metadata.name))
                if event["type"] == "DELETED":
                    stream.stop()
        watcher = threading.Thread(target=follow, daemon=True)
        watcher.start()
        utils.create_from_dict(api_client, {
            "kind": "Role", "apiVersion": "rbac.authorization.k8s.io/v1",
            "metadata": {"name": "pod-reader", "labels": {"team": "a"}},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "watch", "list"]}]}, namespace=ns)
        rbac.create_namespaced_role(ns, client.V1Role(metadata=client.V1ObjectMeta(name="other", labels={"team": "b"})))
        assert [r.metadata.name for r in rbac.list_namespaced_role(ns, label_selector="team=a").items] == \
            ["pod-reader"]
        patched = rbac.patch_namespaced_role("pod-reader", ns, {"rules": [
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]})
        assert patched.rules[0].verbs == ["get"]
        rbac.delete_namespaced_role("pod-reader", ns)
        watcher.join(30)
        assert ("ADDED", "pod-reader") in seen and ("MODIFIED", "pod-reader") in seen
        assert ("DELETED", "pod-reader") in seen


def test_apiservices_as_kind_with_metrics_server_and_keda(sandbox_process):
    def table():
        header, *services = rows(ok(sandbox_process.kubectl("get", "apiservices")))
        assert header == ["NAME", "SERVICE", "AVAILABLE", "AGE"]
        return services if all(s[2] == "True" for s in services) else None  # the availability controller's
    by_name = {s[0]: s[1:3] for s in wait_until(table, what="every APIService Available")}
    assert by_name["v1."] == ["Local", "True"] and by_name["v1.apps"] == ["Local", "True"]
    assert by_name["v2.autoscaling"] == ["Local", "True"] and by_name["v1alpha1.keda.sh"] == ["Local", "True"]
    assert by_name["v1beta1.metrics.k8s.io"] == ["kube-system/metrics-server", "True"]
    assert by_name["v1beta1.external.metrics.k8s.io"] == ["keda/keda-operator-metrics-apiserver", "True"]
    with sandbox_process.api_client() as api_client:
        local = client.ApiregistrationV1Api(api_client).read_api_service("v1.apps")
        assert (local.spec.group_priority_minimum, local.spec.version_priority) == (17800, 15)
        available = local.status.conditions[0]
        assert (available.type, available.status, available.reason, available.message) == (
            "Available", "True", "Local", "Local APIServices are always available")


def test_client_e2e_apiservice_conflict(sandbox_process):
    """kubernetes/e2e_test's test_create_apiservice_from_yaml_with_conflict: the second create's Status text."""
    body = {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
            "metadata": {"name": "v1alpha1.wardle.k8s.io"},
            "spec": {"insecureSkipTLSVerify": True, "group": "wardle.k8s.io", "groupPriorityMinimum": 1000,
                     "versionPriority": 15, "service": {"name": "api", "namespace": "wardle"},
                     "version": "v1alpha1"}}
    with sandbox_process.api_client() as api_client:
        utils.create_from_dict(api_client, body)
        api = client.ApiregistrationV1Api(api_client)
        svc = api.read_api_service(name="v1alpha1.wardle.k8s.io")
        assert (svc.spec.group, svc.spec.version) == ("wardle.k8s.io", "v1alpha1")
        with pytest.raises(utils.FailToCreateError) as raised:
            utils.create_from_dict(api_client, body)
        assert str(raised.value) == (
            'Error from server (Conflict): {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
            '"message":"apiservices.apiregistration.k8s.io \\"v1alpha1.wardle.k8s.io\\" already exists",'
            '"reason":"AlreadyExists","details":{"name":"v1alpha1.wardle.k8s.io","group":"apiregistration.k8s.io",'
            '"kind":"apiservices"},"code":409}\n')
        api.delete_api_service(name="v1alpha1.wardle.k8s.io", body={})


def test_authorization_stays_allow_all(sandbox_process):
    assert ok(sandbox_process.kubectl("auth", "can-i", "delete", "nodes", "--as", "nobody")).strip() == "yes"
