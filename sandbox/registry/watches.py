"""A Registry watch: the store's raw events for one resource type, filtered by label and field selectors the
way the apiserver's watch cache filters them (an object that stops matching is seen as DELETED, one that starts
matching as ADDED), converted to the requested version, with bookmarks."""
from __future__ import annotations

import json
from collections import deque
from typing import Callable

from sandbox.storage.store import ADDED, DELETED, MODIFIED, Watcher, dumps

BOOKMARK = "BOOKMARK"
INITIAL_EVENTS_END = "k8s.io/initial-events-end"


class Watch:
    """Async iterator of {"type", "object"} dicts; `next_raw()` gives (type, JSON text) without parsing when no
    selector or conversion needs the object (the HTTP layer streams those as they are)."""

    def __init__(self, watcher: Watcher, *, initial: list[str], current_rv: Callable[[], int], kind: str,
                 api_version: str, matches: Callable[[dict], bool] | None = None,
                 convert: Callable[[dict], dict] | None = None, allow_bookmarks: bool = False,
                 initial_end_rv: int | None = None, bookmark_interval: float = 60.0):
        self._watcher = watcher
        self._current_rv, self._kind, self._api_version = current_rv, kind, api_version
        self._pending: deque[tuple[str, str]] = deque((ADDED, raw) for raw in initial)
        if initial_end_rv is not None:
            self._pending.append((BOOKMARK, self._bookmark(initial_end_rv, initial_end=True)))
        self._matches, self._convert = matches, convert
        self.allow_bookmarks = allow_bookmarks
        self.bookmark_interval = bookmark_interval
        self._last_rv = 0

    @property
    def closed(self) -> bool:
        return self._watcher.closed and not self._pending and not self._watcher.pending()

    def close(self) -> None:
        self._watcher.close()

    async def next_raw(self, timeout: float | None = None) -> tuple[str, str] | None:
        """The next (type, object JSON) to send, or None when `timeout` passes or the watch is closed."""
        while True:
            if self._pending:
                kind, raw = self._pending.popleft()
                return kind, (raw if kind == BOOKMARK else self._out(raw))
            event = await self._watcher.next(timeout)
            if event is None:
                return None
            self._last_rv = event.rv
            shown = self._filter(event)
            if shown is not None:
                return shown[0], self._out(shown[1])

    def bookmark(self) -> tuple[str, str]:
        """A BOOKMARK at the newest rv this watch has fully seen (all of the store's when nothing is queued)."""
        rv = self._last_rv if self._watcher.pending() else self._current_rv()
        return BOOKMARK, self._bookmark(rv)

    def _bookmark(self, rv: int, initial_end: bool = False) -> str:
        metadata: dict = {"resourceVersion": str(rv)}
        if initial_end:
            metadata["annotations"] = {INITIAL_EVENTS_END: "true"}
        return dumps({"kind": self._kind, "apiVersion": self._api_version, "metadata": metadata})

    def _filter(self, event) -> tuple[str, str] | None:
        if self._matches is None:
            return event.type, event.raw
        passes_now = event.type != DELETED and self._matches(json.loads(event.raw))
        passed_before = event.prev_raw is not None and self._matches(json.loads(event.prev_raw))
        if passes_now:
            return (MODIFIED if passed_before else ADDED), event.raw
        if not passed_before:
            return None
        if event.type == DELETED:
            return DELETED, event.raw
        # stopped matching: a DELETED carrying the previous state, stamped with this event's resourceVersion
        previous = json.loads(event.prev_raw)
        previous["metadata"]["resourceVersion"] = str(event.rv)
        return DELETED, dumps(previous)

    def _out(self, raw: str) -> str:
        return raw if self._convert is None else dumps(self._convert(json.loads(raw)))

    def __aiter__(self):
        return self

    async def __anext__(self) -> dict:
        timeout = self.bookmark_interval if self.allow_bookmarks else None
        while True:
            item = await self.next_raw(timeout)
            if item is not None:
                return {"type": item[0], "object": json.loads(item[1])}
            if self.closed:
                raise StopAsyncIteration
            if self.allow_bookmarks:
                kind, raw = self.bookmark()
                return {"type": kind, "object": json.loads(raw)}
