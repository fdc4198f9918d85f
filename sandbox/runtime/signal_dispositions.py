"""Containers start with SIGINT and SIGQUIT at their defaults, as under containerd (a daemon started by the init
system), whatever the sandbox inherited. A shell starts its background jobs with both ignored, and an ignored
signal stays ignored across fork and exec (a handled one goes back to its default): a sandbox started that way
handed its containers a ^C that did nothing, in `kubectl exec -it` and everywhere else. Restoring them once in the
process that starts containers costs nothing per start (a preexec_fn in each child would cost a full fork, tens of
milliseconds in a sandbox-sized process, instead of a vfork)."""
from __future__ import annotations

import signal


def restore_defaults() -> None:
    """In a process that starts containers (the sandbox; a test run serving exec in-process): SIGINT and SIGQUIT
    back from ignored, so that every process it starts from now on inherits their defaults."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if signal.getsignal(signal.SIGQUIT) == signal.SIG_IGN:
        signal.signal(signal.SIGQUIT, signal.SIG_DFL)
