"""Per-container log files as containerd writes them and the kubelet keeps them, and reading them back with
every PodLogOptions field.

    <root>/<namespace>_<pod>_<uid>/<container>/<restart count>.log       one file per container instance

Writing (ContainerLog.write(stream, data), from the event loop): the process's bytes arrive in any pieces; as
containerd does, each stream is cut into lines, a record is stamped when its newline arrives, a line longer
than 16 KiB goes out as P pieces, and what is left without a newline when the process exits (close()) is a
final P record. A file that reaches `max_size` is renamed `<n>.log.<YYYYMMDD-HHMMSS>` and a new one begun, at
most `max_files` files per instance (the kubelet's containerLogMaxSize / containerLogMaxFiles; the sandbox's
defaults are 1 MiB x 2, a real kubelet's 10 MiB x 5). As on a real node, `kubectl logs` reads the current file
only, and the instance before the current one is kept for `--previous`; older ones and a deleted pod's
directory are removed.

Reading (ContainerLogs.read(container_id, options)) renders with sandbox/runtime/log_format.py; with follow it
keeps yielding as the writer adds records, across a rotation, until the instance's process has exited and the
rest is read, limitBytes is used up, or the caller closes the iterator. Like the kubelet's, a follower that falls
more than one rotation behind misses the files in between (it knows the current path only)."""
from __future__ import annotations

import asyncio
import os
import shutil
import time
from pathlib import Path
from typing import AsyncIterator, Callable

from sandbox.registry.kubelet_connection import LogOptions, NodeError
from sandbox.runtime.log_format import STDERR, STDOUT, LogRecord, LogRenderer, cri_line, parse_cri_line, tail

DEFAULT_MAX_SIZE = 1024 * 1024  # containerLogMaxSize, sandbox-sized (a kubelet's default is 10Mi)
DEFAULT_MAX_FILES = 2  # containerLogMaxFiles: the current file and one rotated (a kubelet's default is 5)
MAX_LINE = 16 * 1024  # containerd's max_container_log_line_size
FOLLOW_CHECK_SECONDS = 1.0  # a follower looks again at least this often (the kubelet's logForceCheckPeriod)
ROTATED_SUFFIX = "%Y%m%d-%H%M%S"


