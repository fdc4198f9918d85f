"""The order queue: a Redis list consumed reliably (the "reliable queue" pattern from the Redis LMOVE docs).

The API LPUSHes onto the list; a worker BLMOVEs the oldest order (from the right) into its own processing list and
removes it from there only once the confirmation is stored. An order is therefore always in the queue, in some
worker's processing list, or done: a killed worker loses nothing. Its processing list is recovered when it restarts,
or by another worker once its heartbeat key has expired (a pod that never comes back, e.g. after a scale-down).
KEDA's redis list trigger scales on LLEN of the queue list itself.
"""
from __future__ import annotations

from redis.asyncio import Redis


class WorkQueue:
    def __init__(self, redis: Redis, name: str, worker_id: str = ""):
        self.redis = redis
        self.name = name
        self.worker_id = worker_id
        self.processing = self.processing_key(worker_id)
        self.dead_letters = f"{name}:dead-letter"

    def processing_key(self, worker_id: str) -> str:
        return f"{self.name}:processing:{worker_id}"

    def heartbeat_key(self, worker_id: str) -> str:
        return f"{self.name}:workers:{worker_id}"

    async def push(self, message: str) -> int:
        return await self.redis.lpush(self.name, message)

    async def depth(self) -> int:
        return await self.redis.llen(self.name)

    async def claimed(self) -> str | None:
        """The oldest order this worker took but did not finish (left over from a crash or a Redis error)."""
        return await self.redis.lindex(self.processing, -1)

    async def claim(self, timeout: float) -> str | None:
        """Move the oldest queued order into this worker's processing list; None after timeout seconds."""
        return await self.redis.blmove(self.name, self.processing, timeout, "RIGHT", "LEFT")

    async def ack(self, message: str) -> None:
        await self.redis.lrem(self.processing, -1, message)

    async def give_back(self, message: str) -> None:
        """Return an unfinished order to the consuming end of the queue, so the next worker takes it first."""
        async with self.redis.pipeline(transaction=True) as pipe:
            await pipe.lrem(self.processing, -1, message).rpush(self.name, message).execute()

    async def dead_letter(self, message: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            await pipe.lrem(self.processing, -1, message).lpush(self.dead_letters, message).execute()

    async def heartbeat(self, ttl: float) -> None:
        await self.redis.set(self.heartbeat_key(self.worker_id), "alive", px=int(ttl * 1000))

    async def retire(self) -> None:
        await self.redis.delete(self.heartbeat_key(self.worker_id))

    async def reclaim_orphans(self) -> dict[str, int]:
        """Move orders of workers without a heartbeat back to the queue; {worker_id: orders moved}."""
        moved: dict[str, int] = {}
        prefix = self.processing_key("")
        async for key in self.redis.scan_iter(match=f"{prefix}*", count=100):
            owner = key[len(prefix):]
            if owner == self.worker_id or await self.redis.exists(self.heartbeat_key(owner)):
                continue
            # LEFT -> RIGHT, one atomic LMOVE at a time: the oldest order ends up next in line.
            while await self.redis.lmove(key, self.name, "LEFT", "RIGHT") is not None:
                moved[owner] = moved.get(owner, 0) + 1
        return moved
