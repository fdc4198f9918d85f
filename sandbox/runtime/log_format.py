"""Container logs as the CRI keeps them and as the kubelet hands them out, shared by the process runtime's log
files and the simulated logs.

On disk every record is one line, `<RFC3339Nano time> <stdout|stderr> <F|P> <content>`: F ends a line of the
program's output, P is a piece of a longer line (or the last one the program left without a newline); a P
record's newline belongs to the file, not to the output.

    2026-01-01T10:00:00.123456789Z stdout F {"event": "http.listening"}
    2026-01-01T10:00:01Z stderr P Traceback (most

Reading applies PodLogOptions as the kubelet's ReadLogs does, in this order: `tailLines` picks the last N
records first, then `sinceSeconds`/`sinceTime` drops the older ones among them (so `--tail=5 --since=1m` is at most
5 lines), `stream` leaves out the other stream, `timestamps` prefixes each line (once per line, not per piece), and
`limitBytes` cuts the output where the count runs out, mid-line if it must. Pure: no I/O."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable

from sandbox.machinery.timestamps import epoch_ns
from sandbox.registry.kubelet_connection import LogOptions

STDOUT, STDERR = "stdout", "stderr"
FULL, PARTIAL = b"F", b"P"


@dataclass(frozen=True)
class LogRecord:
    """One CRI record: `text` ends with a newline unless the record is a partial line."""
    time_ns: int  # nanoseconds since the epoch
    stream: str  # stdout | stderr
    text: bytes

    @property
    def partial(self) -> bool:
        return not self.text.endswith(b"\n")


# timestamps --------------------------------------------------------------------------------------------------------
def _split(time_ns: int) -> tuple[str, int]:
    seconds, nanos = divmod(time_ns, 1_000_000_000)
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"), nanos


def rfc3339_nano(time_ns: int) -> str:
    """Go's RFC3339Nano, as containerd stamps records: trailing zeros of the fraction dropped."""
    whole, nanos = _split(time_ns)
    fraction = f"{nanos:09d}".rstrip("0")
    return f"{whole}{'.' + fraction if fraction else ''}Z"


def rfc3339_nano_fixed(time_ns: int) -> str:
    """The kubelet's `--timestamps` prefix: always nine digits (RFC3339NanoFixed)."""
    whole, nanos = _split(time_ns)
    return f"{whole}.{nanos:09d}Z"


def datetime_ns(moment: datetime) -> int:
    """A timezone-aware datetime (LogOptions.since_time) in nanoseconds since the epoch."""
    return calendar.timegm(moment.utctimetuple()) * 1_000_000_000 + moment.microsecond * 1000


# the file format ---------------------------------------------------------------------------------------------------
def cri_line(record: LogRecord) -> bytes:
    tag = PARTIAL if record.partial else FULL
    line = b" ".join((rfc3339_nano(record.time_ns).encode(), record.stream.encode(), tag, record.text))
    return line if line.endswith(b"\n") else line + b"\n"


def parse_cri_line(line: bytes) -> LogRecord | None:
    """The record a file line holds; None for a line that is no CRI record (the kubelet skips those)."""
    parts = line.split(b" ", 3)
    if len(parts) < 4 or parts[1] not in (b"stdout", b"stderr"):
        return None
    try:
        time_ns = epoch_ns(parts[0].decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return None
    text = parts[3]
    if parts[2].split(b":")[0] == PARTIAL and text.endswith(b"\n"):
        text = text[:-1]  # the file's newline, not the program's
    return LogRecord(time_ns, parts[1].decode(), text)


# reading with PodLogOptions ----------------------------------------------------------------------------------------
def since_ns(options: LogOptions, now_ns: int) -> int | None:
    """The later of now - sinceSeconds and sinceTime (NewLogOptions); None for neither."""
    since = None
    if options.since_seconds is not None:
        since = now_ns - options.since_seconds * 1_000_000_000
    if options.since_time is not None:
        since = max(since or 0, datetime_ns(options.since_time))
    return since


class LogRenderer:
    """Turns records into the bytes of the response, one record at a time, so that a follow can keep going:
    `render(record)` gives what to send (maybe b""), `done` turns True once limitBytes is used up."""

    def __init__(self, options: LogOptions, now_ns: int):
        self.options = options
        self.since = since_ns(options, now_ns)
        self.streams = {"All": (STDOUT, STDERR), "Stdout": (STDOUT,), "Stderr": (STDERR,)}[options.stream]
        self.remaining = options.limit_bytes if options.limit_bytes is not None else None
        self.new_line = True  # the next record starts a line of output: it gets the timestamp prefix
        self.done = False

    def render(self, record: LogRecord) -> bytes:
        if self.done:
            return b""
        starts_line, self.new_line = self.new_line, not record.partial
        if self.since is not None and record.time_ns < self.since:
            return b""
        if record.stream not in self.streams:  # not asked for: neither sent nor counted
            return b""
        out = record.text
        if self.options.timestamps and starts_line:
            out = rfc3339_nano_fixed(record.time_ns).encode() + b" " + out
        if self.remaining is not None:
            out = out[:self.remaining]
            self.remaining -= len(out)
            self.done = self.remaining <= 0
        return out


def tail(records: list[LogRecord], lines: int | None) -> list[LogRecord]:
    """The last `lines` records (None: all). Records, not lines of output: each piece of a long line counts."""
    if lines is None:
        return records
    return records[len(records) - lines:] if lines > 0 else []


def render(records: Iterable[LogRecord], options: LogOptions, now_ns: int) -> bytes:
    """Everything a request without follow gets from these records."""
    renderer = LogRenderer(options, now_ns)
    out = []
    for record in tail(list(records), options.tail_lines):
        out.append(renderer.render(record))
        if renderer.done:
            break
    return b"".join(out)
