"""The reaper: a tiny process that outlives the sandbox by a moment to make sure nothing else does.

Every container process runs in a process group of its own (it may start children: a shell running a probe, a
launcher that execs the Redis server). The sandbox tells the reaper each group it starts and ends, one line each
on the reaper's stdin (`+1234` / `-1234`). When that pipe closes, the sandbox is gone however it went (a clean
stop, SIGINT, SIGTERM, kill -9, a crash), and the reaper kills every group still listed, then exits.

It runs as `python -m sandbox.runtime.reaper` in a session of its own, so a signal sent to the sandbox's process
group does not reach it before it has done its work. It imports only the standard library: it starts in a few
milliseconds and needs nothing from the sandbox."""
from __future__ import annotations

import os
import signal
import sys


def kill_groups(groups: set[int]) -> None:
    for group in groups:
        try:
            os.killpg(group, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def follow(lines) -> set[int]:
    """The process groups still alive when the stream of `+pgid` / `-pgid` lines ends."""
    groups: set[int] = set()
    for line in lines:
        line = line.strip()
        if len(line) < 2 or line[0] not in "+-" or not line[1:].isdigit():
            continue
        group = int(line[1:])
        if group <= 1:  # never init, never "every process of mine" (0)
            continue
        (groups.add if line[0] == "+" else groups.discard)(group)
    return groups


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the sandbox's terminal reaches its whole group
    kill_groups(follow(sys.stdin))
    return 0


if __name__ == "__main__":
    sys.exit(main())
