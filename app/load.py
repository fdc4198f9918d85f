"""The load generator (`python -m app.load`): requests to the API's Service at a steady rate, run as a pod from the
app's own image on any cluster (the sandbox runs it as a local process, kind in a container).

    LOAD_TARGET_URL=http://containo-orders-frontend:1337 LOAD_RATE=200 python -m app.load

What it sends (orders POSTed by default, or a GET) is app/load_requests.py; what it counts, app/load_stats.py;
every variable is in app/README.md.

Open loop: request i is due at start + i / LOAD_RATE whatever happened to the requests before it, and its latency
is measured from that due time. A closed loop (each connection sends its next request when the last answer
arrives) slows down exactly when the server does and so hides the slowness it is there to show ("coordinated
omission"): at 100 requests/s, a server that stalls for 1 s delays 100 requests by 0.5 s on average, which an open
loop reports and a closed loop records as one slow request. When LOAD_CONCURRENCY requests are already in flight,
the next one waits for a free slot, and that wait counts in its latency too; `behindSchedule` in the progress
lines says how many due requests are waiting.

Connections are kept alive, but every RECONNECT_SECONDS new requests go out on fresh connections: a Service
spreads connections, not requests, over its endpoints, so pods added by the HPA would otherwise get no share.

Logs (one JSON line each, app/logs.py): load.started; load.progress every LOAD_REPORT_SECONDS with that interval's
counts and latencies; load.finished with the whole run's, after LOAD_DURATION_SECONDS or LOAD_REQUESTS, or on
SIGTERM/SIGINT (the requests in flight are awaited first, each bounded by LOAD_TIMEOUT_SECONDS). The exit code is
0 then, and 2 for a bad variable (one config.invalid line).
"""
from __future__ import annotations

import asyncio
import math
import signal
import sys
from dataclasses import dataclass

import aiohttp

from . import config, logs
from .load_requests import Request
from .load_stats import Tally

RECONNECT_SECONDS = 2.0
ON_TIME = 0.01  # seconds: an asyncio timer often wakes a few ms late; a request that late is not "behind"


@dataclass
class _Pool:
    session: aiohttp.ClientSession
    opened: float
    in_flight: int = 0


class Sessions:
    """Client sessions, a new one (new connections) every RECONNECT_SECONDS; an old one closes once its last
    request is done."""

    def __init__(self, timeout: float):
        self.timeout = timeout
        self.current: _Pool | None = None
        self.closing: set[asyncio.Task] = set()

    def _open(self, now: float) -> _Pool:
        # The threaded resolver is socket.getaddrinfo (aiohttp's default unless aiodns is installed, whose own DNS
        # client would bypass the sandbox's cluster DNS); limit=0: LOAD_CONCURRENCY is enforced by the caller.
        connector = aiohttp.TCPConnector(limit=0, resolver=aiohttp.ThreadedResolver())
        session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=self.timeout))
        return _Pool(session, now)

    def take(self, now: float) -> _Pool:
        if self.current is None or now - self.current.opened >= RECONNECT_SECONDS:
            old, self.current = self.current, self._open(now)
            if old is not None and old.in_flight == 0:
                self._close(old)
        self.current.in_flight += 1
        return self.current

    def give_back(self, pool: _Pool) -> None:
        pool.in_flight -= 1
        if pool is not self.current and pool.in_flight == 0:
            self._close(pool)

    def _close(self, pool: _Pool) -> None:
        task = asyncio.ensure_future(pool.session.close())
        self.closing.add(task)
        task.add_done_callback(self.closing.discard)

    async def close(self) -> None:
        if self.current is not None:
            self._close(self.current)
            self.current = None
        await asyncio.gather(*self.closing)


