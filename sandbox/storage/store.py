"""The store: every object as compact JSON text, keyed by (storage_key, namespace, name), with one
resourceVersion counter, watch fan-out and a bounded event history to resume watches from (what etcd plus the
apiserver's watch cache provide). Objects are kept as text, not dicts: reads cost one json round trip and never
share state with callers, and 10,000 pods stay small. The store knows nothing of REST semantics."""
from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from dataclasses import dataclass
from typing import Callable, Iterator

from sandbox.storage.journal import Journal

log = logging.getLogger(__name__)

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"


def dumps(obj: dict) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


@dataclass(slots=True)
class Entry:
    raw: str
    labels: dict  # parsed metadata.labels, kept to filter lists without parsing every object


@dataclass(slots=True)
class Event:
    type: str  # ADDED | MODIFIED | DELETED
    rv: int
    storage_key: str
    namespace: str  # "" for cluster-scoped objects
    name: str
    raw: str  # the object after the write (for DELETED: its last state, carrying the deletion's rv)
    prev_raw: str | None  # the object before the write: selectors need it to turn MODIFIED into ADDED/DELETED


class Expired(Exception):
    """A watch asked to resume from a resourceVersion older than the history still held."""

    def __init__(self, requested: int, oldest: int):
        super().__init__(f"too old resource version: {requested} ({oldest})")
        self.requested, self.oldest = requested, oldest


class Watcher:
    """One subscription to a storage key (optionally one namespace). Events queue up until read; a watcher
    that falls `max_pending` events behind is closed, as the apiserver drops slow watchers (clients re-watch)."""

    def __init__(self, store: "Store", storage_key: str, namespace: str | None, max_pending: int):
        self._store, self.storage_key, self.namespace = store, storage_key, namespace
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._max_pending = max_pending
        self.closed = False

    def offer(self, event: Event) -> None:
        if self.closed or (self.namespace is not None and event.namespace != self.namespace):
            return
        if self._queue.qsize() >= self._max_pending:
            log.warning("closing a watch on %s that fell %d events behind", self.storage_key, self._max_pending)
            self.close()
            return
        self._queue.put_nowait(event)

    async def next(self, timeout: float | None = None) -> Event | None:
        """The next event, or None when closed or when `timeout` seconds pass without one."""
        if self.closed and self._queue.empty():
            return None
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except asyncio.TimeoutError:
            return None

    def pending(self) -> bool:
        return not self._queue.empty()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._store._forget(self)
            self._queue.put_nowait(None)


