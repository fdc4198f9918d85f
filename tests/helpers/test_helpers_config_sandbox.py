"""ensure_chapter() around chapter 07 on a real sandbox (simulated pods): 8 builds the configuration and its
checkpoint passes; a ConfigMap changed by hand is put back and its readers restarted (their pods read it only when
they start); 7 takes the configuration out again, a variable added with `kubectl set env` included."""
import time

import pytest

import helpers
from helpers import checks, configuration

pytestmark = pytest.mark.sandbox
TIMEOUT = 120  # generous: the machine is shared
API, WORKER = "containo-orders-frontend", "containo-orders-queue-processor"



def template(conn, name):
    return conn.api.read("apps/v1", "Deployment", name, conn.namespace)["spec"]["template"]


def pod_names(conn, selector):
    return {p["metadata"]["name"] for p in conn.api.items("v1", "Pod", conn.namespace, label_selector=selector)
            if not p["metadata"].get("deletionTimestamp")}


def ready_again(conn):
    """The queue's Redis was just replaced: KEDA's last poll may have found no ready pod behind its Service (the
    ScaledObject's Ready condition False until the next poll), which the checkpoint would report."""
    helpers.wait_for_autoscaler(WORKER, kind="ScaledObject", timeout=TIMEOUT)


def missing_once_settled(chapter):
    """checks.missing(chapter) once the autoscalers have caught up with replaced pods: the HPA reads new pods'
    metrics a sync or two after they start (FailedGetResourceMetric until then), as the chapter 08 checkpoint
    waits for. The last answer after TIMEOUT seconds otherwise."""
    deadline = time.monotonic() + TIMEOUT
    while (problems := checks.missing(chapter)) and any("cannot scale" in p for p in problems) \
            and time.monotonic() < deadline:
        time.sleep(0.5)
    return problems


def test_chapter_8_builds_the_configuration_puts_it_back_and_7_takes_it_out(learner, capsys):
    ns = learner.namespace
    helpers.ensure_chapter(8, timeout=TIMEOUT)
    ready_again(learner)
    assert missing_once_settled(7) == []
    assert configuration.RESTARTED_AT not in (template(learner, API)["metadata"].get("annotations") or {})

    before = pod_names(learner, "service=api")
    helpers.kubectl("patch configmap containo-orders-config --type merge -p '{\"data\":{\"ORDER_LIMIT\":\"50\"}}'")
    capsys.readouterr()
    helpers.ensure_chapter(8, timeout=TIMEOUT, verbose=True)
    out = capsys.readouterr().out
    assert "configmap/containo-orders-config configured" in out
    assert f"restarted: deployment/{API} (a ConfigMap or Secret it reads was put back)" in out
    assert f"restarted: deployment/{WORKER}" in out and "restarted: deployment/containo-orders-cache" not in out
    config = learner.api.read("v1", "ConfigMap", "containo-orders-config", ns)
    assert config["data"]["ORDER_LIMIT"] == "100"
    after = pod_names(learner, "service=api")
    assert len(after) == 2 and not after & before  # new pods, which read the ConfigMap put back
    assert configuration.RESTARTED_AT not in (template(learner, API)["metadata"].get("annotations") or {})

    helpers.kubectl(f"rollout restart deployment/{API}")  # as chapter 07 does: a mark on the template
    helpers.ensure_chapter(8, timeout=TIMEOUT)
    assert configuration.RESTARTED_AT not in (template(learner, API)["metadata"].get("annotations") or {})

    helpers.kubectl(f"set env deployment/{WORKER} -c queue-processor EXTRA=1")  # another field manager's
    helpers.ensure_chapter(7, timeout=TIMEOUT)
    [worker] = template(learner, WORKER)["spec"]["containers"]
    assert "envFrom" not in worker and "EXTRA" not in {v["name"] for v in worker["env"]}
    assert {v["name"] for v in worker["env"]} == {"QUEUE_REDIS_URL", "CACHE_REDIS_URL", "QUEUE_NAME",
                                                  "WORKER_DELAY_SECONDS"}
    assert learner.api.read("v1", "ConfigMap", "containo-orders-config", ns) is None
    ready_again(learner)
    assert missing_once_settled(6) == [] and any("is missing" in line for line in checks.missing(7))