class LoadRun:
    """One run: the schedule, the requests in flight, the counts (the last interval's and the whole run's)."""

    def __init__(self, cfg: config.LoadConfig, log: logs.EventLog):
        self.cfg, self.log = cfg, log
        self.request = Request.for_config(cfg)
        self.sessions = Sessions(cfg.timeout)
        self.slots = asyncio.Semaphore(cfg.concurrency)
        self.interval, self.total = Tally(), Tally()
        self.in_flight: set[asyncio.Task] = set()
        self.loop = asyncio.get_running_loop()
        self.start = self.loop.time()
        self.sent = 0

    def due(self, index: int) -> float:
        """When request `index` (from 0) is due: computed afresh each time, so rounding never accumulates."""
        return self.start + index / self.cfg.rate

    async def run(self, stop: asyncio.Event) -> str:
        """Send on schedule until the duration is over or `stop` is set; returns why it ended."""
        end = self.start + self.cfg.duration if self.cfg.duration else math.inf
        reporter = asyncio.create_task(self.report_progress())
        try:
            while True:
                due = self.due(self.sent)
                if due >= end:
                    return "duration reached"
                if self.cfg.requests and self.sent >= self.cfg.requests:
                    return "requests sent"
                if await _stopped_within(stop, due - self.loop.time()) or not await self._free_slot(stop):
                    return "stopped"
                self.sent += 1
                self.interval.sent += 1
                self.total.sent += 1
                task = asyncio.create_task(self.one(due))
                self.in_flight.add(task)
                task.add_done_callback(self.in_flight.discard)
        finally:
            await asyncio.gather(*self.in_flight)  # each ends within LOAD_TIMEOUT_SECONDS
            reporter.cancel()
            await asyncio.gather(reporter, return_exceptions=True)
            await self.sessions.close()

    async def _free_slot(self, stop: asyncio.Event) -> bool:
        """Wait for fewer than LOAD_CONCURRENCY requests in flight; False if `stop` comes first."""
        if not self.slots.locked():
            await self.slots.acquire()
            return True
        acquire, stopping = asyncio.ensure_future(self.slots.acquire()), asyncio.ensure_future(stop.wait())
        await asyncio.wait({acquire, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if acquire.done() and not acquire.cancelled():
            if not stop.is_set():
                return True
            self.slots.release()
        acquire.cancel()
        return False

    async def one(self, due: float) -> None:
        pool = self.sessions.take(self.loop.time())
        try:
            kind, answered = await self.request.send(pool.session)
        finally:
            self.sessions.give_back(pool)
            self.slots.release()
        seconds = self.loop.time() - due if answered else None
        self.interval.finished(kind, seconds)
        self.total.finished(kind, seconds)

    def behind_schedule(self) -> int:
        """Requests already due but not sent yet (waiting for a free slot, or the generator short of CPU)."""
        due = math.floor((self.loop.time() - ON_TIME - self.start) * self.cfg.rate) + 1  # request 0: at the start
        if self.cfg.duration:
            due = min(due, math.ceil(self.cfg.duration * self.cfg.rate))
        if self.cfg.requests:
            due = min(due, self.cfg.requests)
        return max(0, due - self.sent)

    async def report_progress(self) -> None:
        last = self.start
        while True:
            await asyncio.sleep(self.cfg.report_every)
            now = self.loop.time()
            interval, self.interval = self.interval, Tally()
            self.log.info("load.progress", elapsedSeconds=round(now - self.start, 1),
                          intervalSeconds=round(now - last, 1), **interval.fields(now - last),
                          inFlight=len(self.in_flight), behindSchedule=self.behind_schedule())
            last = now

    def finish(self, reason: str) -> None:
        elapsed = self.loop.time() - self.start
        self.log.info("load.finished", reason=reason, elapsedSeconds=round(elapsed, 1),
                      **self.total.fields(elapsed))


async def _stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep up to `seconds` (not at all when due already); True if `stop` was set meanwhile."""
    if stop.is_set():
        return True
    if seconds <= 0:
        return False
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        return False
    return True


async def run(cfg: config.LoadConfig, log: logs.EventLog) -> None:
    stop = asyncio.Event()
    signals: list[str] = []

    def stop_on(signum: signal.Signals) -> None:
        signals.append(signum.name)
        stop.set()

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop_on, signum)
    load = LoadRun(cfg, log)
    log.info("load.started", method=load.request.method, url=load.request.url, ratePerSecond=cfg.rate,
             durationSeconds=cfg.duration, requests=cfg.requests, concurrency=cfg.concurrency,
             timeoutSeconds=cfg.timeout)
    reason = await load.run(stop)
    load.finish(f"stopped by {signals[0]}" if reason == "stopped" and signals else reason)


def main() -> int:
    try:
        cfg = config.load()
    except config.ConfigError as error:
        logs.setup("load").error("config.invalid", error=str(error))
        return 2
    asyncio.run(run(cfg, logs.setup("load", cfg.log_level)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
