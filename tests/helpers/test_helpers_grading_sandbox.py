"""The checkpoints of chapters 03-05 against a real sandbox: each FAILS on a wrong learner answer, applied the ways a
learner applies it (the helpers' apply(), or `kubectl apply --server-side` in a terminal), with the lines a learner
reads; and ensure_chapter(n + 1) repairs what the wrong answer left, however it was applied."""

import pytest
import yaml

import helpers
from helpers import checks
from helpers.manifests import MANIFESTS

pytestmark = pytest.mark.sandbox
TIMEOUT = 90  # generous: the machine is shared



def checkpoint(check, capsys) -> list[str]:
    """What the checkpoint prints, one line each (the headline first)."""
    capsys.readouterr()
    check()
    return capsys.readouterr().out.splitlines()


def terminal_apply(manifest: str) -> None:
    """What a learner types in a terminal: another field manager than the helpers'."""
    helpers.kubectl("apply --server-side -f -", stdin=manifest)


def test_the_cache_checkpoint_fails_on_a_wrong_service_and_ensure_chapter_5_repairs_it(learner, capsys):
    helpers.ensure_chapter(4, timeout=TIMEOUT)
    helpers.apply("manifests/04-cache/cache-deployment.yaml", quiet=True)
    helpers.wait_for_rollout("containo-orders-cache", timeout=TIMEOUT)
    # What `kubectl create service clusterip containo-orders-cache-service --tcp=6666` writes.
    terminal_apply(helpers.kubectl("create service clusterip containo-orders-cache-service --tcp=6666 "
                                   "--dry-run=client -o yaml", capture=True))
    lines = checkpoint(helpers.check_cache, capsys)
    ref = "service/containo-orders-cache-service"
    assert lines[0] == ("NOT YET  Chapter 4 checkpoint (the Redis cache behind a ClusterIP service): 5 things to fix:")
    assert f"  - {ref}: labels microservice=orders, service=cache and type=infrastructure are missing" in lines
    assert (f"  - {ref} selects app=containo-orders-cache-service, which matches no pod: the pods it should select "
            "carry app=containo, microservice=orders, service=cache, type=infrastructure "
            "(kubectl get pods --show-labels)") in lines
    assert (f"  - {ref}: port 6666 forwards to targetPort 6666, but the pods it should select listen on 6379 "
            "(container redis declares it as 'redis'): set targetPort: 6379") in lines

    # Closer: the labels but one, a selector with a label the pod does not have, the wrong targetPort.
    wrong = yaml.safe_load((MANIFESTS / "04-cache/cache-service.yaml").read_text())
    del wrong["metadata"]["labels"]["type"]
    wrong["spec"]["selector"]["tier"] = "cache"
    wrong["spec"]["ports"][0]["targetPort"] = 6380
    terminal_apply(yaml.safe_dump(wrong))
    lines = checkpoint(helpers.check_cache, capsys)
    assert lines[1:] == [
        f"  - {ref}: label type=infrastructure is missing",
        f"  - {ref} selects app=containo,microservice=orders,service=cache,tier=cache, which matches no pod: the pods "
        "it should select carry app=containo, microservice=orders, service=cache, type=infrastructure "
        "(kubectl get pods --show-labels)",
        f"  - {ref}: port 6666 forwards to targetPort 6380, but the pods it should select listen on 6379 (container "
        "redis declares it as 'redis'): set targetPort: 6379"]

    helpers.ensure_chapter(5, timeout=TIMEOUT)
    assert checks.missing(4) == []
    live = learner.api.read("v1", "Service", "containo-orders-cache-service", learner.namespace)
    assert live["spec"]["selector"] == {"app": "containo", "microservice": "orders", "service": "cache"}


def test_the_sidecar_checkpoint_fails_on_a_sidecar_without_its_port_and_ensure_chapter_4_repairs_it(learner, capsys):
    helpers.ensure_chapter(3, timeout=TIMEOUT)
    deployment = yaml.safe_load((MANIFESTS / "03-sidecar/api-deployment.yaml").read_text())
    validator = deployment["spec"]["template"]["spec"]["containers"][1]
    del validator["ports"]
    validator["args"] = ["--debug"]  # appended arguments are fine for the checkpoint; ensure_chapter removes them
    helpers.apply(yaml.safe_dump(deployment), quiet=True)
    lines = checkpoint(helpers.check_sidecar, capsys)
    prefix = "  - deployment/containo-orders-frontend: container orders-validator"
    assert lines[0].startswith("NOT YET  Chapter 3 checkpoint (the validator sidecar):")
    assert f"{prefix} does not declare port 81 (named validator) under ports" in lines
    assert (f"{prefix}: its readinessProbe asks httpGet /healthz on port 'validator' (a name the container does not "
            "declare), expected httpGet /healthz on port 81") in lines

    terminal_apply(yaml.safe_dump({**deployment, "metadata": {"name": "containo-orders-frontend"}}))
    helpers.ensure_chapter(4, timeout=TIMEOUT)
    assert checks.missing(3) == []
    live = learner.api.read("apps/v1", "Deployment", "containo-orders-frontend", learner.namespace)
    [validator] = [c for c in live["spec"]["template"]["spec"]["containers"] if c["name"] == "orders-validator"]
    assert "args" not in validator and validator["ports"][0]["containerPort"] == 81


def test_the_exposed_checkpoint_fails_on_a_cluster_ip_with_the_wrong_target_port(learner, capsys):
    helpers.ensure_chapter(5, timeout=TIMEOUT)
    helpers.apply("manifests/05-queue", quiet=True)
    # `kubectl expose` without --type, and without --target-port: a ClusterIP forwarding 1337 to 1337.
    terminal_apply(helpers.kubectl("expose deployment containo-orders-frontend --port=1337 --dry-run=client -o yaml",
                                   capture=True))
    with pytest.raises(helpers.WorkshopError, match="is of type ClusterIP, not LoadBalancer: it gets no external "
                                                    r"address \(set spec.type: LoadBalancer\)"):
        helpers.wait_for_load_balancer("containo-orders-frontend", timeout=TIMEOUT)  # at once, not after TIMEOUT
    for name in ("containo-orders-queue", "containo-orders-queue-processor"):
        helpers.wait_for_rollout(name, timeout=TIMEOUT)
    lines = checkpoint(helpers.check_exposed, capsys)
    ref = "service/containo-orders-frontend"
    assert lines[1:] == [
        f"  - {ref} is of type ClusterIP, expected LoadBalancer",
        f"  - {ref}: port 1337 has no name, expected 'http'",
        f"  - {ref}: port 1337 forwards to targetPort 1337, but the pods it should select listen on 80 (container "
        "orders-api declares it as 'http'): set targetPort: 80"]

    helpers.ensure_chapter(6, timeout=TIMEOUT)
    helpers.wait_for_load_balancer("containo-orders-frontend", timeout=TIMEOUT)
    assert checks.missing(5) == []
