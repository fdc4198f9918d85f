"""Kept here, not in notebooks/, so learners' file browser shows only the chapters.

nbval runs every notebook against a sandbox of its own: the kernels inherit WORKSHOP_HOME (where connect()
starts the sandbox) and a time scale, both set here before the first kernel starts; the sandbox stops at the end.
Under pytest-xdist (`make test` runs `-n 2 --dist loadscope`: a module, or a notebook, stays on one worker) each
worker has its own WORKSHOP_HOME, so two notebooks running at once never share a namespace; each chapter catches
up with ensure_chapter, as it does when run alone."""
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

REPO = str(Path(__file__).resolve().parent)

_OWN_HOME = None


def pytest_configure(config):
    global _OWN_HOME
    # Run as a shell's background job, this process has SIGINT and SIGQUIT ignored, and the commands the in-process
    # exec tests start would inherit that: put them back, as the sandbox does before it starts a container.
    from sandbox.runtime.signal_dispositions import restore_defaults
    restore_defaults()
    if getattr(config.option, "dist", "no") != "no" and not hasattr(config, "workerinput"):
        return  # pytest-xdist's controller runs no test: each worker gets a sandbox of its own, below
    if "WORKSHOP_HOME" not in os.environ:
        _OWN_HOME = tempfile.mkdtemp(prefix="workshop-nbval-")
        os.environ["WORKSHOP_HOME"] = _OWN_HOME
        # The tests' own kubectl calls cache discovery in this run's home, never in ~/.kube/cache, where earlier
        # runs' sandboxes left what they served on ports this run's sandboxes may get (the helpers and
        # SandboxProcess give each sandbox a cache of its own: sandbox.kubeconfig.discovery_cache).
        os.environ.setdefault("KUBECACHEDIR", os.path.join(_OWN_HOME, "kubectl-cache"))
    # Kernels import helpers from this checkout even where the project is not pip-installed.
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (REPO, os.environ.get("PYTHONPATH")) if p)
    # Simulated delays (image pulls, readiness, HPA windows) run this many times faster; outputs do not change.
    os.environ.setdefault("WORKSHOP_TIME_SCALE", "10")


def pytest_unconfigure(config):
    if _OWN_HOME:
        from sandbox import daemon
        daemon.stop(_OWN_HOME)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A notebook that fails (under nbval or tests/notebooks/) says what the workshop's namespace on this worker's
    sandbox looked like at that moment: a CI run is gone by the time anyone reads its log, and a wait that timed
    out names only what it waited for."""
    report = yield
    if report.when == "call" and report.failed and "notebooks" in item.path.parts:
        report.sections.append(("the workshop's namespace when it failed", _namespace_state()))
    return report


def _namespace_state(namespace: str = "containo") -> str:
    from helpers.guard import SANDBOX_CONTEXT
    from helpers.kubectl import command
    from sandbox.kubeconfig import discovery_cache
    kubeconfig = Path(os.environ.get("WORKSHOP_HOME", "")) / "sandbox" / "kubeconfig"
    if not kubeconfig.is_file():
        return f"no sandbox kubeconfig at {kubeconfig}"
    out = []
    for words, last in ((["get", "deployments,replicasets,pods,hpa,scaledobjects", "-o", "wide"], None),
                        (["get", "events", "--sort-by=.lastTimestamp"], 25)):
        cmd = command([*words, "--request-timeout", "20s"], kubectl="kubectl", context=SANDBOX_CONTEXT,
                      namespace=namespace, kubeconfig=str(kubeconfig), cache_dir=str(discovery_cache(kubeconfig)))
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            lines = (done.stdout + done.stderr).splitlines()
        except (OSError, subprocess.TimeoutExpired) as error:
            lines = [f"kubectl {' '.join(words)}: {error}"]
        out += [f"$ kubectl {' '.join(words)}"] + (lines[-last:] if last else lines)
    return "\n".join(out)
