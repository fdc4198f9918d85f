"""The queue processor: takes orders off the Redis queue, "processes" them, stores confirmations in the cache.

Reliable by construction (see app/work_queue.py): an order leaves this worker's processing list only after its
confirmation is stored, so a crash loses nothing and a restart picks up where it stopped. SIGTERM (a pod being
deleted or scaled down) stops taking new orders; an order in progress is finished if at most WORKER_DRAIN_SECONDS of
its delay remain (well inside a pod's 30 s grace period), else handed back to the queue. Finishing it matters under
an autoscaler: KEDA scales an idle queue's worker to zero while it processes the last order (the list is empty), and
an order handed back would wake it again, and again.

Run it with `python -m app.worker`; WORKER_DELAY_SECONDS sets how long each order takes.
"""
from __future__ import annotations

import asyncio
import signal
import sys
import time

from . import config, logs, orders
from .confirmations import Confirmations
from .redis_client import RedisError, connect, unavailable
from .work_queue import WorkQueue

MAX_BACKOFF = 5.0  # seconds between attempts while a Redis is down


class CacheUnavailable(RedisError):
    """The cache Redis failed (anything else the worker does talks to the queue Redis)."""


async def wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep up to seconds; True if stop was set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        return False
    return True


class Worker:
    def __init__(self, cfg: config.WorkerConfig, queue: WorkQueue, cache: Confirmations, log: logs.EventLog):
        self.cfg, self.queue, self.cache, self.log = cfg, queue, cache, log
        self.current: str | None = None  # the message being worked on, to tell a retry from a recovery

    async def run(self, stop: asyncio.Event) -> None:
        self.log.info("worker.started", workerId=self.cfg.worker_id, queue=self.cfg.queue_name,
                      delaySeconds=self.cfg.delay)
        beats = asyncio.create_task(self.keep_alive(stop))
        backoff = 0.0
        while not stop.is_set():
            try:
                await self.step(stop)
                backoff = 0.0
            except RedisError as error:
                backoff = min(MAX_BACKOFF, backoff * 2 or 0.1)
                role, url = (("cache", self.cfg.cache_redis_url) if isinstance(error, CacheUnavailable)
                             else ("queue", self.cfg.queue_redis_url))
                self.log.warning("redis.unavailable", role=role, error=unavailable(role, url, error),
                                 retryInSeconds=backoff)
                await wait(stop, backoff)
            except Exception:  # a bug: keep the log structured and the order where it is, retry slowly
                backoff = MAX_BACKOFF
                self.log.exception("worker.error", retryInSeconds=backoff)
                await wait(stop, backoff)
        beats.cancel()
        await asyncio.gather(beats, return_exceptions=True)
        await self.retire()
        self.log.info("worker.stopped", workerId=self.cfg.worker_id)

    async def step(self, stop: asyncio.Event) -> None:
        """Finish what this worker already claimed (after a crash or a Redis error) before taking more."""
        message = await self.queue.claimed()
        if message is not None and message != self.current:
            self.log.info("order.recovered", workerId=self.cfg.worker_id)
        if message is None:
            message = await self.queue.claim(self.cfg.poll)
            if message is None:
                return
        self.current = message
        await self.handle(message, stop)
        self.current = None

    async def handle(self, message: str, stop: asyncio.Event) -> None:
        try:
            order = orders.from_message(message)
        except orders.OrderError as error:
            await self.queue.dead_letter(message)
            self.log.error("order.dead_lettered", reason=str(error), deadLetters=self.queue.dead_letters)
            return
        started = time.monotonic()
        self.log.info("order.processing", confirmationId=order.confirmationId)
        if await wait(stop, self.cfg.delay):
            remaining = self.cfg.delay - (time.monotonic() - started)
            if remaining > self.cfg.drain:
                await self.queue.give_back(message)
                self.log.info("order.requeued", confirmationId=order.confirmationId, reason="worker stopping")
                return
            self.log.info("order.finishing", confirmationId=order.confirmationId, reason="worker stopping",
                          remainingSeconds=round(max(remaining, 0.0), 3))
            await asyncio.sleep(max(remaining, 0.0))
        confirmation = orders.processed(order, worker_id=self.cfg.worker_id, processed_at=_now())
        try:
            await self.cache.put(confirmation)
        except RedisError as error:  # the order stays in the processing list and is retried
            raise CacheUnavailable(str(error)) from error
        await self.queue.ack(message)
        self.log.info("order.processed", confirmationId=order.confirmationId, customerName=order.customerName,
                      amount=order.amount, durationMs=round((time.monotonic() - started) * 1000, 1))

    async def keep_alive(self, stop: asyncio.Event) -> None:
        """Refresh this worker's heartbeat and take over processing lists whose workers are gone for good.

        A heartbeat that fails (the queue Redis down, or not up yet when the worker starts) is tried again as the
        main loop tries Redis, soon and then less often, not a whole period later: the liveness probe reads that
        key, and a worker that is working must not look dead for a period after its Redis comes back."""
        interval, retry = self.cfg.heartbeat, 0.0
        while True:
            try:
                await self.queue.heartbeat(ttl=3 * interval)
                pause, retry = interval, 0.0
                for owner, count in (await self.queue.reclaim_orphans()).items():
                    self.log.warning("orders.reclaimed", fromWorker=owner, orders=count)
            except RedisError as error:
                retry = min(MAX_BACKOFF, interval, retry * 2 or 0.1)
                pause = retry
                self.log.debug("heartbeat.failed", error=str(error), retryInSeconds=retry)
            if await wait(stop, pause):
                return

    async def retire(self) -> None:
        try:
            await self.queue.retire()
        except RedisError:
            pass  # its heartbeat expires by itself


def _now() -> str:
    return logs.timestamp(time.time())


async def run(cfg: config.WorkerConfig, log: logs.EventLog) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    # The blocking BLMOVE waits up to `poll` seconds: the read timeout has to outlast it.
    queue_redis = connect(cfg.queue_redis_url, timeout=cfg.redis_timeout, read_timeout=cfg.redis_timeout + cfg.poll,
                          name=f"worker-{cfg.worker_id}", password=cfg.redis_password)
    cache_redis = connect(cfg.cache_redis_url, timeout=cfg.redis_timeout, name=f"worker-{cfg.worker_id}",
                          password=cfg.redis_password)
    try:
        worker = Worker(cfg, WorkQueue(queue_redis, cfg.queue_name, cfg.worker_id),
                        Confirmations(cache_redis, cfg.confirmation_ttl), log)
        await worker.run(stop)
    finally:
        await queue_redis.aclose()
        await cache_redis.aclose()


def main() -> int:
    try:
        cfg = config.worker()
    except config.ConfigError as error:
        logs.setup("worker").error("config.invalid", error=str(error))
        return 2
    log = logs.setup("worker", cfg.log_level)
    log.info("worker.starting", queueRedis=config.redact(cfg.queue_redis_url),
             cacheRedis=config.redact(cfg.cache_redis_url), **config.password_field(cfg))
    asyncio.run(run(cfg, log))
    return 0


if __name__ == "__main__":
    sys.exit(main())
