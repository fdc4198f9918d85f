"""A sandbox with the process runtime for this folder's tests (one per module, time scale 10: back-offs and probe
periods run ten times faster, process start-up stays real), and small helpers to read pods through kubectl."""
from __future__ import annotations

import json
import uuid

import pytest

from tests.conftest import SandboxProcess
from tests.waiting import wait_until

TIME_SCALE = 10


@pytest.fixture(scope="module")
def runtime_sandbox(tmp_path_factory):
    sandbox = SandboxProcess(tmp_path_factory.mktemp("runtime"), ["--runtime", "process"], TIME_SCALE).start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def namespace(runtime_sandbox):
    name = f"rt-{uuid.uuid4().hex[:8]}"
    assert runtime_sandbox.kubectl("create", "namespace", name).returncode == 0
    yield name
    runtime_sandbox.kubectl("delete", "namespace", name, "--wait=false")


def pod(sandbox, namespace: str, name: str) -> dict:
    result = sandbox.kubectl("-n", namespace, "get", "pod", name, "-o", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def container_status(sandbox, namespace: str, name: str, container: str) -> dict:
    status = pod(sandbox, namespace, name).get("status") or {}
    for entry in (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or []):
        if entry["name"] == container:
            return entry
    return {}


def wait_for_pod(sandbox, namespace: str, name: str, condition, what: str, timeout: float = 90) -> dict:
    return wait_until(lambda: p if condition(p := pod(sandbox, namespace, name)) else None, timeout=timeout,
                      interval=0.2, what=what, debug=lambda: json.dumps(pod(sandbox, namespace, name).get("status"),
                                                                        indent=1))


def apply(sandbox, namespace: str, manifest: str) -> None:
    result = sandbox.kubectl("-n", namespace, "apply", "-f", "-", input=manifest)
    assert result.returncode == 0, result.stderr
