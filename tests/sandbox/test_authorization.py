"""kubectl auth can-i and whoami: the self reviews of authorization.k8s.io/v1 and authentication.k8s.io/v1,
answered on create, never stored."""
import json

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

pytestmark = pytest.mark.sandbox


def test_kubectl_auth_can_i_says_yes(sandbox_process):
    result = sandbox_process.kubectl("auth", "can-i", "create", "deployments")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "yes"


def test_kubectl_auth_can_i_list_shows_everything(sandbox_process):
    result = sandbox_process.kubectl("auth", "can-i", "--list")
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows[0] == ["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"]
    assert ["*.*", "[]", "[]", "[*]"] in rows


def test_client_access_review_is_allowed_and_not_stored(sandbox_process):
    api = client.AuthorizationV1Api(sandbox_process.api_client())
    review = client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(
        resource_attributes=client.V1ResourceAttributes(namespace="default", verb="create", group="apps",
                                                        resource="deployments")))
    answer = api.create_self_subject_access_review(review)
    assert answer.status.allowed is True
    assert answer.status.reason.startswith('RBAC: allowed by ClusterRoleBinding "workshop-sandbox"')
    assert answer.spec.resource_attributes.resource == "deployments"
    assert answer.metadata.resource_version is None and answer.metadata.uid is None


def test_access_review_without_attributes_is_invalid(sandbox_process):
    api = client.AuthorizationV1Api(sandbox_process.api_client())
    with pytest.raises(ApiException) as caught:
        api.create_self_subject_access_review(client.V1SelfSubjectAccessReview(
            spec=client.V1SelfSubjectAccessReviewSpec()))
    assert caught.value.status == 422
    assert json.loads(caught.value.body)["message"] == (
        '.authorization.k8s.io "" is invalid: spec: Invalid value: null: exactly one of nonResourceAttributes '
        'or resourceAttributes must be specified')


def test_reviews_are_create_only(http):
    response = http.get("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
    assert response.status_code == 405
    listed = http.get("/apis/authorization.k8s.io/v1").json()
    assert {r["name"]: r["verbs"] for r in listed["resources"]} == {
        "selfsubjectaccessreviews": ["create"], "selfsubjectrulesreviews": ["create"]}


def test_kubectl_auth_whoami_names_the_sandbox_user(sandbox_process):
    result = sandbox_process.kubectl("auth", "whoami")
    assert result.returncode == 0, result.stderr
    assert [line.split(None, 1) for line in result.stdout.splitlines()] == [
        ["ATTRIBUTE", "VALUE"], ["Username", "workshop-sandbox"], ["Groups", "[system:authenticated]"]]


def test_kubectl_auth_whoami_as_json(sandbox_process):
    result = sandbox_process.kubectl("auth", "whoami", "-o", "json")
    assert result.returncode == 0, result.stderr
    review = json.loads(result.stdout)
    assert (review["apiVersion"], review["kind"]) == ("authentication.k8s.io/v1", "SelfSubjectReview")
    assert review["status"] == {"userInfo": {"username": "workshop-sandbox", "groups": ["system:authenticated"]}}
    assert list(review["metadata"]) == ["creationTimestamp"]


def test_client_self_subject_review_is_answered_and_create_only(sandbox_process, http):
    api = client.AuthenticationV1Api(sandbox_process.api_client())
    answer = api.create_self_subject_review(client.V1SelfSubjectReview())
    assert answer.status.user_info.username == "workshop-sandbox"
    assert answer.metadata.uid is None and answer.metadata.creation_timestamp is not None
    assert http.get("/apis/authentication.k8s.io/v1/selfsubjectreviews").status_code == 405
