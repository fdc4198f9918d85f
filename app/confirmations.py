"""Processed orders in the cache Redis: the worker writes them, the API reads them."""
from __future__ import annotations

import json

from redis.asyncio import Redis

from .orders import confirmation_key


class Confirmations:
    def __init__(self, redis: Redis, ttl: int = 0):
        self.redis = redis
        self.ttl = ttl  # seconds; 0 keeps confirmations until Redis evicts them

    async def put(self, confirmation: dict) -> None:
        text = json.dumps(confirmation, separators=(",", ":"), sort_keys=True)
        await self.redis.set(confirmation_key(confirmation["confirmationId"]), text, ex=self.ttl or None)

    async def get(self, confirmation_id: str) -> dict | None:
        text = await self.redis.get(confirmation_key(confirmation_id))
        return None if text is None else json.loads(text)
