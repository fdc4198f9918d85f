"""core/v1 Events as client-go's EventRecorder writes them: named `<object>.<hex nanoseconds>`, in the object's
namespace ("default" for cluster-scoped objects), and correlated: the same event again (same source, object,
type, reason and message) bumps `count` and `lastTimestamp` of the existing Event instead of adding one, which
is what `kubectl describe` shows as "(x4 over 2m)".

Like the broadcaster, recording never blocks the caller: events queue up and a background task writes them;
when more than `max_queued` wait, new ones are dropped (client-go's channel of 1000 does the same)."""
from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque

from sandbox.clock import Clock
from sandbox.machinery import resources
from sandbox.machinery.errors import StatusError

log = logging.getLogger(__name__)

EVENTS = resources.storage_type("events")
MERGE_PATCH = "application/merge-patch+json"


class EventRecorder:
    def __init__(self, registry, clock: Clock, *, max_queued: int = 1000, cache_size: int = 4096,
                 batch: int = 50):
        self.registry, self.clock = registry, clock
        self.max_queued, self.cache_size, self.batch = max_queued, cache_size, batch
        self._pending: deque = deque()
        self._seen: OrderedDict = OrderedDict()  # correlation key -> [namespace, name, count]
        self._wakeup = asyncio.Event()
        self._last_nanos = 0
        self.dropped = 0

    def event(self, obj: dict, event_type: str, reason: str, message: str, *, component: str, host: str = "",
              field_path: str = "", manager: str = "") -> None:
        if len(self._pending) >= self.max_queued:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("event queue full: dropped %d events so far", self.dropped)
            return
        meta = obj["metadata"]
        involved = {"kind": obj.get("kind"), "namespace": meta.get("namespace"), "name": meta.get("name"),
                    "uid": meta.get("uid"), "apiVersion": obj.get("apiVersion"),
                    "resourceVersion": meta.get("resourceVersion")}
        if field_path:
            involved["fieldPath"] = field_path
        involved = {k: v for k, v in involved.items() if v}
        self._pending.append((involved, event_type, reason, message, component, host, manager or component,
                              self.clock.timestamp()))
        self._wakeup.set()

    # writing ---------------------------------------------------------------------------------------------------
    def flush(self, limit: int | None = None) -> int:
        """Write queued events now (at most `limit`); returns how many were written."""
        written = 0
        while self._pending and (limit is None or written < limit):
            self._write(*self._pending.popleft())
            written += 1
        return written

    async def run(self) -> None:
        while True:
            if not self._pending:
                self._wakeup.clear()
                await self._wakeup.wait()
            self.flush(self.batch)
            await asyncio.sleep(0)

    def _write(self, involved, event_type, reason, message, component, host, manager, stamp) -> None:
        namespace = involved.get("namespace") or "default"
        key = (component, host, involved.get("kind"), namespace, involved.get("name"), involved.get("uid"),
               involved.get("fieldPath"), event_type, reason, message)
        seen = self._seen.get(key)
        try:
            if seen is not None and self._bump(seen, stamp, manager):
                self._seen.move_to_end(key)
                return
            name = self._create(namespace, involved, event_type, reason, message, component, host, manager, stamp)
        except StatusError as e:  # e.g. the namespace is gone or terminating: the event has nowhere to go
            log.debug("event %s for %s/%s not recorded: %s", reason, namespace, involved.get("name"), e.message)
            return
        self._seen[key] = [namespace, name, 1]
        if len(self._seen) > self.cache_size:
            self._seen.popitem(last=False)

    def _bump(self, seen: list, stamp: str, manager: str) -> bool:
        namespace, name, count = seen
        try:
            self.registry.patch(EVENTS, namespace, name, MERGE_PATCH, {"count": count + 1, "lastTimestamp": stamp},
                                field_manager=manager)
        except StatusError as e:
            if e.code == 404:
                return False
            raise
        seen[2] = count + 1
        return True

    def _create(self, namespace, involved, event_type, reason, message, component, host, manager, stamp) -> str:
        nanos = max(time.time_ns(), self._last_nanos + 1)
        self._last_nanos = nanos
        body = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{involved.get('name')}.{nanos:x}", "namespace": namespace},
            "involvedObject": involved, "reason": reason, "message": message,
            "source": {"component": component, **({"host": host} if host else {})},
            "firstTimestamp": stamp, "lastTimestamp": stamp, "count": 1, "type": event_type,
            "reportingComponent": component, "reportingInstance": host,
        }
        created = self.registry.create(EVENTS, namespace, body, field_manager=manager)
        return created["metadata"]["name"]
