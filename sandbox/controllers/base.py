"""The controller pattern as client-go shapes it: informers keep a cache of one resource type (list, then every
write), event handlers turn changes into keys on a work queue, and a controller's `reconcile(key)` reads the
world fresh from the caches and writes through the Registry.

Informers are fed by `Registry.subscribe`, which calls back synchronously after each committed write, so a
cache is never behind the store: a controller that writes sees its own write in the cache right away (the
expectations client-go needs to cover informer lag are not needed here)."""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass
from typing import Callable, Iterable

from sandbox.clock import Clock
from sandbox.machinery import resources
from sandbox.machinery.errors import StatusError
from sandbox.machinery.resources import ResourceType

log = logging.getLogger(__name__)

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"


def key_of(obj: dict) -> str:
    """namespace/name (name alone for cluster-scoped objects), as cache.MetaNamespaceKeyFunc."""
    meta = obj["metadata"]
    return f"{meta['namespace']}/{meta['name']}" if meta.get("namespace") else meta["name"]


def split_key(key: str) -> tuple[str | None, str]:
    namespace, _, name = key.rpartition("/")
    return namespace or None, name


def controller_ref(obj: dict) -> dict | None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def owner_reference(owner: dict, *, controller: bool = True) -> dict:
    meta = owner["metadata"]
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": meta["name"], "uid": meta["uid"],
            "controller": controller, "blockOwnerDeletion": True}


def spec_changed(old: dict | None, new: dict | None) -> bool:
    """False when an update only moved status (and resourceVersion/managedFields): a controller's own status
    write must not wake it again."""
    if old is None or new is None:
        return True
    view = lambda o: (o.get("spec"), {k: v for k, v in o["metadata"].items()
                                      if k not in ("resourceVersion", "managedFields")})
    return view(old) != view(new)


class WorkQueue:
    """client-go's workqueue: a key is queued once however often it is added, a key being processed is not
    handed to a second worker (added again meanwhile, it is re-queued when done), `add_after` delays, and
    `add_rate_limited` backs off per key (5ms doubling to `max_backoff` seconds) until `forget`."""

    def __init__(self, max_backoff: float = 30.0):
        self._queue: deque = deque()
        self._dirty: set = set()
        self._processing: set = set()
        self._timers: dict = {}
        self._failures: dict = {}
        self._wakeup = asyncio.Event()
        self._closed = False
        self.max_backoff = max_backoff

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, key) -> None:
        if self._closed or key in self._dirty:
            return
        self._dirty.add(key)
        if key not in self._processing:
            self._queue.append(key)
            self._wakeup.set()

    def add_after(self, key, seconds: float) -> None:
        """Add once `seconds` (real time) have passed; the earliest of several pending delays wins."""
        if self._closed:
            return
        if seconds <= 0:
            self.add(key)
            return
        loop = asyncio.get_running_loop()
        when = loop.time() + seconds
        pending = self._timers.get(key)
        if pending is not None:
            if pending.when() <= when:
                return
            pending.cancel()
        self._timers[key] = loop.call_at(when, self._fire, key)

    def _fire(self, key) -> None:
        self._timers.pop(key, None)
        self.add(key)

    def add_rate_limited(self, key) -> None:
        failures = self._failures.get(key, 0)
        self._failures[key] = failures + 1
        self.add_after(key, min(0.005 * 2 ** failures, self.max_backoff))

    def forget(self, key) -> None:
        self._failures.pop(key, None)

    async def get(self):
        """The next key (None once shut down); call `done(key)` after processing it."""
        while not self._queue:
            if self._closed:
                return None
            self._wakeup.clear()
            await self._wakeup.wait()
        key = self._queue.popleft()
        self._processing.add(key)
        self._dirty.discard(key)
        return key

    def done(self, key) -> None:
        self._processing.discard(key)
        if key in self._dirty and not self._closed:
            self._queue.append(key)
            self._wakeup.set()

    def shutdown(self) -> None:
        self._closed = True
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._queue.clear()
        self._wakeup.set()


Handler = Callable[[str, "dict | None", "dict | None"], None]  # (event type, old object, new object)


