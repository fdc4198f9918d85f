"""kube-apiserver behaviours issue 11 lists, each through real kubectl or the official client: the system namespaces
may not be deleted; managedFields are computed before admission (a client-side-to-server-side apply upgrade of a pod
re-applies cleanly); resourceVersion "0" on update is unconditional; an undecodable body, a patch setting a map to a
string and a name with an encoded newline get the apiserver's Status; an apiVersion the cluster does not serve gets
kubectl's own mapping error (it reads /openapi/v2)."""
import json
import subprocess

import pytest

pytestmark = pytest.mark.sandbox


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def raw(http, method: str, path: str, body: bytes, content_type: str = "application/json"):
    """A request no client would send (the session's raw HTTPS access): (status, the Status it answers)."""
    response = http.request(method, path, data=body, headers={"Content-Type": content_type})
    return response.status_code, response.json()


@pytest.mark.parametrize("name", ["default", "kube-system", "kube-public"])
def test_system_namespaces_may_not_be_deleted(sandbox_process, name):
    result = sandbox_process.kubectl("delete", "namespace", name)
    assert result.returncode != 0
    assert f'Error from server (Forbidden): namespaces "{name}" is forbidden: this namespace may not be deleted' \
        in result.stderr
    dry = sandbox_process.kubectl("delete", "namespace", name, "--dry-run=server")
    assert "this namespace may not be deleted" in dry.stderr
    assert ok(sandbox_process.kubectl("get", "namespace", name, "-o", "jsonpath={.status.phase}")) == "Active"


POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: upgraded
spec:
  containers:
  - name: c
    image: nginx:1.27
"""


def test_admission_additions_have_no_manager(sandbox_process, fresh_namespace):
    """kubectl apply (client-side), then apply --server-side of the same manifest (the upgrade), then again."""
    kubectl, ns = sandbox_process.kubectl, fresh_namespace
    ok(kubectl("apply", "-n", ns, "-f", "-", input=POD))
    created = json.loads(ok(kubectl("get", "pod", "upgraded", "-n", ns, "-o", "json", "--show-managed-fields")))
    owned = json.dumps([m["fieldsV1"] for m in created["metadata"]["managedFields"]])
    for admitted in ("f:serviceAccountName", "f:tolerations", "f:priority", "f:preemptionPolicy", "f:volumes"):
        assert admitted not in owned, admitted
    assert "f:dnsPolicy" in owned  # a default: decoded before managedFields, so the creator's
    ok(kubectl("apply", "--server-side", "-n", ns, "-f", "-", input=POD))
    ok(kubectl("apply", "--server-side", "-n", ns, "-f", "-", input=POD))
    pod = json.loads(ok(kubectl("get", "pod", "upgraded", "-n", ns, "-o", "json")))
    assert any(v["name"].startswith("kube-api-access-") for v in pod["spec"]["volumes"])


def test_resource_version_zero_is_an_unconditional_update(sandbox_process, fresh_namespace):
    kubectl, ns = sandbox_process.kubectl, fresh_namespace
    ok(kubectl("create", "configmap", "settings", "-n", ns, "--from-literal=a=1"))
    cm = json.loads(ok(kubectl("get", "configmap", "settings", "-n", ns, "-o", "json")))
    cm["metadata"]["resourceVersion"], cm["data"] = "0", {"a": "2"}
    assert "configmap/settings replaced (server dry run)" in ok(
        kubectl("replace", "--dry-run=server", "-f", "-", input=json.dumps(cm)))
    assert "configmap/settings replaced" in ok(kubectl("replace", "-f", "-", input=json.dumps(cm)))
    assert ok(kubectl("get", "configmap", "settings", "-n", ns, "-o", "jsonpath={.data.a}")) == "2"
    node = json.loads(ok(kubectl("get", "node", "sandbox-worker", "-o", "json")))
    node["metadata"]["resourceVersion"] = "0"
    assert "node/sandbox-worker replaced" in ok(kubectl("replace", "-f", "-", input=json.dumps(node)))
    cm["metadata"]["resourceVersion"] = "1"  # any other stale version still conflicts
    assert "the object has been modified" in kubectl("replace", "-f", "-", input=json.dumps(cm)).stderr


def test_undecodable_body_words(http):
    status, body = raw(http, "POST", "/api/v1/namespaces", b"abc")
    assert (status, body["reason"]) == (400, "BadRequest")
    assert body["message"] == ("the object provided is unrecognized (must be of type Namespace): couldn't get "
                               "version/kind; json parse error: invalid character 'a' looking for beginning of "
                               "value (616263)")
    long = b'{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": }}'
    status, body = raw(http, "POST", "/api/v1/namespaces", long)
    assert body["message"] == ("the object provided is unrecognized (must be of type Namespace): couldn't get "
                               "version/kind; json parse error: invalid character '}' looking for beginning of "
                               'value ({"apiVersion": "v1", "kind": " ...)')


def test_patch_setting_a_map_to_a_string_is_invalid_on_field_patch(sandbox_process, http, fresh_namespace):
    ns = fresh_namespace
    ok(sandbox_process.kubectl("create", "configmap", "cm", "-n", ns))
    path = f"/api/v1/namespaces/{ns}/configmaps/cm"
    patch = b'{"metadata":{"labels":"invalid"}}'
    status, body = raw(http, "PATCH", path, patch, "application/strategic-merge-patch+json")
    assert (status, body["reason"]) == (422, "Invalid")
    assert body["message"] == (' "" is invalid: patch: Invalid value: "map[metadata:map[labels:invalid]]": cannot '
                               'restore map from string')
    assert body["details"]["causes"][0]["field"] == "patch"
    status, body = raw(http, "PATCH", path, patch, "application/merge-patch+json")
    assert (status, body["details"]["causes"][0]["field"]) == (422, "patch")
    assert body["message"].endswith("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot "
                                    "unmarshal string into Go struct field ObjectMeta.metadata.labels of type "
                                    "map[string]string")


def test_encoded_newline_in_a_name_is_a_404_status(sandbox_process, http):
    result = sandbox_process.kubectl("get", "--raw", "/api/v1/namespaces/default/configmaps/a%0Ab")
    assert 'Error from server (NotFound): configmaps "a\\nb" not found' in result.stderr
    status, body = raw(http, "GET", "/api/v1/namespaces/default/configmaps/a%0Ab", b"")
    assert (status, body["kind"], body["details"]["name"]) == (404, "Status", "a\nb")


OLD_DEPLOYMENT = """\
apiVersion: extensions/v1beta1
kind: Deployment
metadata:
  name: old-tutorial