class ContainerLog:
    """One container instance's log: the writer half, and what followers wait on."""

    def __init__(self, path: Path, *, max_size: int = DEFAULT_MAX_SIZE, max_files: int = DEFAULT_MAX_FILES,
                 now_ns: Callable[[], int] = time.time_ns):
        self.path, self.max_size, self.max_files, self.now_ns = Path(path), max_size, max(1, max_files), now_ns
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "ab")
        self._pending = {STDOUT: bytearray(), STDERR: bytearray()}
        self._waiters: list[asyncio.Future] = []
        self.closed = False

    def write(self, stream: str, data: bytes) -> None:
        """Bytes the process wrote to `stream` ("stdout" or "stderr"), in whatever pieces they came."""
        if self.closed or not data:
            return
        pending = self._pending[stream]
        pending += data
        records = []
        while True:
            newline = pending.find(b"\n")
            if newline < 0 or newline >= MAX_LINE:
                if len(pending) < MAX_LINE:
                    break
                records.append(bytes(pending[:MAX_LINE]))  # a long line: a P piece
                del pending[:MAX_LINE]
                continue
            records.append(bytes(pending[:newline + 1]))
            del pending[:newline + 1]
        self._append(stream, records)

    def close(self) -> None:
        """The process exited: what it left without a newline becomes a last P record."""
        if self.closed:
            return
        for stream, pending in self._pending.items():
            if pending:
                self._append(stream, [bytes(pending)])
                pending.clear()
        self.closed = True
        self._file.close()
        self._wake()

    def _append(self, stream: str, texts: list[bytes]) -> None:
        if not texts:
            return
        now = self.now_ns()
        self._file.write(b"".join(cri_line(LogRecord(now, stream, text)) for text in texts))
        self._file.flush()
        if self._file.tell() >= self.max_size:
            self._rotate(now)
        self._wake()

    def _rotate(self, now_ns: int) -> None:
        self._file.close()
        stamp = time.strftime(ROTATED_SUFFIX, time.gmtime(now_ns // 1_000_000_000))
        os.replace(self.path, self.path.with_name(f"{self.path.name}.{stamp}"))
        rotated = sorted(self.path.parent.glob(f"{self.path.name}.*"))
        for old in rotated[:max(0, len(rotated) - (self.max_files - 1))]:
            old.unlink(missing_ok=True)
        self._file = open(self.path, "ab")

    # followers ---------------------------------------------------------------------------------------------------
    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    @property
    def followers(self) -> int:
        """How many readers wait for this log to change right now."""
        return len(self._waiters)

    async def changed(self, timeout: float) -> None:
        """Returns when something is written or the log closes, or after `timeout` seconds."""
        if self.closed:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except asyncio.TimeoutError:
            pass
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)


def read_records(path: Path) -> list[LogRecord]:
    """Every record of one log file, in order (lines that are no CRI record are skipped, as the kubelet does)."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return []
    return [r for r in (parse_cri_line(line) for line in data.splitlines(keepends=True)) if r is not None]


class ContainerLogs:
    """The log files of one node's containers, by container ID (as the kubelet finds a log through the runtime)."""

    def __init__(self, root: str | Path, *, max_size: int = DEFAULT_MAX_SIZE, max_files: int = DEFAULT_MAX_FILES):
        self.root, self.max_size, self.max_files = Path(root), max_size, max_files
        self._logs: dict[str, ContainerLog] = {}

    @staticmethod
    def pod_directory_name(pod: dict) -> str:
        meta = pod["metadata"]
        return f"{meta.get('namespace')}_{meta['name']}_{meta['uid']}"

    def path(self, pod: dict, container: str, restart: int) -> Path:
        return self.root / self.pod_directory_name(pod) / container / f"{restart}.log"

    def open(self, pod: dict, container: str, restart: int, container_id: str) -> ContainerLog:
        """The log of a new instance. Instances older than the one before it go (with their rotated files),
        as the kubelet's garbage collection keeps one dead container per container name."""
        directory = self.path(pod, container, restart).parent
        if directory.exists():
            for old in directory.iterdir():
                number = old.name.split(".")[0]
                if number.isdigit() and int(number) < restart - 1:
                    old.unlink(missing_ok=True)
        for cid, log in list(self._logs.items()):
            if log.path.parent == directory and int(log.path.name.split(".")[0]) < restart - 1:
                log.close()
                del self._logs[cid]
        log = ContainerLog(self.path(pod, container, restart), max_size=self.max_size, max_files=self.max_files)
        self._logs[container_id] = log
        return log

    def get(self, container_id: str) -> ContainerLog | None:
        return self._logs.get(container_id)

    def remove_pod(self, pod: dict) -> None:
        """The pod is gone: close its logs and remove its directory."""
        directory = self.root / self.pod_directory_name(pod)
        for cid, log in list(self._logs.items()):
            if log.path.parent.parent == directory:
                log.close()
                del self._logs[cid]
        shutil.rmtree(directory, ignore_errors=True)

    def read(self, container_id: str, options: LogOptions, *, now_ns: int | None = None) -> AsyncIterator[bytes]:
        """The instance's log as the kubelet serves it; raises NodeError at once for an unknown instance."""
        log = self._logs.get(container_id)
        if log is None or not log.path.exists():
            raise NodeError(f'failed to get container status "{container_id}": rpc error: code = NotFound desc = '
                            f'an error occurred when try to find container "{container_id}": not found', 500)
        return _stream(log, options, time.time_ns() if now_ns is None else now_ns)


async def _stream(log: ContainerLog, options: LogOptions, now_ns: int) -> AsyncIterator[bytes]:
    renderer = LogRenderer(options, now_ns)
    f = open(log.path, "rb")
    try:
        lines, pending = _complete_lines(b"", f.read())  # a line being written waits for its newline
        records = [r for r in map(parse_cri_line, lines) if r is not None]
        chunk = b"".join(renderer.render(r) for r in tail(records, options.tail_lines))
        if chunk:
            yield chunk
        while options.follow and not renderer.done:
            was_closed = log.closed  # looked at before reading: nothing written before the close is missed
            lines, pending = _complete_lines(pending, f.read())
            if lines:
                chunk = b"".join(renderer.render(r) for r in map(parse_cri_line, lines) if r is not None)
                if chunk:
                    yield chunk
                continue
            if _inode(log.path) not in (None, os.fstat(f.fileno()).st_ino):
                f.close()  # rotated, and the old file is read to its end: go on with the new one
                f, pending = open(log.path, "rb"), b""
                continue
            if was_closed:
                return
            await log.changed(FOLLOW_CHECK_SECONDS)
    finally:
        f.close()


def _complete_lines(pending: bytes, data: bytes) -> tuple[list[bytes], bytes]:
    lines = (pending + data).splitlines(keepends=True)
    if lines and not lines[-1].endswith(b"\n"):
        return lines[:-1], lines[-1]
    return lines, b""


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None
