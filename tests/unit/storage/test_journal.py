"""Journal: what was written before a restart comes back, resourceVersion counter included."""
import json

from sandbox.storage.journal import Journal
from sandbox.storage.store import Store


def test_a_restarted_store_has_every_object_and_the_counter(tmp_path):
    path = str(tmp_path / "state.db")
    store = Store(Journal(path))
    store.put("configmaps", "default", "a", {"metadata": {"name": "a", "labels": {"x": "y"}}})
    store.put("namespaces", "", "default", {"metadata": {"name": "default"}})
    store.put("configmaps", "default", "b", {"metadata": {"name": "b"}})
    store.remove("configmaps", "default", "b")
    store.close()

    again = Store(Journal(path))
    assert again.rv == 4
    assert json.loads(again.get("configmaps", "default", "a"))["metadata"]["resourceVersion"] == "1"
    assert again.get("configmaps", "default", "b") is None
    assert again.get("namespaces", "", "default") is not None
    [(_, _, entry)] = again.entries("configmaps")
    assert entry.labels == {"x": "y"}
    again.put("configmaps", "default", "c", {"metadata": {"name": "c"}})
    assert again.rv == 5
    again.close()


def test_a_restarted_store_cannot_resume_watches_from_before_the_restart(tmp_path):
    path = str(tmp_path / "state.db")
    store = Store(Journal(path))
    store.put("configmaps", "default", "a", {"metadata": {"name": "a"}})
    store.close()
    again = Store(Journal(path))
    try:
        again.watch("configmaps", since=0)
    except Exception as e:
        assert "too old resource version: 0 (1)" in str(e)
    else:
        raise AssertionError("expected Expired")
    again.watch("configmaps", since=1).close()
    again.close()
