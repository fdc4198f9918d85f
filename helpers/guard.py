"""The context guard: which cluster the helpers may talk to.

A learner's laptop may have a production cluster as its current kubectl context. The helpers never use the
current context because it happens to be current: they talk to the sandbox (the default), to the kind cluster
`kind-workshop`, or to a context the user *names* (an argument or WORKSHOP_CONTEXT). Pure functions, no I/O.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .errors import ContextRefused, WorkshopError

SANDBOX_CONTEXT = "workshop-sandbox"
KIND_CONTEXT = "kind-workshop"
WORKSHOP_CONTEXTS = (SANDBOX_CONTEXT, KIND_CONTEXT)
CONTEXT_ENV = "WORKSHOP_CONTEXT"
CLUSTER_ENV = "WORKSHOP_CLUSTER"  # "sandbox" or "kind", set by `workshop lab`

HOW_TO_CHOOSE = (
    "Choose a cluster explicitly:\n"
    "  connect()                      the sandbox (simulated, started for you)\n"
    "  connect('kind')                the kind cluster made by `workshop up --kind` (context kind-workshop)\n"
    "  connect(context='NAME')        a cluster you name, e.g. a shared workshop cluster\n"
    "  or set WORKSHOP_CONTEXT=NAME before starting Jupyter."
)


@dataclass(frozen=True)
class Choice:
    cluster: str  # "sandbox", "kind" or "context"
    context: str  # the kubeconfig context to use ("" for "current", resolved by check())
    explicit: bool  # named by the user (argument or environment), not inferred
    source: str = "default"  # "default", "argument" or the environment variable's name


def _from_name(name: str, source: str) -> Choice:
    if name == SANDBOX_CONTEXT:
        return Choice("sandbox", name, True, source)
    if name == KIND_CONTEXT:
        return Choice("kind", name, True, source)
    return Choice("context", name, True, source)


def choose(cluster: str | None = None, context: str | None = None, env: Mapping[str, str] | None = None) -> Choice:
    """Decide from the arguments, then WORKSHOP_CONTEXT / WORKSHOP_CLUSTER, which cluster to use; the sandbox when
    nothing is named.

    `cluster` is "sandbox", "kind", "current" (allowed only if the current context is a workshop one) or a
    context name; `context` names a kubeconfig context. An argument always wins over the environment.
    """
    env = {} if env is None else env
    if cluster and context:
        raise WorkshopError("Give either a cluster ('sandbox', 'kind') or a context name, not both.")
    if context:
        return _from_name(context, "argument")
    if cluster == "sandbox":
        return Choice("sandbox", SANDBOX_CONTEXT, True, "argument")
    if cluster == "kind":
        return Choice("kind", KIND_CONTEXT, True, "argument")
    if cluster == "current":
        return Choice("context", "", False, "argument")
    if cluster:
        return _from_name(cluster, "argument")
    if env.get(CONTEXT_ENV):
        return _from_name(env[CONTEXT_ENV], CONTEXT_ENV)
    if env.get(CLUSTER_ENV) == "kind":
        return Choice("kind", KIND_CONTEXT, True, CLUSTER_ENV)
    return Choice("sandbox", SANDBOX_CONTEXT, env.get(CLUSTER_ENV) == "sandbox",
                  CLUSTER_ENV if env.get(CLUSTER_ENV) == "sandbox" else "default")


def check(choice: Choice, contexts: Sequence[str], current: str | None, kubeconfig: str = "") -> Choice:
    """Accept the choice or raise `ContextRefused` saying why and how to choose; returns it with `context` resolved.

    Accepted: the sandbox and kind contexts, and any context the user named. Refused: the current context when it
    was not named (whatever it is called), and names the kubeconfig does not have.
    """
    where = f" in {kubeconfig}" if kubeconfig else ""
    if not choice.context:  # "current": only a workshop context may be used without being named
        if current in WORKSHOP_CONTEXTS:
            return Choice("sandbox" if current == SANDBOX_CONTEXT else "kind", current, False, choice.source)
        raise ContextRefused(
            f"Refusing to use the current context {current!r}{where}: the helpers never use a context just "
            f"because it is current (it could be a production cluster).\n"
            f"If you really mean it, name it: connect(context={current!r}).\n" + HOW_TO_CHOOSE)
    if choice.context not in contexts:
        if choice.cluster == "kind":
            raise ContextRefused(f"There is no context {KIND_CONTEXT!r}{where}: the kind cluster is not set up. "
                                 f"Create it with `workshop up --kind` (needs Docker and kind), or use the "
                                 f"sandbox: connect().")
        known = ", ".join(sorted(contexts)) or "none"
        raise ContextRefused(f"There is no context {choice.context!r}{where} (contexts: {known}).\n" + HOW_TO_CHOOSE)
    if choice.explicit or choice.context in WORKSHOP_CONTEXTS:
        return choice
    raise ContextRefused(f"Refusing to use context {choice.context!r}: it was not named explicitly.\n"
                         + HOW_TO_CHOOSE)