class Store:
    def __init__(self, journal: Journal | None = None, *, history_size: int = 10_000, max_pending: int = 100_000):
        # storage_key -> namespace ("" when cluster-scoped) -> name -> Entry
        self._data: dict[str, dict[str, dict[str, Entry]]] = {}
        self._journal = journal
        self._history: deque[Event] = deque(maxlen=history_size)
        self._watchers: dict[str, set[Watcher]] = {}
        self._subscribers: list[Callable[[Event], None]] = []
        self._max_pending = max_pending
        self.rv = 0
        if journal is not None:
            self._restore(journal)
        self._floor = self.rv  # a watch can resume from any rv >= floor: every later event is in the history

    def _restore(self, journal: Journal) -> None:
        for key, namespace, name, raw in journal.objects():
            labels = json.loads(raw).get("metadata", {}).get("labels") or {}
            self._data.setdefault(key, {}).setdefault(namespace, {})[name] = Entry(raw, labels)
        self.rv = journal.resource_version()

    # reads ---------------------------------------------------------------------------------------------------
    def get(self, storage_key: str, namespace: str, name: str) -> str | None:
        entry = self._data.get(storage_key, {}).get(namespace, {}).get(name)
        return entry.raw if entry else None

    def entries(self, storage_key: str, namespace: str | None = None,
                start_after: tuple[str, str] | None = None) -> Iterator[tuple[str, str, Entry]]:
        """(namespace, name, entry) in key order (namespace, then name), as etcd lists; `start_after` skips up to
        and including that (namespace, name), for continue tokens."""
        spaces = self._data.get(storage_key, {})
        names = [namespace] if namespace is not None else sorted(spaces)
        for ns in names:
            if start_after and ns < start_after[0]:
                continue
            objects = spaces.get(ns, {})
            for name in sorted(objects):
                if start_after and (ns, name) <= start_after:
                    continue
                yield ns, name, objects[name]

    def count(self, storage_key: str, namespace: str | None = None) -> int:
        spaces = self._data.get(storage_key, {})
        if namespace is not None:
            return len(spaces.get(namespace, {}))
        return sum(len(objects) for objects in spaces.values())

    def namespaces_used(self, namespace: str) -> list[str]:
        """Storage keys that hold at least one object in `namespace` (the namespace controller's worklist)."""
        return [key for key, spaces in self._data.items() if spaces.get(namespace)]

    # writes --------------------------------------------------------------------------------------------------
    def put(self, storage_key: str, namespace: str, name: str, obj: dict) -> str:
        """Create or replace; stamps obj's metadata.resourceVersion with the next rv and returns the stored text."""
        rv = self.rv + 1
        obj.setdefault("metadata", {})["resourceVersion"] = str(rv)
        raw = dumps(obj)
        if self._journal is not None:
            self._journal.put(storage_key, namespace, name, raw, rv)
        self.rv = rv
        objects = self._data.setdefault(storage_key, {}).setdefault(namespace, {})
        previous = objects.get(name)
        objects[name] = Entry(raw, obj["metadata"].get("labels") or {})
        self._emit(Event(MODIFIED if previous else ADDED, rv, storage_key, namespace, name, raw,
                         previous.raw if previous else None))
        return raw

    def remove(self, storage_key: str, namespace: str, name: str) -> str | None:
        """Delete; returns the object's last state stamped with the deletion's rv (what watchers see)."""
        objects = self._data.get(storage_key, {}).get(namespace, {})
        previous = objects.get(name)
        if previous is None:
            return None
        rv = self.rv + 1
        if self._journal is not None:
            self._journal.delete(storage_key, namespace, name, rv)
        self.rv = rv
        del objects[name]
        if not objects:
            del self._data[storage_key][namespace]
        obj = json.loads(previous.raw)
        obj["metadata"]["resourceVersion"] = str(rv)
        raw = dumps(obj)
        self._emit(Event(DELETED, rv, storage_key, namespace, name, raw, previous.raw))
        return raw

    def _emit(self, event: Event) -> None:
        if len(self._history) == self._history.maxlen:
            self._floor = self._history[0].rv
        self._history.append(event)
        for watcher in list(self._watchers.get(event.storage_key, ())):
            watcher.offer(event)
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:  # one broken subscriber must not fail the write that was already committed
                log.exception("store subscriber failed on %s %s/%s", event.type, event.storage_key, event.name)

    # watches -------------------------------------------------------------------------------------------------
    def watch(self, storage_key: str, namespace: str | None = None, since: int | None = None) -> Watcher:
        """A watcher fed every later write; with `since`, first replays the held events with rv > since
        (raises Expired when some of them have already left the bounded history)."""
        if since is not None and since < self._floor:
            raise Expired(since, self._floor)
        watcher = Watcher(self, storage_key, namespace, self._max_pending)
        if since is not None:
            for event in self._history:
                if event.rv > since and event.storage_key == storage_key:
                    watcher.offer(event)
        self._watchers.setdefault(storage_key, set()).add(watcher)
        return watcher

    def _forget(self, watcher: Watcher) -> None:
        self._watchers.get(watcher.storage_key, set()).discard(watcher)

    def close_watchers(self) -> None:
        for watchers in list(self._watchers.values()):
            for watcher in list(watchers):
                watcher.close()

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """In-process listeners called synchronously after every committed write; returns an unsubscribe."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def close(self) -> None:
        self.close_watchers()
        if self._journal is not None:
            self._journal.close()
