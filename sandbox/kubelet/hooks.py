"""A container's preStop hook, run as the kubelet runs it before it sends SIGTERM: `sleep` waits, `exec` runs a
command inside the container, `httpGet` sends a request to the pod. A hook that fails records a FailedPreStopHook
event and the container is stopped anyway; the whole hook counts against the pod's grace period (the caller's
timeout)."""
from __future__ import annotations

import asyncio

from sandbox.kubelet.container_exec import run_in_container
from sandbox.kubelet.launch import ProgramNotFound
from sandbox.runtime import commands, probes
from sandbox.runtime.processes import StartFailure

HOOK_HTTP_TIMEOUT = 10.0  # real seconds; the grace period bounds the hook anyway


async def pre_stop(worker, runner) -> None:
    record = runner.record
    hook = ((record.spec.get("lifecycle") or {}).get("preStop")) or {}
    if not hook or record.simulated:
        if hook.get("sleep") and record.simulated:
            await asyncio.sleep(worker.real(float(hook["sleep"].get("seconds") or 0)))
        return
    if hook.get("sleep") is not None:
        await asyncio.sleep(worker.real(float(hook["sleep"].get("seconds") or 0)))
        return
    if hook.get("exec") is not None:
        command = commands.expand_static(hook["exec"].get("command") or [], record.spec.get("env") or [])
        error = await _exec(runner, command)
        if error:
            worker.event("Warning", "FailedPreStopHook", f"Exec lifecycle hook ({command}) for Container "
                         f'"{record.name}" in Pod "{worker.pod_name_for_messages}" failed - error: {error}, '
                         'message: ""', record)
        return
    if hook.get("httpGet") is not None:
        result = await probes.http_probe(hook["httpGet"], record.spec, pod_ip=worker.pod_ip,
                                         timeout=HOOK_HTTP_TIMEOUT, connect=worker.node.open_connection)
        if result.result == probes.FAILURE:
            path = hook["httpGet"].get("path") or "/"
            worker.event("Warning", "FailedPreStopHook", f"HTTP lifecycle hook ({path}) for Container "
                         f'"{record.name}" in Pod "{worker.pod_name_for_messages}" failed - error: {result.output}, '
                         'message: ""', record)


async def _exec(runner, command: list[str]) -> str:
    """The hook's error as the kubelet words it, or "" when it exited 0."""
    try:
        code, output = await run_in_container(runner, command, timeout=3600.0)
    except ProgramNotFound as e:
        return commands.start_error_message(e.program, e.problem)
    except (StartFailure, RuntimeError) as e:
        return str(e)
    if code != 0:
        return f"command '{' '.join(command)}' exited with {code}: {output}"
    return ""
