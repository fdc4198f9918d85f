"""A container's command line as the kubelet and containerd build it, and what the runtime says when it
cannot start it.

1. The kubelet expands `$(VAR)` in `command` and `args` with the container's environment
   (ExpandContainerCommandAndArgs); an exec probe's command sees only the variables with a literal `value`
   (ExpandContainerCommandOnlyStatic), a `valueFrom` variable reading as empty.
2. containerd joins them with the image's ENTRYPOINT and CMD (WithProcessArgs): `command` replaces the
   entrypoint and drops CMD; `args` alone replaces CMD; neither keeps both. Nothing at all is an error.

    command_line(entrypoint=["docker-entrypoint.sh"], cmd=["redis-server"], command=[], args=["--port", "6380"])
    -> ["docker-entrypoint.sh", "--port", "6380"]

Pure: no I/O."""
from __future__ import annotations

from typing import Iterable

from sandbox.runtime.expansion import expand, lookup_in

START_ERROR_PREFIX = ("failed to create containerd task: failed to create shim task: OCI runtime create failed: "
                      "runc create failed: unable to start container process: error during container init: ")


class NoCommandError(ValueError):
    """Neither the container nor the image says what to run (containerd: "no command specified")."""

    def __init__(self):
        super().__init__("no command specified")
        self.message = "no command specified"


def expand_command(container: dict, env: Iterable[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """(command, args) with `$(VAR)` expanded from the environment (the last of a repeated name wins)."""
    lookup = lookup_in(dict(env))
    return ([expand(str(word), lookup) for word in container.get("command") or []],
            [expand(str(word), lookup) for word in container.get("args") or []])


def expand_static(command: Iterable[str], env_spec: Iterable[dict]) -> list[str]:
    """An exec probe's or lifecycle hook's command: only the container's `env` entries are known, each with its
    literal `value` ("" for a `valueFrom` entry); $(VAR) of anything else stays as written."""
    lookup = lookup_in({e.get("name") or "": e.get("value") or "" for e in env_spec})
    return [expand(str(word), lookup) for word in command]


def command_line(*, entrypoint: list[str] | None, cmd: list[str] | None, command: list[str],
                 args: list[str]) -> list[str]:
    """The process's argv from the image's ENTRYPOINT/CMD and the container's (expanded) command/args;
    raises NoCommandError when the result is empty. An ENTRYPOINT of [""] means none (docker's reset)."""
    if command:
        argv = list(command) + list(args)
    else:
        base = [] if entrypoint == [""] else list(entrypoint or [])
        argv = base + (list(args) if args else list(cmd or []))
    if not argv:
        raise NoCommandError()
    return argv


def start_error_message(executable: str, problem: str = "not found") -> str:
    """runc's words, through containerd, for a process that cannot start: the message of the terminated state
    (reason StartError, exit code 128) and of the Failed event ("Error: <message>: unknown").

    problem: "not found" (a bare name not on PATH), "missing" (a path that does not exist), "denied"."""
    if problem == "missing":
        detail = f'exec: "{executable}": stat {executable}: no such file or directory'
    elif problem == "denied":
        detail = f'exec: "{executable}": permission denied'
    else:
        detail = f'exec: "{executable}": executable file not found in $PATH'
    return START_ERROR_PREFIX + detail
