"""TokenRequest over HTTPS: `kubectl create token` (sent as protobuf) and the official client's
create_namespaced_service_account_token get a token that then authenticates kubectl as the service account; a
token of a deleted account, or none of ours, gets 401."""
import pytest
from kubernetes import client

pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def account(sandbox_process):
    assert sandbox_process.kubectl("create", "namespace", "tokens").returncode == 0
    assert sandbox_process.kubectl("-n", "tokens", "create", "serviceaccount", "learner").returncode == 0
    yield "learner"
    sandbox_process.kubectl("delete", "namespace", "tokens", "--wait=false")


def test_kubectl_create_token_authenticates_kubectl_as_the_service_account(sandbox_process, account):
    made = sandbox_process.kubectl("-n", "tokens", "create", "token", account, "--duration", "8h")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    whoami = sandbox_process.kubectl("--token", token, "auth", "whoami", "-o", "jsonpath={.status.userInfo}")
    assert whoami.returncode == 0, whoami.stderr
    assert '"username":"system:serviceaccount:tokens:learner"' in whoami.stdout
    listed = sandbox_process.kubectl("--token", token, "-n", "tokens", "get", "serviceaccounts", "-o", "name")
    assert listed.returncode == 0 and "serviceaccount/learner" in listed.stdout.split()


def test_kubectl_reports_the_apiservers_refusals(sandbox_process, account):
    short = sandbox_process.kubectl("-n", "tokens", "create", "token", account, "--duration", "1m")
    assert short.returncode == 1 and short.stderr.strip() == (
        'error: failed to create token: TokenRequest.authentication.k8s.io "learner" is invalid: '
        "spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes")
    missing = sandbox_process.kubectl("-n", "tokens", "create", "token", "nobody")
    assert missing.stderr.strip() == 'error: failed to create token: serviceaccounts "nobody" not found'
    unknown = sandbox_process.kubectl("--token", "not-ours", "get", "namespaces")
    assert unknown.returncode == 1 and "Unauthorized" in unknown.stderr


def test_the_client_gets_a_token_that_stops_working_with_its_account(sandbox_process, account):
    core = client.CoreV1Api(sandbox_process.api_client())
    core.create_namespaced_service_account("tokens", {"metadata": {"name": "short-lived"}})
    answer = core.create_namespaced_service_account_token(
        "short-lived", "tokens", client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(
            audiences=[], expiration_seconds=3600)))
    assert answer.spec.expiration_seconds == 3600 and answer.status.expiration_timestamp is not None
    token = answer.status.token
    assert sandbox_process.kubectl("--token", token, "-n", "tokens", "get", "pods").returncode == 0
    core.delete_namespaced_service_account("short-lived", "tokens")
    refused = sandbox_process.kubectl("--token", token, "-n", "tokens", "get", "pods")
    assert refused.returncode == 1 and "Unauthorized" in refused.stderr


def test_discovery_lists_the_token_subresource(http):
    resources = {r["name"]: r for r in http.get("/api/v1").json()["resources"]}
    token = resources["serviceaccounts/token"]
    assert (token["group"], token["version"], token["kind"], token["verbs"]) == (
        "authentication.k8s.io", "v1", "TokenRequest", ["create"])
