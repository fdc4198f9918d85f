"""Store: resourceVersions, ordering, watch replay and expiry, subscribers."""
import asyncio
import json

import pytest

from sandbox.storage.store import ADDED, DELETED, MODIFIED, Expired, Store


def cm(name, ns="default", **labels):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns, "labels": labels}}


def test_every_write_takes_the_next_resource_version():
    store = Store()
    store.put("configmaps", "default", "a", cm("a"))
    store.put("configmaps", "default", "b", cm("b"))
    assert store.rv == 2
    assert json.loads(store.get("configmaps", "default", "b"))["metadata"]["resourceVersion"] == "2"
    deleted = json.loads(store.remove("configmaps", "default", "a"))
    assert deleted["metadata"]["resourceVersion"] == "3" and store.rv == 3
    assert store.get("configmaps", "default", "a") is None
    assert store.remove("configmaps", "default", "a") is None and store.rv == 3


def test_reads_never_share_state_with_callers():
    store = Store()
    obj = cm("a")
    store.put("configmaps", "default", "a", obj)
    obj["metadata"]["name"] = "changed"
    assert json.loads(store.get("configmaps", "default", "a"))["metadata"]["name"] == "a"


def test_entries_come_in_key_order_and_resume_after_a_key():
    store = Store()
    for ns, name in [("b", "x"), ("a", "z"), ("a", "y"), ("c", "w")]:
        store.put("configmaps", ns, name, cm(name, ns))
    keys = [(ns, name) for ns, name, _ in store.entries("configmaps")]
    assert keys == [("a", "y"), ("a", "z"), ("b", "x"), ("c", "w")]
    assert [(ns, n) for ns, n, _ in store.entries("configmaps", start_after=("a", "z"))] == [("b", "x"), ("c", "w")]
    assert [n for _, n, _ in store.entries("configmaps", "a")] == ["y", "z"]
    assert store.count("configmaps") == 4 and store.count("configmaps", "a") == 2


def test_entries_keep_labels_for_cheap_filtering():
    store = Store()
    store.put("configmaps", "default", "a", cm("a", app="web"))
    [(_, _, entry)] = store.entries("configmaps")
    assert entry.labels == {"app": "web"}


def test_a_watch_resumes_from_the_history():
    async def scenario():
        store = Store()
        store.put("configmaps", "default", "a", cm("a"))
        store.put("configmaps", "default", "a", cm("a", v="2"))
        store.put("configmaps", "other", "b", cm("b", "other"))
        store.remove("configmaps", "default", "a")
        watcher = store.watch("configmaps", "default", since=1)
        events = [await watcher.next(1) for _ in range(2)]
        assert [(e.type, e.rv) for e in events] == [(MODIFIED, 2), (DELETED, 4)]
        assert json.loads(events[1].prev_raw)["metadata"]["labels"] == {"v": "2"}
        store.put("configmaps", "default", "c", cm("c"))
        event = await watcher.next(1)
        assert (event.type, event.name) == (ADDED, "c")
        assert await watcher.next(0.01) is None
        watcher.close()
        assert await watcher.next(1) is None
    asyncio.run(scenario())


def test_resuming_older_than_the_history_is_expired():
    store = Store(history_size=3)
    for i in range(5):
        store.put("configmaps", "default", f"c{i}", cm(f"c{i}"))
    with pytest.raises(Expired) as raised:
        store.watch("configmaps", since=1)
    assert str(raised.value) == "too old resource version: 1 (2)"
    store.watch("configmaps", since=2).close()  # every event after rv 2 is still held


def test_a_watcher_that_falls_behind_is_closed():
    async def scenario():
        store = Store(max_pending=2)
        watcher = store.watch("configmaps")
        for i in range(3):
            store.put("configmaps", "default", f"c{i}", cm(f"c{i}"))
        assert watcher.closed
        got = [await watcher.next(1) for _ in range(3)]
        assert [e.name for e in got[:2]] == ["c0", "c1"] and got[2] is None
    asyncio.run(scenario())


def test_subscribers_see_every_write_and_can_unsubscribe():
    store = Store()
    seen = []
    unsubscribe = store.subscribe(lambda e: seen.append((e.type, e.name)))
    store.put("configmaps", "default", "a", cm("a"))
    store.remove("configmaps", "default", "a")
    unsubscribe()
    store.put("configmaps", "default", "b", cm("b"))
    assert seen == [(ADDED, "a"), (DELETED, "a")]


def test_a_failing_subscriber_does_not_fail_the_write():
    store = Store()
    store.subscribe(lambda e: 1 / 0)
    store.put("configmaps", "default", "a", cm("a"))
    assert store.get("configmaps", "default", "a") is not None
