"""Reading manifests like kubectl apply, placing them in a learner's namespace, and planning a chapter's start."""
import pytest

from helpers import manifests
from helpers.chapters import plan
from helpers.errors import WorkshopError


def namespaced(obj):
    return obj["kind"] not in ("Namespace", "Node")


def test_yaml_string_with_lists_and_empty_documents():
    objects = manifests.load("---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, "
                             "metadata: {name: a}}\n---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n")
    assert [o["metadata"]["name"] for o in objects] == ["a", "b"]


def test_yaml_errors_and_missing_kind_are_clear():
    with pytest.raises(WorkshopError, match=r"error parsing <string> \(line 3, column 1\)"):
        manifests.load("apiVersion: v1\nkind: ConfigMap\n- bad\n")
    with pytest.raises(WorkshopError, match="document 1: kind not set"):
        manifests.load("apiVersion: v1\nmetadata: {name: a}\n")
    with pytest.raises(WorkshopError, match='the path "nowhere/at-all" does not exist'):
        manifests.load("nowhere/at-all")


def test_a_kustomization_folder_is_rendered_and_paths_resolve_from_the_root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # as from the notebooks folder: manifests/ is found under the workshop root
    objects = manifests.load("manifests/04-cache")
    assert sorted((o["kind"], o["metadata"]["name"], o["metadata"]["namespace"]) for o in objects) == [
        ("Deployment", "containo-orders-cache", "containo"), ("Service", "containo-orders-cache-service", "containo")]


def test_a_plain_folder_is_read_in_file_order(tmp_path):
    (tmp_path / "b.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: second}\n")
    (tmp_path / "a.yml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: first}\n")
    (tmp_path / "notes.txt").write_text("not yaml: [")
    assert [o["metadata"]["name"] for o in manifests.load(tmp_path)] == ["first", "second"]


def test_localize_moves_the_scenario_into_the_learner_namespace():
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "containo"}}
    assert manifests.localize(ns, "containo-alice", namespaced)["metadata"] == {"name": "containo-alice"}
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "containo"}, "spec": {}}
    bare = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    other = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "kube-system"}}
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n", "namespace": "containo"}}
    assert manifests.localize(svc, "containo-alice", namespaced)["metadata"]["namespace"] == "containo-alice"
    assert manifests.localize(bare, "containo-alice", namespaced)["metadata"]["namespace"] == "containo-alice"
    assert manifests.localize(other, "containo-alice", namespaced)["metadata"]["namespace"] == "kube-system"
    assert "namespace" not in manifests.localize(node, "containo-alice", namespaced)["metadata"]
    assert svc["metadata"]["namespace"] == "containo"  # the input is not changed


def test_localize_rewrites_dns_names_that_spell_the_namespace():
    scaled = next(o for o in manifests.chapter_objects(6) if o["kind"] == "ScaledObject")
    placed = manifests.localize(scaled, "containo-bob", namespaced)
    assert placed["spec"]["triggers"][0]["metadata"]["address"] == "containo-orders-queue.containo-bob:6379"
    env = {"spec": {"url": "redis://containo-orders-cache-service:6666/0",
                    "fqdn": "containo-orders-queue.containo.svc.cluster.local"}, "kind": "X", "apiVersion": "v1",
           "metadata": {"name": "x"}}
    spec = manifests.localize(env, "containo-bob", namespaced)["spec"]
    assert spec == {"url": "redis://containo-orders-cache-service:6666/0",
                    "fqdn": "containo-orders-queue.containo-bob.svc.cluster.local"}


def test_chapter_folders_group_by_number():
    chapters = manifests.chapter_folders()
    assert [f.name for f in chapters[5]] == ["05-expose", "05-queue"]
    assert "components" not in {f.name for fs in chapters.values() for f in fs}


def obj(kind, name, version=1):
    return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name}, "v": version}


def test_plan_applies_the_latest_earlier_version_and_deletes_what_later_chapters_add():
    chapters = {1: [obj("Namespace", "containo")], 2: [obj("Deployment", "api", 2)],
                3: [obj("Deployment", "api", 3)], 4: [obj("Deployment", "cache"), obj("Service", "cache")]}
    apply, delete = plan(4, chapters)
    assert [(o["kind"], o["metadata"]["name"], o["v"]) for o in apply] == [
        ("Namespace", "containo", 1), ("Deployment", "api", 3)]
    assert [(o["kind"], o["metadata"]["name"]) for o in delete] == [("Deployment", "cache"), ("Service", "cache")]
    apply, delete = plan(3, chapters)
    assert [o["v"] for o in apply] == [1, 2]  # chapter 3 starts from chapter 2's one-container API
    assert ("Deployment", "api") not in {(o["kind"], o["metadata"]["name"]) for o in delete}
    assert plan(1, chapters)[0] == [] and len(plan(1, chapters)[1]) == 4


def test_workshop_image_replaces_the_app_image_for_a_shared_cluster(monkeypatch):
    from helpers import manifests
    objects = manifests.chapter_objects(3)
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    monkeypatch.setenv("WORKSHOP_IMAGE", "registry.example.com/containo-orders:1.0")
    placed = manifests.localize(deployment, "containo-alice", lambda o: True)
    images = [c["image"] for c in placed["spec"]["template"]["spec"]["containers"]]
    assert images == ["registry.example.com/containo-orders:1.0"] * 2
    monkeypatch.delenv("WORKSHOP_IMAGE")
    unchanged = manifests.localize(deployment, "containo-alice", lambda o: True)
    assert {c["image"] for c in unchanged["spec"]["template"]["spec"]["containers"]} == {"containo-orders:dev"}


def test_the_workshops_folders_are_rendered_once_until_a_file_changes(tmp_path, monkeypatch):
    """ensure_chapter() and the checkpoints read every chapter's folder each time: kubectl kustomize runs again
    only when a file under manifests/ changed; a folder elsewhere (a learner's) is rendered every time."""
    import importlib
    import shutil

    kubectl = importlib.import_module("helpers.kubectl")  # the module (helpers.kubectl is the function)
    copy = tmp_path / "manifests"
    shutil.copytree(manifests.MANIFESTS, copy)
    monkeypatch.setattr(manifests, "MANIFESTS", copy)
    calls = []
    real = kubectl.run
    monkeypatch.setattr(kubectl, "run", lambda cmd, **kw: calls.append(cmd) or real(cmd, **kw))
    first = manifests.load(copy / "04-cache")
    assert manifests.load(copy / "04-cache") == first and len(calls) == 1
    service = copy / "04-cache" / "cache-service.yaml"
    service.write_text(service.read_text().replace("port: 6666", "port: 6667"))
    changed = manifests.load(copy / "04-cache")
    assert len(calls) == 2 and changed != first
    elsewhere = tmp_path / "mine"
    shutil.copytree(copy / "01-namespace", elsewhere / "01-namespace")
    shutil.copytree(copy / "components", elsewhere / "components")
    manifests.load(elsewhere / "01-namespace")
    manifests.load(elsewhere / "01-namespace")
    assert len(calls) == 4
