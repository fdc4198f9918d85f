"""The orders app on a benchmark's sandbox, driven the way a learner drives it: manifests/ rendered by `kubectl
kustomize` and applied with kubectl, pods read and waited for through kubectl, the app's own load generator
(`python -m app.load`) run as a pod, and the memory of every process the sandbox started read from /proc.
Used by runtime_benchmark.py; every wait is bounded and says what it waited for."""
from __future__ import annotations

import copy
import json
import subprocess
import time
from pathlib import Path

import psutil
import yaml

REPO = Path(__file__).resolve().parents[1]
NAMESPACE = "containo"  # where manifests/ puts the app (its components/namespace)
POLL_SECONDS = 0.2
WAIT_SECONDS = 180.0  # generous: a shared 2-core machine


class Kubectl:
    """Real kubectl against one sandbox's kubeconfig."""

    def __init__(self, kubeconfig: Path):
        self.kubeconfig = kubeconfig

    def run(self, *args: str, input: str | None = None, check: bool = True) -> str:
        result = subprocess.run(["kubectl", "--kubeconfig", str(self.kubeconfig), *args], input=input,
                                capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout

    def json(self, *args: str) -> dict:
        return json.loads(self.run(*args, "-o", "json"))

    def apply(self, documents: list[dict]) -> None:
        self.run("-n", NAMESPACE, "apply", "-f", "-", input=yaml.safe_dump_all(documents))

    def apply_folders(self, *folders: str) -> None:
        for folder in folders:
            self.run("apply", "-k", str(REPO / "manifests" / folder))

    def pods(self, selector: str) -> list[dict]:
        return [p for p in self.json("-n", NAMESPACE, "get", "pods", "-l", selector)["items"]
                if not p["metadata"].get("deletionTimestamp")]


def rendered(folder: str) -> list[dict]:
    result = subprocess.run(["kubectl", "kustomize", str(REPO / "manifests" / folder)], capture_output=True,
                            text=True, timeout=60, check=True)
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def template_as_pod(folder: str, deployment: str, name: str) -> dict:
    """A Deployment's pod template from manifests/ as a bare Pod (chapter 03's API pod: two Python containers)."""
    found = next(d for d in rendered(folder) if d["kind"] == "Deployment" and d["metadata"]["name"] == deployment)
    template = copy.deepcopy(found["spec"]["template"])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {**template["metadata"], "name": name},
            "spec": template["spec"]}


def is_ready(pod: dict) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


def wait_for(condition, what: str, timeout: float = WAIT_SECONDS, check=None):
    """Poll condition() until it returns something truthy; RuntimeError naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        if check is not None:
            check()
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(POLL_SECONDS)


def wait_ready(kubectl: Kubectl, selector: str, count: int, check=None) -> list[dict]:
    def ready():
        found = kubectl.pods(selector)
        return found if len(found) == count and all(is_ready(p) for p in found) else None
    return wait_for(ready, f"{count} ready pod(s) of {selector}", check=check)


def load_balancer_ip(kubectl: Kubectl, service: str) -> str:
    def ip():
        ingress = (kubectl.json("-n", NAMESPACE, "get", "service", service).get("status") or {}).get(
            "loadBalancer", {}).get("ingress") or []
        return ingress[0]["ip"] if ingress else None
    return wait_for(ip, f"a load-balancer address for {service}")


def load_pod(name: str, env: dict[str, str]) -> dict:
    """The app's load generator (app/README.md, "The load generator") as a pod of the app's image."""
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"service": "load-generator"}},
            "spec": {"restartPolicy": "Never", "securityContext": {"runAsNonRoot": True}, "containers": [{
                "name": "load", "image": "containo-orders:dev", "command": ["python", "-m", "app.load"],
                "env": [{"name": k, "value": v} for k, v in env.items()]}]}}


def finished_load(kubectl: Kubectl, name: str, timeout: float, check=None) -> dict:
    """The load.finished fields of a load generator pod once it has succeeded (then the pod is deleted)."""
    wait_for(lambda: kubectl.json("-n", NAMESPACE, "get", "pod", name)["status"].get("phase") in (
        "Succeeded", "Failed"), f"load generator {name} to finish", timeout=timeout, check=check)
    lines = [json.loads(line) for line in kubectl.run("-n", NAMESPACE, "logs", name).splitlines()
             if '"load.finished"' in line]
    kubectl.run("-n", NAMESPACE, "delete", "pod", name, "--grace-period=0", "--wait=false")
    if not lines:
        raise RuntimeError(f"load generator {name} wrote no load.finished line")
    return lines[-1]["fields"]


# memory ---------------------------------------------------------------------------------------------------------
def pss_kib(pid: int) -> int:
    """Proportional set size of one process (KiB): pages shared with N processes count 1/N in each."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def process_kind(process: psutil.Process) -> str:
    """What a process of the sandbox is, for the breakdown: the zygote's forks (Python containers) share its
    command line; a fresh interpreter (exec probes, launchers) names its module or script."""
    line = " ".join(process.cmdline())
    if "sandbox.runtime.zygote" in line:
        return "python (zygote and its forks)"
    if "redis-server" in line or "valkey-server" in line:
        return "redis servers"
    if "sandbox.runtime.reaper" in line:
        return "reaper"
    return "other"


def tree_pss(pid: int) -> tuple[int, dict[str, int], int]:
    """(total PSS in KiB, KiB by kind, process count) of a process and every descendant still running."""
    root = psutil.Process(pid)
    by_kind = {"sandbox": pss_kib(pid)}
    count = 1
    for child in root.children(recursive=True):
        try:
            kind, pss = process_kind(child), pss_kib(child.pid)
        except (psutil.Error, OSError):
            continue  # gone in between (an exec probe that just ended)
        by_kind[kind] = by_kind.get(kind, 0) + pss
        count += 1
    return sum(by_kind.values()), by_kind, count
