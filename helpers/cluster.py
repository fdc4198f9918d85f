"""connect(): choose the workshop's cluster explicitly, and the learner's namespace.

    connect()                       the sandbox (started in the background if it is not running)
    connect("kind")                 the kind cluster from `workshop up --kind` (context kind-workshop)
    connect(context="workshop-aks") a cluster you name; WORKSHOP_CONTEXT=... does the same
    connect(learner="alice")        work in namespace containo-alice (or set WORKSHOP_LEARNER=alice)
    connect(context="workshop-alice")   a context whose namespace is containo-alice works there too (the
                                    kubeconfig `workshop learners create` writes for alice)

Every other helper uses the connection made here (or makes the default one on first use); none of them ever
falls back to kubectl's current context.
"""
from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import urllib3
import yaml
from kubernetes import config as kube_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException
from sandbox import kubeconfig as sandbox_kubeconfig  # with the simulator; small, stdlib and yaml only

from . import guard
from .api import Api
from .errors import WorkshopError, explain
from .guard import CLUSTER_ENV, CONTEXT_ENV

NAMESPACE = "containo"
LEARNER_ENV = "WORKSHOP_LEARNER"
TIME_SCALE_ENV = "WORKSHOP_TIME_SCALE"
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

ADVICE = {
    "sandbox": "The sandbox is a local process: connect() starts it again; `workshop sandbox status` shows it.",
    "kind": "Is Docker running (`docker ps`) and does `kind get clusters` list `workshop`? "
            "Create it with `workshop up --kind`.",
    "context": "Check that the cluster is up and your credentials or VPN work: "
               "`kubectl --context {context} get namespaces`.",
}


@dataclass
class Connection:
    """Where the helpers work: one cluster (kubeconfig + context) and one namespace."""
    cluster: str  # "sandbox", "kind" or "context"
    context: str
    kubeconfig: str | None  # None: kubectl's default loading rules (KUBECONFIG or ~/.kube/config)
    namespace: str
    learner: str | None
    api: Api = field(repr=False)
    server: str = ""
    version: str = ""
    runtime: str = ""  # the sandbox's runtime once asked ("process" or "simulated": helpers.simulation)
    kubectl_cache: str | None = None  # kubectl's discovery cache for the sandbox (None: kubectl's default)

    @property
    def advice(self) -> str:
        return ADVICE[self.cluster].format(context=self.context)

    def __repr__(self) -> str:
        what = {"sandbox": "the sandbox", "kind": "the kind cluster"}.get(self.cluster, "cluster")
        return (f"Connected to {what} (context {self.context}, Kubernetes {self.version or 'unknown'}); "
                f"working in namespace {self.namespace}.")


_current: Connection | None = None


def namespace_for(learner: str | None) -> str:
    """`containo` for the workshop, `containo-<learner>` when learners share a cluster (connect() and the
    `workshop` command both resolve the namespace here)."""
    if not learner:
        return NAMESPACE
    namespace = f"{NAMESPACE}-{learner}"
    if not _LABEL.match(learner) or len(namespace) > 63:
        raise WorkshopError(f"{learner!r} is an invalid learner name: it cannot be part of a namespace name "
                            f"({NAMESPACE}-<learner>). Use lowercase letters, digits and '-', starting and ending "
                            f"with a letter or digit, at most {63 - len(NAMESPACE) - 1} characters (for example "
                            "'alice' or 'bob-2').")
    return namespace


def environment(cluster: str, *, kubeconfig: str | None = None, context: str | None = None,
                learner: str | None = None, time_scale: float = 1.0) -> dict[str, str]:
    """The variables that make connect() (and kubectl, for the sandbox) choose this cluster and namespace without
    arguments: what `workshop lab`, `reset` and `progress` export before the helpers run. `cluster` is "sandbox"
    (with its kubeconfig), "kind" or "context" (with the context's name)."""
    env = {CLUSTER_ENV: cluster}
    if cluster == "sandbox":
        env["KUBECONFIG"] = str(kubeconfig)  # so that `kubectl` in a notebook or terminal finds the sandbox too
        env["KUBECACHEDIR"] = str(sandbox_kubeconfig.discovery_cache(kubeconfig))  # ... and nothing stale about it
        env[TIME_SCALE_ENV] = f"{time_scale:g}"
    elif cluster == "context":
        env[CONTEXT_ENV] = str(context)
    if learner:
        namespace_for(learner)
        env[LEARNER_ENV] = learner
    return env


def learner_of(namespace: str | None) -> str | None:
    """The learner a workshop namespace belongs to: "alice" for containo-alice, None for containo or any other."""
    prefix = f"{NAMESPACE}-"
    if namespace and namespace.startswith(prefix) and _LABEL.match(namespace[len(prefix):]):
        return namespace[len(prefix):]
    return None


def context_entry(kubeconfig: str, context: str) -> dict | None:
    """The context named `context` in the first file of the KUBECONFIG list `kubeconfig` that has it (read as
    kubectl merges a list: the first file to name a context wins)."""
    for path in filter(None, kubeconfig.split(os.pathsep)):
        try:
            with open(Path(path).expanduser()) as f:
                config = yaml.safe_load(f) or {}
        except (OSError, yaml.YAMLError):
            continue
        for entry in (config.get("contexts") or []) if isinstance(config, dict) else []:
            if isinstance(entry, dict) and entry.get("name") == context and isinstance(entry.get("context"), dict):
                return dict(entry["context"])
    return None


