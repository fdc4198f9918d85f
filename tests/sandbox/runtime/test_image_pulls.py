"""A tag nobody loaded: the sandbox's nodes hold the app image `kind load docker-image` put on kind's nodes
(containo-orders:dev) and nothing else of that repository, so a rollout to another tag fails to pull as it does on
kind (ErrImagePull, then ImagePullBackOff with the kubelet's back-off), the old pods keep serving (maxUnavailable 0)
and `kubectl rollout undo` ends it. Driven with real kubectl."""
from __future__ import annotations

import json

import pytest

from tests.sandbox.runtime.conftest import apply_documents, is_ready, pods, rendered, wait_ready
from tests.waiting import wait_until

pytestmark = pytest.mark.sandbox

API = "containo-orders-frontend"
DENIED = ('failed to resolve reference "docker.io/library/containo-orders:v2": pull access denied, repository does '
          'not exist or may require authorization: server message: insufficient_scope: authorization failed')


def waiting_reason(pod: dict) -> str:
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        if status["name"] == "orders-api":
            return ((status.get("state") or {}).get("waiting") or {}).get("reason", "")
    return ""


def test_a_tag_that_was_never_loaded_fails_to_pull_while_the_old_pods_serve(runtime_sandbox, namespace):
    [api] = [d for d in rendered("03-sidecar") if d["kind"] == "Deployment"]
    api["metadata"].pop("namespace", None)
    apply_documents(runtime_sandbox, namespace, [api])
    old = {p["metadata"]["name"] for p in wait_ready(runtime_sandbox, namespace, "service=api", count=2)}

    result = runtime_sandbox.kubectl("-n", namespace, "set", "image", f"deployment/{API}",
                                     "orders-api=containo-orders:v2")
    assert result.returncode == 0, result.stderr

    def backing_off():
        new = [p for p in pods(runtime_sandbox, namespace, "service=api") if p["metadata"]["name"] not in old]
        return new[0] if new and waiting_reason(new[0]) == "ImagePullBackOff" else None

    bad = wait_until(backing_off, timeout=60, interval=0.05, what="the new pod in ImagePullBackOff")
    [status] = [s for s in bad["status"]["containerStatuses"] if s["name"] == "orders-api"]
    assert status["state"]["waiting"]["message"].startswith(
        'Back-off pulling image "containo-orders:v2": ErrImagePull: rpc error: code = Unknown desc = ')
    assert status["state"]["waiting"]["message"].endswith(DENIED)
    assert bad["status"]["phase"] == "Pending"

    name = bad["metadata"]["name"]
    events = runtime_sandbox.kubectl("-n", namespace, "get", "events", "--sort-by=.lastTimestamp",
                                     "--field-selector", f"involvedObject.name={name}")
    assert events.returncode == 0, events.stderr
    # ErrImagePull first (its event), then the back-off.
    for text in ('Pulling image "containo-orders:v2"', f'Failed to pull image "containo-orders:v2": rpc error: '
                 f'code = Unknown desc = failed to pull and unpack image "docker.io/library/containo-orders:v2": '
                 f'{DENIED}', "Error: ErrImagePull", 'Back-off pulling image "containo-orders:v2"',
                 "Error: ImagePullBackOff"):
        assert text in events.stdout, f"{text!r} not in:\n{events.stdout}"
    # The sidecar's image is the loaded one: it starts, and only orders-api waits.
    described = runtime_sandbox.kubectl("-n", namespace, "describe", "pod", name).stdout
    assert 'Container image "containo-orders:dev" already present on machine' in described

    # maxUnavailable 0: the two old pods stay ready and behind nothing else; the Deployment reports the stuck pod.
    live = {p["metadata"]["name"]: p for p in pods(runtime_sandbox, namespace, "service=api")}
    assert old <= set(live) and all(is_ready(live[n]) for n in old) and len(live) == 3
    deployment = json.loads(runtime_sandbox.kubectl("-n", namespace, "get", "deployment", API, "-o", "json").stdout)
    assert (deployment["status"]["updatedReplicas"], deployment["status"]["availableReplicas"]) == (1, 2)

    undo = runtime_sandbox.kubectl("-n", namespace, "rollout", "undo", f"deployment/{API}")
    assert undo.returncode == 0, undo.stderr
    status = runtime_sandbox.kubectl("-n", namespace, "rollout", "status", f"deployment/{API}", "--timeout=60s")
    assert status.returncode == 0 and "successfully rolled out" in status.stdout, status.stderr
    wait_until(lambda: {p["metadata"]["name"] for p in pods(runtime_sandbox, namespace, "service=api")} == old,
               timeout=60, interval=0.1, what="only the old pods left after the undo")


def test_pull_policy_always_asks_the_registry_even_for_the_loaded_tag(runtime_sandbox, namespace):
    """kind's well-known trap: `imagePullPolicy: Always` (or the `:latest` tag, which defaults to it) pulls even an
    image `kind load` put on the node, and the registry does not have it."""
    result = runtime_sandbox.kubectl("-n", namespace, "run", "always", "--image=containo-orders:dev",
                                     "--image-pull-policy=Always", "--", "python", "-m", "app.validator")
    assert result.returncode == 0, result.stderr
    wait_until(lambda: waiting_reason_of(runtime_sandbox, namespace, "always") in ("ErrImagePull", "ImagePullBackOff"),
               timeout=60, interval=0.1, what="the pull of containo-orders:dev with policy Always to fail")


def waiting_reason_of(sandbox, namespace: str, name: str) -> str:
    result = sandbox.kubectl("-n", namespace, "get", "pod", name, "-o",
                             "jsonpath={.status.containerStatuses[0].state.waiting.reason}")
    return result.stdout if result.returncode == 0 else ""
