"""The kind path's command lines and plans, offline: nothing here runs Docker or kind."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from helpers import kind

REPO = Path(__file__).resolve().parents[2]


def commands(steps) -> list[str]:
    return [str(step) for step in steps]


def test_create_and_delete_use_the_checked_in_config_and_name():
    assert kind.create_cluster() == ["kind", "create", "cluster", "--config",
                                     str(REPO / "manifests" / "kind" / "cluster.yaml"), "--name", "workshop",
                                     "--wait", "120s"]
    assert kind.delete_cluster() == ["kind", "delete", "cluster", "--name", "workshop"]


def test_image_is_built_from_the_repository_and_loaded_into_the_nodes():
    assert kind.build_image() == ["docker", "build", "-t", "containo-orders:dev", "-f",
                                  str(REPO / "app" / "Dockerfile"), str(REPO)]
    assert kind.load_image() == ["kind", "load", "docker-image", "containo-orders:dev", "--name", "workshop"]


def test_addons_install_at_the_pinned_versions():
    assert kind.install_metrics_server() == ["kubectl", "--context", "kind-workshop", "apply", "-k",
                                             str(REPO / "manifests" / "addons" / "metrics-server")]
    assert kind.install_keda() == ["kubectl", "--context", "kind-workshop", "apply", "--server-side", "-f",
                                   "https://github.com/kedacore/keda/releases/download/v2.20.2/keda-2.20.2.yaml"]
    lb = kind.run_cloud_provider_kind()
    assert lb[:2] == ["docker", "run"] and lb[-1].endswith("/cloud-controller-manager:v0.11.1")
    assert ("--network", "kind") in zip(lb, lb[1:])
    assert ("--volume", "/var/run/docker.sock:/var/run/docker.sock") in zip(lb, lb[1:])


def test_every_command_names_the_kind_context_explicitly():
    for step in kind.up_plan():
        if step.command[0] == "kubectl":
            assert step.command[1:3] == ("--context", "kind-workshop"), step


def test_fresh_up_creates_builds_loads_installs_and_waits():
    steps = kind.up_plan()
    assert commands(steps)[:3] == [
        f"kind create cluster --config {REPO}/manifests/kind/cluster.yaml --name workshop --wait 120s",
        f"docker build -t containo-orders:dev -f {REPO}/app/Dockerfile {REPO}",
        "kind load docker-image containo-orders:dev --name workshop",
    ]
    waits = [s for s in commands(steps) if " rollout status " in s or " wait " in s]
    assert waits == [
        "kubectl --context kind-workshop --namespace kube-system rollout status deployment/metrics-server "
        "--timeout=300s",
        "kubectl --context kind-workshop wait --for=condition=Available apiservice/v1beta1.metrics.k8s.io "
        "--timeout=300s",
        "kubectl --context kind-workshop --namespace keda rollout status deployment/keda-operator --timeout=300s",
        "kubectl --context kind-workshop --namespace keda rollout status deployment/keda-operator-metrics-apiserver "
        "--timeout=300s",
        "kubectl --context kind-workshop --namespace keda rollout status deployment/keda-admission-webhooks "
        "--timeout=300s",
        "kubectl --context kind-workshop wait --for=condition=Available "
        "apiservice/v1beta1.external.metrics.k8s.io --timeout=300s",
    ]
    # installs come before the waits, the load balancer before anything needs it
    titles = [s.title for s in steps]
    assert titles.index("install KEDA") < titles.index("wait for the KEDA operator")


def test_up_again_keeps_the_cluster_and_a_running_load_balancer():
    steps = kind.up_plan(cluster_exists=True, lb_state="running")
    assert not any(s.command[:3] == ("kind", "create", "cluster") for s in steps)
    assert not any(s.command[:2] == ("docker", "run") for s in steps)
    assert any(s.command[:3] == ("kind", "load", "docker-image") for s in steps)


def test_a_stopped_load_balancer_is_replaced():
    steps = commands(kind.up_plan(cluster_exists=True, lb_state="stopped"))
    remove = steps.index("docker rm --force workshop-cloud-provider-kind")
    assert steps[remove + 1].startswith("docker run --detach --name workshop-cloud-provider-kind")


def test_options_skip_the_build_and_the_load_balancer():
    steps = kind.up_plan(build=False, load_balancer=False)
    assert not any(s.command[:2] in (("docker", "build"), ("docker", "run")) for s in steps)
    assert "port-forward service/containo-orders-frontend 1337:1337" in kind.load_balancer_note(False)
    assert "cloud-provider-kind" in kind.load_balancer_note(True)


def test_down_removes_only_what_exists():
    assert commands(kind.down_plan()) == ["docker rm --force workshop-cloud-provider-kind",
                                          "kind delete cluster --name workshop"]
    assert commands(kind.down_plan(lb_state="absent")) == ["kind delete cluster --name workshop"]
    assert kind.down_plan(cluster_exists=False, lb_state="absent") == []


def test_state_is_read_from_kind_and_docker_output():
    assert kind.cluster_exists("kind\nworkshop\n")
    assert not kind.cluster_exists("workshop-old\n")
    assert not kind.cluster_exists(None)
    assert [kind.lb_state(o) for o in ("true\n", "false\n", None)] == ["running", "stopped", "absent"]


class FakeRunner:
    def __init__(self, fail_on: str = ""):
        self.ran, self.fail_on = [], fail_on

    def __call__(self, command, **_):
        self.ran.append(command)
        return subprocess.CompletedProcess(command, 1 if command[0] == self.fail_on else 0)


def test_run_plan_prints_each_command_before_running_it():
    printed, runner = [], FakeRunner()
    steps = kind.up_plan(cluster_exists=True, lb_state="running", build=False)
    kind.run_plan(steps, echo=printed.append, runner=runner, which=lambda tool: f"/usr/bin/{tool}")
    assert runner.ran == [list(s.command) for s in steps]
    assert printed[0] == f"[1/{len(steps)}] load the app image into the nodes\n$ " \
                         "kind load docker-image containo-orders:dev --name workshop"


def test_run_plan_stops_at_the_first_failure():
    runner = FakeRunner(fail_on="kubectl")
    with pytest.raises(kind.StepFailed, match=r"step 2 \(install metrics-server.*exit code 1"):
        kind.run_plan(kind.up_plan(cluster_exists=True, lb_state="running", build=False), echo=lambda _: None,
                      runner=runner, which=lambda tool: tool)
    assert len(runner.ran) == 2


def test_missing_tools_are_named_with_how_to_install_them_before_anything_runs():
    runner = FakeRunner()
    with pytest.raises(kind.ToolMissing) as caught:
        kind.run_plan(kind.up_plan(), echo=lambda _: None, runner=runner,
                      which=lambda tool: None if tool in ("kind", "docker") else tool)
    assert runner.ran == []
    message = str(caught.value)
    assert "docker, kind" in message and "go install sigs.k8s.io/kind@v0.33.0" in message


def test_dry_run_needs_no_tools_and_runs_nothing():
    printed, runner = [], FakeRunner()
    kind.run_plan(kind.up_plan(), dry_run=True, echo=printed.append, runner=runner, which=lambda _: None)
    assert runner.ran == [] and len(printed) == len(kind.up_plan())