spec:
  template:
    metadata: {labels: {app: old}}
    spec:
      containers: [{name: c, image: nginx}]
"""


def test_unserved_api_version_gets_kubectls_mapping_error(sandbox_process):
    result = sandbox_process.kubectl("apply", "-f", "-", input=OLD_DEPLOYMENT)
    assert result.returncode != 0
    assert ('resource mapping not found for name: "old-tutorial" namespace: "" from "STDIN": no matches for kind '
            '"Deployment" in version "extensions/v1beta1"') in result.stderr
    assert "ensure CRDs are installed first" in result.stderr
    v2 = json.loads(ok(sandbox_process.kubectl("get", "--raw", "/openapi/v2")))
    assert v2["swagger"] == "2.0" and "io.k8s.api.apps.v1.Deployment" in v2["definitions"]
    explained = ok(sandbox_process.kubectl("explain", "deployment.spec.replicas", "--output=plaintext-openapiv2"))
    assert "Number of desired pods." in explained


def test_a_patch_that_means_what_is_stored_moves_no_generation(sandbox_process, fresh_namespace):
    """Defaults are applied as the patched object is decoded, before the strategy compares the specs: replacing a
    probe with the same probe minus its defaulted fields changes nothing (kubectl says "no change"); a real change
    moves the generation by one."""
    kubectl, ns = sandbox_process.kubectl, fresh_namespace
    ok(kubectl("create", "deployment", "web", "-n", ns, "--image=nginx:1.27"))
    probe = {"httpGet": {"path": "/healthz", "port": 80}}

    def patch(op: str, value: dict) -> str:
        body = json.dumps([{"op": op, "path": "/spec/template/spec/containers/0/readinessProbe", "value": value}])
        return ok(kubectl("patch", "deployment", "web", "-n", ns, "--type", "json", "-p", body))

    def generation() -> str:
        return ok(kubectl("get", "deployment", "web", "-n", ns, "-o", "jsonpath={.metadata.generation}"))

    assert "patched" in patch("add", probe) and generation() == "2"
    # kubectl says "no change" when the object it read before patching is the one the patch returns: let the
    # rollout the first patch started finish, or the controller's status writes in between make it "patched".
    ok(kubectl("rollout", "status", "deployment/web", "-n", ns, "--timeout=120s", timeout=150))
    assert "patched (no change)" in patch("replace", probe) and generation() == "2"
    assert "(no change)" not in patch("replace", {**probe, "periodSeconds": 5}) and generation() == "3"
