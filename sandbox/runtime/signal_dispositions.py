"""A container's process starts with every signal at its default disposition, as under containerd (a daemon
started by the init system), whatever the sandbox inherited. A signal ignored in a parent stays ignored across
fork and exec, and a shell starts its background jobs with SIGINT and SIGQUIT ignored: a sandbox (or a test run)
started that way would hand its containers a ^C that does nothing, in `kubectl exec -it` and everywhere else.
Signals the sandbox handles itself need nothing: exec puts a handled signal back to its default."""
from __future__ import annotations

import signal

IGNORED_BY_BACKGROUND_JOBS = (signal.SIGINT, signal.SIGQUIT)


def reset_in_child() -> None:
    """In the child, after fork and before exec (a preexec_fn)."""
    for signum in IGNORED_BY_BACKGROUND_JOBS:
        signal.signal(signum, signal.SIG_DFL)