def context_learner(kubeconfig: str, context: str) -> str | None:
    """The learner whose namespace a kubeconfig context names (`namespace: containo-alice` -> "alice"), as in the
    kubeconfig `workshop learners create` writes: with it a learner needs no WORKSHOP_LEARNER."""
    return learner_of((context_entry(kubeconfig, context) or {}).get("namespace"))


def default_kubeconfig() -> str:
    return os.environ.get("KUBECONFIG") or str(Path.home() / ".kube" / "config")


def _sandbox_kubeconfig() -> str:
    from sandbox import daemon  # the simulator ships with the workshop; imported only when it is used

    scale = float(os.environ.get(TIME_SCALE_ENV) or 1.0)
    try:
        status = daemon.start(time_scale=scale)
    except Exception as exc:  # the daemon explains its own failures; keep them, drop the traceback
        raise WorkshopError(f"The sandbox could not be started: {exc}") from None
    return str(status.kubeconfig)


def _contexts(kubeconfig: str) -> tuple[list[str], str | None]:
    try:
        contexts, current = kube_config.list_kube_config_contexts(config_file=kubeconfig)
    except (ConfigException, OSError):
        return [], None
    return [c["name"] for c in contexts], (current or {}).get("name")


def _open(choice: guard.Choice, kubeconfig: str, namespace: str, learner: str | None) -> Connection:
    client = kube_config.new_client_from_config(config_file=kubeconfig, context=choice.context)
    conn = Connection(choice.cluster, choice.context, kubeconfig, namespace, learner, Api(client),
                      server=client.configuration.host)
    if choice.cluster == "sandbox" and os.pathsep not in kubeconfig:
        conn.kubectl_cache = str(sandbox_kubeconfig.discovery_cache(kubeconfig))
    try:
        conn.version = conn.api.request("GET", "/version", timeout=5).get("gitVersion", "")
    except (ApiException, urllib3.exceptions.HTTPError, ConnectionError) as exc:
        raise WorkshopError(explain(exc, conn.server, conn.advice)) from None
    return conn


def connect(cluster: str | None = None, *, context: str | None = None, learner: str | None = None,
            kubeconfig: str | None = None) -> Connection:
    """Choose the cluster and namespace every helper uses, check that the cluster answers, and return it.

    cluster:    "sandbox" (the default), "kind", or a kubeconfig context name
    context:    a kubeconfig context to use; WORKSHOP_CONTEXT sets it for a whole session
    learner:    your name when learners share one cluster: you work in containo-<learner> (WORKSHOP_LEARNER)
    kubeconfig: where to read contexts from (default: KUBECONFIG or ~/.kube/config; the sandbox has its own)

    The current kubectl context is never used just because it is current: a production cluster may be current
    on your laptop. Name the context you want and the helpers use it.
    """
    global _current
    choice = guard.choose(cluster, context, os.environ)
    learner = learner or os.environ.get(LEARNER_ENV) or None
    namespace_for(learner)  # a bad name is refused before anything starts
    if choice.cluster == "sandbox" and not kubeconfig:
        kubeconfig = _sandbox_kubeconfig()
    kubeconfig = kubeconfig or default_kubeconfig()
    contexts, current_name = _contexts(kubeconfig)
    choice = guard.check(choice, contexts, current_name, kubeconfig)
    learner = learner or context_learner(kubeconfig, choice.context)
    namespace = namespace_for(learner)
    _current = _open(choice, kubeconfig, namespace, learner)
    use_pod_network(_current)
    return _current


def use_pod_network(conn: Connection | None) -> str | None:
    """On the sandbox, give this kernel the network a machine next to a kind cluster has: LoadBalancer addresses
    and node ports answer, while pod IPs, cluster IPs and cluster names fail at once with a message naming
    `kubectl port-forward` (sandbox/README.md, "Pod network"). Anywhere else, take that away again. Returns the
    routing table used, or None."""
    from sandbox.pod_network import layer
    table = None
    if conn is not None and conn.cluster == "sandbox" and conn.kubeconfig:
        try:
            table = (sandbox_kubeconfig.read(conn.kubeconfig)["pod_network"] or {}).get("table")
        except (OSError, KeyError, StopIteration, ValueError, TypeError, AttributeError):
            table = None  # a kubeconfig we did not write: no pod network to join
    if table:
        layer.install_host(table)
    else:
        layer.uninstall()
    return table


def connected() -> Connection | None:
    """The connection made so far, without making one."""
    return _current


def current() -> Connection:
    """The connection every helper uses; the first call connects with the defaults (see connect())."""
    return _current or connect()


def disconnect() -> None:
    """Forget the connection (the next helper connects again with the defaults); the cluster keeps running."""
    global _current
    if _current is not None:
        _current.api.client.close()
    _current = None
    use_pod_network(None)


def friendly(function):
    """Decorator for notebook-facing helpers: API and connection errors surface as a `WorkshopError`, told with
    where the connection points and what to do when it is down (the connection's own context)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except WorkshopError:
            raise
        except (ApiException, urllib3.exceptions.HTTPError, ConnectionError, ConfigException) as exc:
            raise WorkshopError(explain(exc, *_where())) from None

    return wrapper


def _where() -> tuple[str, str]:
    """Where the current connection points and what to do if it is down (empty before connect())."""
    return (_current.server, _current.advice) if _current else ("", "")
