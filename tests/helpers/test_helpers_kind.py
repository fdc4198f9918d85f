"""The kind path's command lines and plans, offline: nothing here runs Docker or kind."""
from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

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


def declared_waits() -> list[str]:
    """What addons.yaml says each pinned release creates, read from the file itself (the file the install reads its
    URLs from), as the wait commands `workshop up --kind` must run: Deployments rolled out, then APIServices."""
    pins = yaml.safe_load((REPO / "manifests" / "addons" / "addons.yaml").read_text())
    waits = []
    for addon in ("metricsServer", "keda"):
        spec = pins[addon]
        waits += [f"kubectl --context kind-workshop --namespace {spec['namespace']} rollout status "
                  f"deployment/{name} --timeout=300s" for name in spec["deployments"]]
        waits += [f"kubectl --context kind-workshop wait --for=condition=Available apiservice/{name} --timeout=300s"
                  for name in spec["apiServices"]]
    return waits


def test_fresh_up_creates_builds_loads_installs_and_waits():
    steps = kind.up_plan()
    assert commands(steps)[:3] == [
        f"kind create cluster --config {REPO}/manifests/kind/cluster.yaml --name workshop --wait 120s",
        f"docker build -t containo-orders:dev -f {REPO}/app/Dockerfile {REPO}",
        "kind load docker-image containo-orders:dev --name workshop",
    ]
    waits = [s for s in commands(steps) if " rollout status " in s or " wait " in s]
    assert waits == declared_waits()
    # installs come before the waits, the load balancer before anything needs it
    titles = [s.title for s in steps]
    assert titles.index("install KEDA") < titles.index("wait for KEDA: deployment keda/keda-operator")


def test_keda_waits_name_the_yaml_release_not_the_helm_chart():
    """The Helm chart's names (keda-operator-metrics-apiserver, keda-admission-webhooks) never appear in the
    YAML release that install_keda() applies: waiting for them failed every `workshop up --kind`."""
    keda = kind.addons()["keda"]
    assert kind.install_keda()[-1] == keda["url"] and keda["url"].endswith(f"/keda-{keda['version']}.yaml")
    waited = {s.command[-2] for s in kind.up_plan() if s.command[3:5] == ("--namespace", "keda")}
    assert waited == {f"deployment/{name}" for name in keda["deployments"]}
    assert not waited & {"deployment/keda-operator-metrics-apiserver", "deployment/keda-admission-webhooks"}


def test_up_again_keeps_the_cluster_and_a_running_load_balancer():
    steps = kind.up_plan(cluster_exists=True, lb_state="running")
    assert not any(s.command[:3] == ("kind", "create", "cluster") for s in steps)
    assert not any(s.command[:2] == ("docker", "run") for s in steps)
    assert any(s.command[:3] == ("kind", "load", "docker-image") for s in steps)


def test_a_stopped_load_balancer_is_replaced():
    steps = commands(kind.up_plan(cluster_exists=True, lb_state="stopped"))
    remove = steps.index("docker rm workshop-cloud-provider-kind")
    assert steps[remove + 1].startswith("docker run --detach --name workshop-cloud-provider-kind")
    assert not any(s.startswith("docker stop") for s in steps)


@pytest.mark.parametrize("platform, operating_system, port_mapping", [
    ("linux", "Ubuntu 24.04.2 LTS", False),    # Docker Engine: the kind network is on this machine
    ("linux", None, False),                    # Docker did not answer: Linux is taken as Docker Engine
    ("linux", "Docker Desktop", True),         # Docker Desktop for Linux (and WSL2 with Docker Desktop)
    ("darwin", "Docker Desktop", True),
    ("darwin", None, True),                    # colima, Rancher Desktop...: a VM all the same
    ("win32", "Docker Desktop", True),
])
def test_port_mapping_is_asked_for_wherever_docker_runs_in_a_vm(platform, operating_system, port_mapping):
    host = kind.docker_host(platform, operating_system)
    assert host.port_mapping is port_mapping
    start = [s for s in kind.up_plan(lb_state="absent", port_mapping=host.port_mapping) if s.command[:2] ==
             ("docker", "run")]
    assert len(start) == 1
    image = kind.addons()["cloudProviderKind"]["image"]
    after_image = list(start[0].command[start[0].command.index(image) + 1:])  # the program's own arguments
    assert after_image == (["--enable-lb-port-mapping"] if port_mapping else [])
    assert ("--enable-lb-port-mapping" in kind.load_balancer_note(True, host)) is port_mapping


def test_the_port_mapping_flag_is_read_from_the_running_container():
    assert kind.inspect_running()[:3] == ["docker", "inspect", "--format"]
    with_flag, without = "true --enable-lb-port-mapping\n", "true \n"
    assert [kind.lb_state(with_flag, True), kind.lb_state(without, False)] == ["running", "running"]
    assert [kind.lb_state(without, True), kind.lb_state(with_flag, False)] == ["outdated", "outdated"]
    assert [kind.lb_state("false --enable-lb-port-mapping", True), kind.lb_state(None, True)] == ["stopped", "absent"]
    assert kind.lb_state(without) == "running"  # without a host to compare with