class Informer:
    """The cache of one storage key: objects by key, by namespace, and by any index declared with
    `add_index(name, fn)` where fn(obj) returns the values to index the object under."""

    def __init__(self, rt: ResourceType):
        self.rt = rt
        self._objects: dict[str, dict] = {}
        self._by_namespace: dict[str, dict[str, dict]] = {}
        self._indexers: dict[str, Callable[[dict], Iterable[str]]] = {}
        self._indices: dict[str, dict[str, dict[str, dict]]] = {}
        self._handlers: list[Handler] = []
        self.synced = False

    # declaration (before the factory starts) ----------------------------------------------------------------
    def add_index(self, name: str, indexer: Callable[[dict], Iterable[str]]) -> None:
        if name in self._indexers:
            return
        self._indexers[name] = indexer
        self._indices[name] = {}
        for key, obj in self._objects.items():
            self._index(name, key, obj)

    def add_handler(self, handler: Handler) -> None:
        self._handlers.append(handler)
        if self.synced:  # a late handler still sees every existing object, as client-go replays them
            for obj in list(self._objects.values()):
                self._call(handler, ADDED, None, obj)

    # reads ---------------------------------------------------------------------------------------------------
    def get(self, namespace: str | None, name: str) -> dict | None:
        return self._objects.get(f"{namespace}/{name}" if namespace else name)

    def get_by_key(self, key: str) -> dict | None:
        return self._objects.get(key)

    def list(self, namespace: str | None = None) -> list[dict]:
        if namespace is None:
            return list(self._objects.values())
        return list(self._by_namespace.get(namespace, {}).values())

    def by_index(self, name: str, value: str) -> list[dict]:
        return list(self._indices[name].get(value, {}).values())

    def keys(self) -> list[str]:
        return list(self._objects)

    def __len__(self) -> int:
        return len(self._objects)

    # feeding -------------------------------------------------------------------------------------------------
    def replace(self, items: list[dict]) -> None:
        for obj in items:
            obj.setdefault("apiVersion", self.rt.api_version)
            obj.setdefault("kind", self.rt.kind)
            self.apply(ADDED, obj)
        self.synced = True

    def apply(self, event_type: str, obj: dict) -> None:
        key = key_of(obj)
        old = self._objects.get(key)
        if event_type == DELETED and old is None:
            return
        if old is not None:
            self._unindex(key, old)
        if event_type == DELETED:
            self._objects.pop(key, None)
        else:
            self._objects[key] = obj
            self._by_namespace.setdefault(obj["metadata"].get("namespace", ""), {})[key] = obj
            for name in self._indexers:
                self._index(name, key, obj)
        kind = event_type if event_type == DELETED or old is None else MODIFIED
        for handler in self._handlers:
            self._call(handler, kind, old, None if event_type == DELETED else obj)

    def _call(self, handler: Handler, event_type: str, old, new) -> None:
        try:
            handler(event_type, old, new)
        except Exception:  # a handler bug must never fail the write that fed us
            log.exception("%s handler failed on %s", self.rt.plural, event_type)

    def _index(self, name: str, key: str, obj: dict) -> None:
        for value in self._indexers[name](obj) or ():
            self._indices[name].setdefault(value, {})[key] = obj

    def _unindex(self, key: str, obj: dict) -> None:
        spaces = self._by_namespace.get(obj["metadata"].get("namespace", ""))
        if spaces is not None:
            spaces.pop(key, None)
        for name, indexer in self._indexers.items():
            for value in indexer(obj) or ():
                bucket = self._indices[name].get(value)
                if bucket is not None:
                    bucket.pop(key, None)
                    if not bucket:
                        del self._indices[name][value]


class InformerFactory:
    """Shared informers, one per storage key, fed by a single Registry subscription."""

    def __init__(self, registry):
        self.registry = registry
        self._informers: dict[str, Informer] = {}
        self._unsubscribe = None

    def informer(self, rt: ResourceType) -> Informer:
        informer = self._informers.get(rt.storage_key)
        if informer is None:
            informer = Informer(resources.storage_type(rt.storage_key))
            self._informers[rt.storage_key] = informer
            if self._unsubscribe is not None:
                self._list(informer)
        return informer

    def all(self) -> list[Informer]:
        return list(self._informers.values())

    def start(self) -> None:
        """List every informer's type, then follow every write (no write can slip in between: both are
        synchronous on the one event loop)."""
        if self._unsubscribe is None:
            self._unsubscribe = self.registry.subscribe(self._on_write, storage_keys=self._informers)
            for informer in list(self._informers.values()):
                self._list(informer)

    def _list(self, informer: Informer) -> None:
        informer.replace(self.registry.list(informer.rt)["items"])

    def _on_write(self, event_type: str, storage_key: str, obj: dict) -> None:
        informer = self._informers.get(storage_key)
        if informer is not None and informer.synced:
            informer.apply(event_type, obj)

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None


@dataclass
class Context:
    """What every controller shares: the Registry, the Clock, the informers and the event recorder."""
    registry: object
    clock: Clock
    informers: InformerFactory
    recorder: object
    nodes: list  # the simulated nodes (sandbox.simulation.nodes.NodeSpec)
    root_ca: str = ""  # PEM of the cluster CA, published as kube-root-ca.crt
    runtime: object = None  # sandbox.kubelet.node.ProcessRuntime when containers run as processes
    redis_lists: object = None  # controllers/redis_lists.RedisLists: KEDA's scaler reading lists in Redis processes


def rt_of(group: str, plural: str) -> ResourceType:
    return resources.storage_type(f"{group}/{plural}" if group else plural)


class Controller:
    """One reconcile loop. Subclasses set `name`, register handlers in `setup()` and implement `reconcile`."""

    name = "controller"
    workers = 1

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.registry, self.clock, self.recorder = ctx.registry, ctx.clock, ctx.recorder
        self.queue = WorkQueue()
        self._tasks: list[asyncio.Task] = []

    def informer(self, group: str, plural: str) -> Informer:
        return self.ctx.informers.informer(rt_of(group, plural))

    def setup(self) -> None:
        """Declare informers, indexes and handlers (called before the informers list)."""

    def started(self) -> None:
        """Called once the caches are filled, before the workers run."""

    async def reconcile(self, key) -> None:
        raise NotImplementedError

    def real(self, simulated_seconds: float) -> float:
        return self.clock.real_seconds(simulated_seconds)

    def enqueue_after(self, key, simulated_seconds: float) -> None:
        self.queue.add_after(key, self.real(simulated_seconds))

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._worker(), name=f"{self.name}-{i}") for i in range(self.workers)]

    async def stop(self) -> None:
        self.queue.shutdown()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def _worker(self) -> None:
        while True:
            key = await self.queue.get()
            if key is None:
                return
            try:
                await self.reconcile(key)
                self.queue.forget(key)
            except asyncio.CancelledError:
                raise
            except StatusError as e:
                level = logging.DEBUG if e.code in (404, 409) else logging.WARNING
                log.log(level, "%s: %s: %s %s", self.name, key, e.reason, e.message)
                self.queue.add_rate_limited(key)
            except Exception:
                log.exception("%s: reconciling %s failed", self.name, key)
                self.queue.add_rate_limited(key)
            finally:
                self.queue.done(key)
            await asyncio.sleep(0)  # let the other controllers and the HTTP server have the loop
