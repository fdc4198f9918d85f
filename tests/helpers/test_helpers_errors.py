"""API errors and unreachable clusters become messages a learner can act on."""
import json

import urllib3
from kubernetes.client.exceptions import ApiException

from helpers.errors import WorkshopError, explain

INVALID = {
    "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "reason": "Invalid", "code": 422,
    "message": 'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: '
               '{"service":"web"}: `selector` does not match template `labels`',
    "details": {"name": "web", "group": "apps", "kind": "Deployment", "causes": [
        {"reason": "FieldValueInvalid", "field": "spec.template.metadata.labels",
         "message": 'Invalid value: {"service":"web"}: `selector` does not match template `labels`'}]},
}


def test_status_shows_reason_and_message_naming_the_field():
    text = explain(ApiException(status=422, reason="Unprocessable Entity", body=json.dumps(INVALID)))
    assert text == "Error from server (Invalid): " + INVALID["message"]  # the message already names each field


def test_causes_the_message_leaves_out_are_listed():
    status = {**INVALID, "message": "Deployment.apps \"web\" is invalid", "reason": "Invalid"}
    text = explain(ApiException(status=422, reason="Unprocessable Entity", body=json.dumps(status)))
    assert text.splitlines()[1] == "  - spec.template.metadata.labels: " + INVALID["details"]["causes"][0]["message"]


def test_body_that_is_not_a_status():
    text = explain(ApiException(status=503, reason="Service Unavailable", body="upstream down"))
    assert text == "Error from server (503 Service Unavailable): upstream down"


def test_connection_refused_says_where_and_what_next():
    error = urllib3.exceptions.MaxRetryError(None, "/version", urllib3.exceptions.NewConnectionError(
        None, "Failed to establish a new connection: [Errno 111] Connection refused"))
    text = explain(error, "https://127.0.0.1:6443", "connect() starts it again")
    assert text == "Cannot reach the cluster at https://127.0.0.1:6443: connection refused.\nconnect() starts it again"


def test_workshop_error_renders_without_traceback():
    assert WorkshopError("the message")._render_traceback_() == ["the message"]
