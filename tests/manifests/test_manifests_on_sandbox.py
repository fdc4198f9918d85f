"""The manifests on a running sandbox with real kubectl: chapter by chapter as a learner applies them, and the whole
application server-side with strict field validation, each in its own learner namespace."""
from __future__ import annotations

import uuid

import pytest

import manifest_rules as rules

pytestmark = pytest.mark.sandbox
DEPLOYMENTS = ("containo-orders-frontend", "containo-orders-cache", "containo-orders-queue",
               "containo-orders-queue-processor")


@pytest.fixture
def learner_namespace(sandbox_process):
    name = f"containo-t{uuid.uuid4().hex[:8]}"
    yield name
    sandbox_process.kubectl("delete", "namespace", name, "--wait=false")


def apply(sandbox, namespace: str, folders, tmp_path, *args: str):
    at = tmp_path / f"overlay-{'-'.join(f.name for f in folders)}"
    at.mkdir()
    docs = rules.learner_overlay(namespace, folders, at)
    done = sandbox.kubectl("apply", "-k", str(at), *args)
    assert done.returncode == 0, done.stderr
    return docs, done.stdout


def test_each_chapter_applies_in_order_and_rolls_out(sandbox_process, learner_namespace, tmp_path):
    for folder in ("01-namespace", "02-deployment", "03-sidecar", "04-cache", "05-queue", "05-expose",
                   "06-scaling", "07-config"):
        docs, out = apply(sandbox_process, learner_namespace, [rules.MANIFESTS / folder], tmp_path)
        for doc in docs:
            assert f"{doc['kind'].lower()}" in out and doc["metadata"]["name"] in out
    for deployment in DEPLOYMENTS:
        done = sandbox_process.kubectl("--namespace", learner_namespace, "rollout", "status",
                                       f"deployment/{deployment}", "--timeout=120s", timeout=150)
        assert done.returncode == 0, done.stderr
    pods = sandbox_process.kubectl("--namespace", learner_namespace, "get", "pods", "-l",
                                   "app=containo,service=api", "-o", "jsonpath={.items[*].spec.containers[*].name}")
    assert set(pods.stdout.split()) == {"orders-api", "orders-validator"}


def test_the_whole_app_applies_server_side_with_strict_validation(sandbox_process, learner_namespace, tmp_path):
    docs, out = apply(sandbox_process, learner_namespace, [rules.MANIFESTS], tmp_path,
                      "--server-side", "--validate=strict", "--field-manager=workshop-test")
    assert out.count("serverside-applied") == len(docs) == 10  # every object but 02-deployment's (replaced)
    address = sandbox_process.kubectl("--namespace", learner_namespace, "get", "scaledobject",
                                      "containo-orders-queue-processor",
                                      "-o", "jsonpath={.spec.triggers[0].metadata.address}")
    assert address.stdout == f"containo-orders-queue.{learner_namespace}:6379"
