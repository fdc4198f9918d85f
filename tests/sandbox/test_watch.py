"""Watch over HTTP: JSON lines, resume from a resourceVersion, bookmarks, timeoutSeconds, 410 Expired."""
import json
import time

import pytest

pytestmark = pytest.mark.sandbox


def events(response, count: int) -> list[dict]:
    lines = response.iter_lines()
    return [json.loads(next(lines)) for _ in range(count)]


def create_cm(http, ns, name, **labels) -> dict:
    response = http.post(f"/api/v1/namespaces/{ns}/configmaps", json={"metadata": {"name": name, "labels": labels}})
    assert response.status_code == 201, response.text
    return response.json()


def test_watch_resumes_after_a_resource_version(http, fresh_namespace):
    ns = fresh_namespace
    first = create_cm(http, ns, "a")
    create_cm(http, ns, "b")
    rv = first["metadata"]["resourceVersion"]
    with http.get(f"/api/v1/namespaces/{ns}/configmaps?watch=true&resourceVersion={rv}&timeoutSeconds=10",
                  stream=True) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/json"
        [event] = events(response, 1)
    assert (event["type"], event["object"]["metadata"]["name"]) == ("ADDED", "b")


def test_watch_without_resource_version_lists_first_then_follows(http, fresh_namespace):
    ns = fresh_namespace
    create_cm(http, ns, "a", test="w")  # labelled: every namespace also holds kube-root-ca.crt
    with http.get(f"/api/v1/namespaces/{ns}/configmaps?watch=1&labelSelector=test&timeoutSeconds=10",
                  stream=True) as response:
        lines = response.iter_lines()
        assert json.loads(next(lines))["object"]["metadata"]["name"] == "a"
        create_cm(http, ns, "b", test="w")
        event = json.loads(next(lines))
    assert (event["type"], event["object"]["metadata"]["name"]) == ("ADDED", "b")


def test_watch_with_a_label_selector(http, fresh_namespace):
    ns = fresh_namespace
    rv = create_cm(http, ns, "plain")["metadata"]["resourceVersion"]
    create_cm(http, ns, "chosen", pick="me")
    with http.get(f"/api/v1/namespaces/{ns}/configmaps?watch=1&labelSelector=pick%3Dme&resourceVersion={rv}"
                  "&timeoutSeconds=10", stream=True) as response:
        [event] = events(response, 1)
    assert event["object"]["metadata"]["name"] == "chosen"


def test_timeout_seconds_ends_the_stream_with_a_bookmark_when_allowed(http, fresh_namespace):
    ns = fresh_namespace
    rv = create_cm(http, ns, "a")["metadata"]["resourceVersion"]
    started = time.monotonic()
    response = http.get(f"/api/v1/namespaces/{ns}/configmaps?watch=1&resourceVersion={rv}&timeoutSeconds=1"
                        "&allowWatchBookmarks=true")
    elapsed = time.monotonic() - started
    assert response.status_code == 200 and 0.9 <= elapsed < 10
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert lines[-1]["type"] == "BOOKMARK"
    assert lines[-1]["object"]["kind"] == "ConfigMap" and int(lines[-1]["object"]["metadata"]["resourceVersion"]) \
        >= int(rv)


def test_send_initial_events_ends_with_the_initial_events_bookmark(http, fresh_namespace):
    ns = fresh_namespace
    create_cm(http, ns, "a", test="w")
    with http.get(f"/api/v1/namespaces/{ns}/configmaps?watch=1&labelSelector=test&sendInitialEvents=true"
                  "&allowWatchBookmarks=true"
                  "&resourceVersionMatch=NotOlderThan&timeoutSeconds=10", stream=True) as response:
        added, bookmark = events(response, 2)
    assert added["type"] == "ADDED"
    assert bookmark["type"] == "BOOKMARK"
    assert bookmark["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_watching_one_object_by_name(http, fresh_namespace):
    ns = fresh_namespace
    create_cm(http, ns, "other")
    create_cm(http, ns, "mine")
    with http.get(f"/api/v1/watch/namespaces/{ns}/configmaps/mine?timeoutSeconds=10", stream=True) as response:
        [event] = events(response, 1)
    assert event["object"]["metadata"]["name"] == "mine"


def test_a_watch_from_an_expired_version_is_410(sandbox_factory):
    sandbox = sandbox_factory("--watch-history", "5", "--no-controllers")
    from tests.sandbox.conftest import Http
    http = Http(sandbox.kubeconfig, sandbox.workdir / "ca.crt")
    for i in range(10):
        create_cm(http, "default", f"c{i}")
    response = http.get("/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=2&timeoutSeconds=1")
    assert response.status_code == 200, "the watch cache answers with an ERROR event, not an HTTP error"
    event = response.json()
    assert event["type"] == "ERROR"
    assert (event["object"]["code"], event["object"]["reason"]) == (410, "Expired")
    assert event["object"]["message"].startswith("too old resource version: 2 (")
