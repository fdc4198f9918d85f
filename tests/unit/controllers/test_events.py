"""EventRecorder: core/v1 Events named and correlated like client-go's."""
import asyncio

from sandbox.clock import Clock
from sandbox.controllers.events import EventRecorder
from sandbox.machinery import resources
from sandbox.registry.bootstrap import bootstrap
from sandbox.registry.rest import Registry
from sandbox.storage.store import Store

EVENTS = resources.storage_type("events")
POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1", "namespace": "default", "uid": "u1",
                                                       "resourceVersion": "7"}}
NODE = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "sandbox-worker", "uid": "n1"}}


def recorder(**kw):
    registry = Registry(Store(), Clock())
    bootstrap(registry)
    return registry, EventRecorder(registry, Clock(), **kw)


def test_the_same_event_again_bumps_the_count():
    async def main():
        registry, events = recorder()
        for _ in range(3):
            events.event(POD, "Warning", "FailedScheduling", "0/3 nodes are available", component="default-scheduler")
        events.event(POD, "Normal", "Scheduled", "assigned", component="default-scheduler")
        assert events.flush() == 4
        items = registry.list(EVENTS, "default")["items"]
        assert sorted((e["reason"], e["count"]) for e in items) == [("FailedScheduling", 3), ("Scheduled", 1)]
        failed = next(e for e in items if e["reason"] == "FailedScheduling")
        assert failed["metadata"]["name"].startswith("web-1.")
        assert failed["involvedObject"] == {"kind": "Pod", "namespace": "default", "name": "web-1", "uid": "u1",
                                            "apiVersion": "v1", "resourceVersion": "7"}
        assert failed["source"] == {"component": "default-scheduler"} and failed["type"] == "Warning"
        assert failed["firstTimestamp"] and failed["lastTimestamp"]
    asyncio.run(main())


def test_cluster_scoped_objects_get_their_events_in_default_and_a_full_queue_drops():
    async def main():
        registry, events = recorder(max_queued=2)
        for i in range(3):
            events.event(NODE, "Normal", "Starting", f"m{i}", component="kubelet", host="sandbox-worker")
        assert events.dropped == 1
        events.flush()
        items = registry.list(EVENTS, "default")["items"]
        assert len(items) == 2 and items[0]["source"] == {"component": "kubelet", "host": "sandbox-worker"}
    asyncio.run(main())


def test_events_for_a_namespace_that_is_gone_are_dropped_quietly():
    async def main():
        registry, events = recorder()
        events.event({**POD, "metadata": {**POD["metadata"], "namespace": "nowhere"}}, "Normal", "X", "y",
                     component="kubelet")
        assert events.flush() == 1
        assert registry.list(EVENTS)["items"] == []
    asyncio.run(main())
