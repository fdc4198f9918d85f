"""serviceaccounts/<name>/token: TokenRequest answered as kube-apiserver's TokenREST answers it, and the service
account authenticator that reads its tokens back (expiry, audience, the account's uid, the bound object)."""
import base64
import json
import time

import pytest

from sandbox.machinery.errors import StatusError
from sandbox.registry import tokens
from sandbox.registry.tokens import TokenSigner
from tests.unit.registry.kinds import rt

SAS, PODS, NS = rt("serviceaccounts"), rt("pods"), rt("namespaces")


@pytest.fixture
def accounts(registry):
    registry.create(NS, None, {"metadata": {"name": "alice"}})
    registry.create(SAS, "alice", {"metadata": {"name": "learner"}})
    return registry


def request(expiration=None, **spec):
    if expiration is not None:
        spec["expirationSeconds"] = expiration
    return {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec}


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def error(call, *args) -> StatusError:
    with pytest.raises(StatusError) as raised:
        call(*args)
    return raised.value


def test_a_token_request_is_answered_with_defaults_and_a_signed_token(accounts):
    answer = accounts.request_token("alice", "learner", request())
    assert answer["kind"] == "TokenRequest" and answer["apiVersion"] == "authentication.k8s.io/v1"
    assert answer["metadata"]["namespace"] == "alice"
    assert answer["spec"] == {"audiences": ["https://kubernetes.default.svc.cluster.local"],
                              "expirationSeconds": 3600, "boundObjectRef": None}
    claims = claims_of(answer["status"]["token"])
    uid = accounts.get(SAS, "alice", "learner")["metadata"]["uid"]
    assert claims["sub"] == "system:serviceaccount:alice:learner"
    assert claims["kubernetes.io"] == {"namespace": "alice", "serviceaccount": {"name": "learner", "uid": uid}}
    assert claims["exp"] - claims["iat"] == 3600 and claims["iss"] == tokens.ISSUER
    assert answer["status"]["expirationTimestamp"] == tokens._timestamp(claims["exp"])


def test_the_expiration_asked_for_is_kept(accounts):
    answer = accounts.request_token("alice", "learner", request(8 * 3600))
    claims = claims_of(answer["status"]["token"])
    assert answer["spec"]["expirationSeconds"] == 8 * 3600 and claims["exp"] - claims["iat"] == 8 * 3600


@pytest.mark.parametrize("seconds, message", [
    (599, "spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes"),
    ((1 << 32) + 1, "may not specify a duration larger than 2^32 seconds")])
def test_expirations_out_of_range_are_invalid(accounts, seconds, message):
    refused = error(accounts.request_token, "alice", "learner", request(seconds))
    assert refused.code == 422 and message in refused.message
    assert refused.message.startswith('TokenRequest.authentication.k8s.io "learner" is invalid')


def test_a_missing_account_is_not_found_and_a_different_name_is_invalid(accounts):
    missing = error(accounts.request_token, "alice", "nobody", request())
    assert missing.code == 404 and missing.message == 'serviceaccounts "nobody" not found'
    body = {**request(), "metadata": {"name": "other"}}
    renamed = error(accounts.request_token, "alice", "learner", body)
    assert renamed.code == 422 and "must match the service account name if specified" in renamed.message


def test_the_token_authenticates_as_the_service_account(accounts):
    token = accounts.request_token("alice", "learner", request())["status"]["token"]
    user = accounts.authenticate_token(token)
    assert user.username == "system:serviceaccount:alice:learner"
    assert user.groups == ("system:serviceaccounts", "system:serviceaccounts:alice", "system:authenticated")
    assert user.uid == accounts.get(SAS, "alice", "learner")["metadata"]["uid"]
    assert user.extra["authentication.kubernetes.io/credential-id"] == [f"JTI={claims_of(token)['jti']}"]


def test_deleting_the_account_revokes_its_tokens_even_once_it_is_made_again(accounts):
    token = accounts.request_token("alice", "learner", request())["status"]["token"]
    accounts.delete(SAS, "alice", "learner")
    assert accounts.authenticate_token(token) is None
    accounts.create(SAS, "alice", {"metadata": {"name": "learner"}})  # a new uid
    assert accounts.authenticate_token(token) is None


def test_expired_tampered_foreign_and_other_audience_tokens_do_not_authenticate(accounts):
    good = accounts.request_token("alice", "learner", request())["status"]["token"]
    claims = claims_of(good)
    signer = accounts._signer()
    expired = signer.sign({**claims, "exp": int(time.time()) - tokens.LEEWAY - 5})
    other_audience = signer.sign({**claims, "aud": ["vault"]})
    header, _, signature = good.split(".")
    forged = ".".join([header, tokens._b64(json.dumps({**claims, "sub": "x"}).encode()), signature])
    foreign = TokenSigner().sign(claims)
    for token in (expired, other_audience, forged, foreign, "not-a-jwt", "a.b.c"):
        assert accounts.authenticate_token(token) is None, token


def test_an_audience_of_its_own_is_kept_but_does_not_reach_the_api(accounts):
    answer = accounts.request_token("alice", "learner", request(audiences=["vault"]))
    assert answer["spec"]["audiences"] == ["vault"]
    assert accounts.authenticate_token(answer["status"]["token"]) is None


def test_a_token_bound_to_a_pod_ends_with_the_pod(accounts):
    accounts.create(PODS, "alice", {"metadata": {"name": "web"}, "spec": {
        "serviceAccountName": "learner", "containers": [{"name": "app", "image": "nginx:1.27"}]}})
    ref = {"kind": "Pod", "apiVersion": "v1", "name": "web"}
    token = accounts.request_token("alice", "learner", request(boundObjectRef=ref))["status"]["token"]
    user = accounts.authenticate_token(token)
    assert user.extra["authentication.kubernetes.io/pod-name"] == ["web"]
    accounts.delete(PODS, "alice", "web", None)
    pod = accounts.store.get("pods", "alice", "web")
    assert pod is None or json.loads(pod)["metadata"].get("deletionTimestamp")
    assert accounts.authenticate_token(token) is None


def test_binding_to_a_pod_of_another_account_or_an_unbindable_kind_is_refused(accounts):
    accounts.create(PODS, "alice", {"metadata": {"name": "web"}, "spec": {
        "containers": [{"name": "app", "image": "nginx:1.27"}]}})
    other = error(accounts.request_token, "alice", "learner",
                  request(boundObjectRef={"kind": "Pod", "apiVersion": "v1", "name": "web"}))
    assert other.code == 400 and other.message == ('cannot bind token for serviceaccount "learner" to pod running '
                                                   'with serviceaccount "default"')
    kind = error(accounts.request_token, "alice", "learner",
                 request(boundObjectRef={"kind": "Deployment", "apiVersion": "apps/v1", "name": "web"}))
    assert kind.code == 400 and kind.message == "cannot bind token to object of type apps/v1, Kind=Deployment"


def test_the_key_kept_in_a_directory_signs_the_same_after_a_restart(tmp_path):
    first = TokenSigner.load_or_create(tmp_path)
    again = TokenSigner.load_or_create(tmp_path)
    assert first.key_id == again.key_id and (tmp_path / tokens.KEY_FILE).stat().st_mode & 0o077 == 0
    assert again.verify(first.sign({"sub": "x"})) == {"sub": "x"}
