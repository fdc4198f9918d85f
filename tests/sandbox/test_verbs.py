"""Verbs over HTTP that kubectl and the client only touch indirectly: paging, deletecollection, dry run,
pod logs with several containers, graceful pod deletion."""
import time

import pytest

pytestmark = pytest.mark.sandbox


def create(http, path, body, status=201):
    response = http.post(path, json=body)
    assert response.status_code == status, response.text
    return response.json()


def test_list_pages_with_limit_and_continue(http, fresh_namespace):
    path = f"/api/v1/namespaces/{fresh_namespace}/secrets"  # secrets: the namespace starts without any
    for i in range(5):
        create(http, path, {"metadata": {"name": f"c{i}"}})
    names, token, pages = [], "", 0
    while True:
        page = http.get(f"{path}?limit=2" + (f"&continue={token}" if token else "")).json()
        names += [item["metadata"]["name"] for item in page["items"]]
        pages += 1
        token = page["metadata"].get("continue")
        if not token:
            break
        assert page["metadata"]["remainingItemCount"] == 5 - len(names)
    assert (names, pages) == ([f"c{i}" for i in range(5)], 3)


def test_deletecollection_with_a_label_selector(http, fresh_namespace):
    path = f"/api/v1/namespaces/{fresh_namespace}/configmaps"
    for i in range(4):
        create(http, path, {"metadata": {"name": f"c{i}", "labels": {"even": str(i % 2 == 0).lower()}}})
    response = http.request("DELETE", f"{path}?labelSelector=even%3Dtrue")
    assert response.status_code == 200
    assert sorted(i["metadata"]["name"] for i in response.json()["items"]) == ["c0", "c2"]
    left = [i["metadata"]["name"] for i in http.get(f"{path}?labelSelector=even").json()["items"]]
    assert left == ["c1", "c3"]


def test_dry_run_validates_without_writing(http, fresh_namespace):
    path = f"/api/v1/namespaces/{fresh_namespace}/configmaps"
    created = create(http, path + "?dryRun=All", {"metadata": {"name": "ghost"}})
    assert created["metadata"]["uid"] and "resourceVersion" not in created["metadata"]
    assert http.get(f"{path}/ghost").status_code == 404
    invalid = http.post(path + "?dryRun=All", json={"metadata": {"name": "Not_Valid"}})
    assert invalid.status_code == 422
    assert http.post(path + "?dryRun=Some", json={"metadata": {"name": "x"}}).status_code == 400


def test_logs_need_a_container_name_when_there_are_several(http, fresh_namespace):
    ns = fresh_namespace
    create(http, f"/api/v1/namespaces/{ns}/pods", {"metadata": {"name": "duo"}, "spec": {"containers": [
        {"name": "orders-api", "image": "nginx:1.27"}, {"name": "orders-validator", "image": "nginx:1.27"}]}})
    response = http.get(f"/api/v1/namespaces/{ns}/pods/duo/log")
    assert response.status_code == 400
    assert response.json()["message"] == ("a container name must be specified for pod duo, choose one of: "
                                          "[orders-api orders-validator]")
    bad = http.get(f"/api/v1/namespaces/{ns}/pods/duo/log?container=nope")
    assert (bad.status_code, bad.json()["message"]) == (400, "container nope is not valid for pod duo")
    deadline = time.monotonic() + 60
    while True:  # until the simulated kubelet has started the container (before that: 400, waiting to start)
        text = http.get(f"/api/v1/namespaces/{ns}/pods/duo/log?container=orders-validator&tailLines=2")
        if text.status_code == 200 or time.monotonic() > deadline:
            break
        assert "is waiting to start" in text.json()["message"]
        time.sleep(0.2)
    assert text.status_code == 200 and text.headers["Content-Type"].startswith("text/plain")
    assert len(text.text.strip().splitlines()) <= 3  # the "simulated log" header line, then the tail


def test_an_unscheduled_pod_deletes_at_once_and_answers_with_the_pod(http, fresh_namespace):
    ns = fresh_namespace
    create(http, f"/api/v1/namespaces/{ns}/pods", {"metadata": {"name": "p"}, "spec": {
        "nodeSelector": {"nowhere": "true"}, "containers": [{"name": "c", "image": "nginx:1.27"}]}})
    response = http.request("DELETE", f"/api/v1/namespaces/{ns}/pods/p",
                            json={"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"})
    assert response.status_code == 200 and response.json()["kind"] == "Pod"
    assert http.get(f"/api/v1/namespaces/{ns}/pods/p").status_code == 404