def test_a_load_balancer_with_the_wrong_port_mapping_is_stopped_with_sigterm_and_replaced():
    steps = commands(kind.up_plan(cluster_exists=True, lb_state="outdated", port_mapping=True))
    stop = steps.index("docker stop --signal SIGTERM -t 30 workshop-cloud-provider-kind")
    assert steps[stop + 1] == "docker rm workshop-cloud-provider-kind"
    assert steps[stop + 2].startswith("docker run --detach --name workshop-cloud-provider-kind")
    assert steps[stop + 2].endswith(" --enable-lb-port-mapping")


def test_options_skip_the_build_and_the_load_balancer():
    steps = kind.up_plan(build=False, load_balancer=False)
    assert not any(s.command[:2] in (("docker", "build"), ("docker", "run")) for s in steps)
    assert "port-forward service/containo-orders-frontend 1337:1337" in kind.load_balancer_note(False)
    assert "cloud-provider-kind" in kind.load_balancer_note(True)


LEFTOVERS = ("docker rm --force $(docker ps --all --quiet --filter "
             "label=io.x-k8s.cloud-provider-kind.cluster=workshop)")


def test_down_stops_cloud_provider_kind_with_sigterm_before_anything_else():
    """cloud-provider-kind removes its Envoy containers only on SIGTERM/SIGINT: stop it first, with time to do so,
    then remove what still carries its cluster label, and delete the cluster last."""
    assert commands(kind.down_plan(load_balancers=True)) == [
        "docker stop --signal SIGTERM -t 30 workshop-cloud-provider-kind",
        "docker rm workshop-cloud-provider-kind",
        LEFTOVERS,
        "kind delete cluster --name workshop",
    ]
    assert not any(s.command[:3] == ("docker", "rm", "--force") and s.command[3:] == (kind.LB_CONTAINER,)
                   for s in kind.down_plan(load_balancers=True))  # never SIGKILL cloud-provider-kind itself
    label = kind.addons()["cloudProviderKind"]["clusterLabel"]
    assert LEFTOVERS.endswith(f"label={label}={kind.CLUSTER})")


def test_down_removes_only_what_exists():
    assert commands(kind.down_plan(lb_state="stopped")) == ["docker rm workshop-cloud-provider-kind",
                                                            "kind delete cluster --name workshop"]
    assert commands(kind.down_plan(lb_state="absent", load_balancers=True)) == [
        LEFTOVERS, "kind delete cluster --name workshop"]  # left behind by an earlier SIGKILL
    assert kind.down_plan(cluster_exists=False, lb_state="absent") == []


def test_leftover_load_balancers_are_listed_after_the_stop_and_removed():
    ran = []

    def runner(command, **capture):
        ran.append(command)
        listing = command[:2] == ["docker", "ps"]
        return subprocess.CompletedProcess(command, 0, stdout="5d2f0c\n9ab711\n" if listing else None)
    kind.run_plan(kind.down_plan(load_balancers=True), echo=lambda _: None, runner=runner, which=lambda t: t)
    assert [c[:2] for c in ran] == [["docker", "stop"], ["docker", "rm"], ["docker", "ps"], ["docker", "rm"],
                                    ["kind", "delete"]]
    assert ran[3] == ["docker", "rm", "--force", "5d2f0c", "9ab711"]


def test_nothing_left_behind_skips_the_removal():
    printed, ran = [], []

    def runner(command, **capture):
        ran.append(command)
        return subprocess.CompletedProcess(command, 0, stdout="")
    kind.run_plan(kind.down_plan(lb_state="running", load_balancers=True), echo=printed.append, runner=runner,
                  which=lambda t: t)
    assert not any(c[:3] == ["docker", "rm", "--force"] for c in ran)
    assert "  nothing left: skipped" in printed and ran[-1][:2] == ["kind", "delete"]


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


def test_a_failed_addon_wait_says_where_the_names_come_from():
    [wait] = [s for s in kind.addon_waits("keda") if s.command[-2] == "deployment/keda-admission"]

    def runner(command, **_):
        return subprocess.CompletedProcess(command, 1)
    with pytest.raises(kind.StepFailed) as caught:
        kind.run_plan([wait], echo=lambda _: None, runner=runner, which=lambda tool: tool)
    message = str(caught.value)
    assert "deployment/keda-admission" in message and "manifests/addons/addons.yaml" in message
    assert "kubectl --context kind-workshop --namespace keda get deployments" in message


def test_the_notebook_note_names_the_commands_workshop_up_uses():
    """Chapter 05's note on reaching the LoadBalancer quotes the flag and the port lookup from the same source."""
    notebook = json.loads((REPO / "notebooks" / "05-exposing-the-api.ipynb").read_text())
    [note] = ["".join(c["source"]) for c in notebook["cells"] if "".join(c["source"]).startswith("## 4. An order")]
    words = " ".join(note.split())
    assert f"`{kind.addons()['cloudProviderKind']['portMappingFlag']}`" in words
    assert shlex.join(kind.published_ports()) in words and "`kubectl port-forward`" in words
