"""Which simulated containers end, and how (a container whose image the sandbox cannot run has no process, yet
the Kubernetes docs' Jobs run `busybox` with `sh -c "exit 0"` or `perl -Mbignum=bpi -wle "print bpi(2000)"` and
wait for them to finish). A container of a pod whose restartPolicy is Never or OnFailure, with a command the
sandbox recognises as one that ends, ends after a simulated moment with the exit code that command would give;
any other command (a server, a loop, `tail -f`, the image's default entrypoint) keeps running, as before.

Recognised, as the command or the steps of an `sh -c`/`bash -c` script joined by `;` or `&&` (a `||` or anything
else: not recognised):
    exit N          ends with N (the script's remaining steps do not run)
    true, false     0, 1
    sleep N         N seconds (whole or decimal), then 0
    echo, printf, date, env, printenv, hostname, uname, whoami, id, pwd, ls, cat FILE..., perl -e/-le/-wle ...
                    0 (perl after 2 s: the docs' pi)
Below, a planned container's runs (stages.ContainerRun, with the plan's Timings) and its status at a moment.
Pure: the plan (stages.py) reads it."""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

STEP_SECONDS = 0.5  # what a quick command takes, start to exit
PERL_SECONDS = 2.0
_QUICK = {"echo", "printf", "date", "env", "printenv", "hostname", "uname", "whoami", "id", "pwd", "ls", "cat"}
_SHELLS = {"sh", "bash", "ash", "dash", "/bin/sh", "/bin/bash", "/bin/ash", "/bin/dash"}


@dataclass(frozen=True)
class Ending:
    seconds: float  # how long one run of the container lasts (simulated)
    exit_code: int


def _program(word: str) -> str:
    return word.rsplit("/", 1)[-1]


def _step(argv: list[str]) -> tuple[float, int, bool] | None:
    """(seconds, exit code, ends the script) of one simple command; None when not recognised."""
    if not argv:
        return 0.0, 0, False
    name, args = _program(argv[0]), argv[1:]
    if name == "exit":
        code = args[0] if args else "0"
        return (0.0, int(code) % 256, True) if re.fullmatch(r"\d+", code) else None
    if name in ("true", ":"):
        return STEP_SECONDS, 0, False
    if name == "false":
        return STEP_SECONDS, 1, False
    if name == "sleep":
        if len(args) == 1 and re.fullmatch(r"\d+(\.\d+)?s?", args[0]):
            return float(args[0].rstrip("s")), 0, False
        return None
    if name == "perl" and any(a in ("-e", "-le", "-wle", "-lwe") or a.startswith("-M") for a in args):
        return PERL_SECONDS, 0, False
    if name in _QUICK and not (name == "cat" and not args):  # a bare `cat` waits for stdin
        return STEP_SECONDS, 0, False
    return None


def _script(text: str) -> Ending | None:
    if "||" in text or "|" in text or "&" in text.replace("&&", "") or "`" in text or "$(" in text:
        return None
    total, code = 0.0, 0
    for part in re.split(r"&&|;|\n", text):
        try:
            argv = shlex.split(part)
        except ValueError:
            return None
        step = _step(argv)
        if step is None:
            return None
        seconds, code, stop = step
        total += seconds
        if stop or code != 0 and "&&" in text:
            break
    return Ending(max(total, STEP_SECONDS), code)


def ending(container: dict, restart_policy: str) -> Ending | None:
    """How a simulated container of a pod with this restartPolicy ends; None: it keeps running."""
    if restart_policy not in ("Never", "OnFailure"):
        return None
    argv = [str(a) for a in (container.get("command") or []) + (container.get("args") or [])]
    if not argv:
        return None
    if argv[0] in _SHELLS or _program(argv[0]) in {"sh", "bash", "ash", "dash"}:
        flags = argv[1:]
        if len(flags) >= 2 and flags[0] in ("-c", "-ec", "-ce", "-xc", "-cx"):
            return _script(flags[1])
        return None
    step = _step(argv)
    if step is None:
        return None
    return Ending(max(step[0], STEP_SECONDS), step[1])


# a planned container whose command ends ---------------------------------------------------------------------
def instances(run, until: float, timings) -> list[tuple[float, float]]:
    """(start, exit) of each run of a container whose command ends that started by `until`: once, or, under
    OnFailure with a non-zero exit, again after the kubelet's back-off (at once, then 10 s doubling to 300 s)."""
    if run.ending is None or run.started_at is None:
        return []
    out, start, delay = [], run.started_at, 0.0
    while start <= until and len(out) < 1000:
        end = start + run.ending.seconds
        out.append((start, end))
        if not run.restarts_on_failure or run.ending.exit_code == 0:
            break
        start = end + delay
        delay = timings.image_backoff if not delay else min(delay * 2, timings.image_backoff_max)
    return out


def _terminated(run, cid: str, start: float, end: float, stamp) -> dict:
    code = run.ending.exit_code
    return {"terminated": {"containerID": cid, "exitCode": code, "finishedAt": stamp(end),
                           "reason": "Completed" if code == 0 else "Error", "startedAt": stamp(start)}}


def ending_status(status: dict, run, pod_name: str, now: float, stamp, timings) -> None:
    """state, lastState and restartCount of a container whose command ends, at `now`."""
    runs = [r for r in instances(run, now, timings) if r[0] <= now]
    start, end = runs[-1]
    cid = status["containerID"]
    status["restartCount"] = len(runs) - 1
    if len(runs) > 1:
        status["lastState"] = _terminated(run, cid, *runs[-2], stamp)
    if now < end:
        return
    status.update(ready=False, started=False)
    later = instances(run, now + timings.image_backoff_max * 2, timings)
    if len(later) > len(runs):  # OnFailure: waiting to start again
        status["lastState"] = _terminated(run, cid, start, end, stamp)
        wait = later[len(runs)][0] - end
        status["state"] = {"waiting": {"reason": "CrashLoopBackOff", "message": (
            f"back-off {int(wait)}s restarting failed container={run.name} pod={pod_name}")}}
    else:
        status["state"] = _terminated(run, cid, start, end, stamp)


def finished(apps: list, now: float, timings) -> bool:
    """Every app container has ended for good: the pod is Succeeded or Failed."""
    if not apps or any(r.ending is None or r.started_at is None for r in apps):
        return False
    for run in apps:
        runs = instances(run, now, timings)
        if runs[-1][1] > now or (len(instances(run, now + timings.image_backoff_max * 2, timings)) > len(runs)):
            return False
    return True
