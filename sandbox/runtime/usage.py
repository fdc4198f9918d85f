"""What a container's processes really use, measured as metrics-server reports it: CPU as a rate over its
resolution window (cores used, in millicores) and memory as the working set (bytes).

A container is a process group here, not a cgroup, so its usage is the sum over its main process and every
descendant still running, plus the CPU of descendants that already exited (an exec probe's shell, the probe's
Python): a cgroup would have charged those to the container too. The working set is resident memory that is
not shared with other processes (psutil's rss - shared), close to what a cgroup charges a container for.

    sampler = UsageSampler(window_seconds=15 / time_scale)
    sampler.usage(key, pid) -> Usage(millicores, working_set_bytes) | None   # None until two samples exist
    sampler.forget(key)"""
from __future__ import annotations

import time
from dataclasses import dataclass

import psutil


@dataclass(frozen=True)
class Usage:
    millicores: float
    working_set_bytes: int


@dataclass
class _Sample:
    at: float
    cpu_seconds: float


def _measure(pid: int) -> tuple[float, int] | None:
    """(CPU seconds so far, working set bytes) of a process and its descendants; None once it is gone."""
    try:
        root = psutil.Process(pid)
        processes = [root] + root.children(recursive=True)
    except psutil.Error:
        return None
    cpu, memory = 0.0, 0
    for process in processes:
        try:
            with process.oneshot():
                times = process.cpu_times()
                info = process.memory_info()
        except psutil.Error:
            continue  # it exited between the listing and the read
        cpu += times.user + times.system + times.children_user + times.children_system
        memory += max(0, info.rss - getattr(info, "shared", 0))
    return cpu, memory


class UsageSampler:
    """Per container (any hashable key): the CPU rate between the last two samples at least a window apart."""

    def __init__(self, window_seconds: float = 15.0):
        self.window = window_seconds
        self._samples: dict[object, list[_Sample]] = {}
        self._last: dict[object, Usage] = {}

    def usage(self, key, pid: int) -> Usage | None:
        now = time.monotonic()
        samples = self._samples.setdefault(key, [])
        if samples and now - samples[-1].at < self.window / 2:
            return self._last.get(key)  # asked again within the window: the same answer, as metrics-server gives
        measured = _measure(pid)
        if measured is None:
            return self._last.get(key)
        cpu, memory = measured
        samples.append(_Sample(now, cpu))
        del samples[:-2]
        if len(samples) < 2:
            return None  # metrics-server reports a container once it has two scrapes to compute a rate from
        first, last = samples
        elapsed = max(last.at - first.at, 1e-6)
        self._last[key] = Usage(max(0.0, (last.cpu_seconds - first.cpu_seconds) / elapsed * 1000.0), memory)
        return self._last[key]

    def forget(self, key) -> None:
        self._samples.pop(key, None)
        self._last.pop(key, None)
