"""A command run inside a running container to completion, with its output: what exec probes and exec lifecycle
hooks do (the kubelet's RunInContainer). The command gets the container's environment, working directory and pod
network, and is found on the image's PATH; it is killed when its timeout passes, or when the probe or hook is
cancelled (its pod is going away)."""
from __future__ import annotations

import asyncio
import signal

from sandbox.kubelet.launch import exec_argv
from sandbox.runtime import catalogue
from sandbox.runtime.processes import started

MAX_OUTPUT = 10 * 1024  # the kubelet keeps this much of a probe's or hook's output


async def run_in_container(runner, command: list[str], timeout: float) -> tuple[int, str]:
    """(exit code, combined output) of `command` in the runner's running container; `timeout` in real seconds.
    Raises TimeoutError when it outlives the timeout, ProgramNotFound / StartFailure when it cannot start,
    RuntimeError when the container is not running."""
    launch = runner.launch
    if launch is None or not runner.record.running:
        raise RuntimeError(f'container not found ("{runner.record.name}")')
    argv = exec_argv(runner.image, command, runner.worker.node.runtime.bin_root)
    chunks: list[bytes] = []
    size = [0]

    def keep(_stream: str, data: bytes) -> None:
        if size[0] < MAX_OUTPUT:
            chunks.append(data[:MAX_OUTPUT - size[0]])
            size[0] += len(data)

    python_args = argv[1:] if catalogue.is_python(argv[0]) else None
    process = await started(asyncio.ensure_future(runner.worker.processes.spawn(
        argv, launch.env, launch.cwd, output=keep, merge_output=True, python_args=python_args)))
    try:
        code = await asyncio.wait_for(process.wait(), timeout=timeout)
    except asyncio.TimeoutError:
        process.signal(signal.SIGKILL)
        await process.wait()
        raise TimeoutError(" ".join(command)) from None
    except asyncio.CancelledError:  # the probe or hook was stopped with its pod: so is its command
        process.signal(signal.SIGKILL)
        raise
    return code, b"".join(chunks).decode(errors="replace")
