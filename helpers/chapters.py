"""ensure_chapter(n): bring the namespace to the state chapter n starts from, so any notebook runs on its own.

The state chapter n starts from is what chapters 1 .. n-1 build (their manifests, applied), and nothing that
chapter n or later chapters add (those objects are deleted, so the chapter can create them again). What learners
write themselves (the API's containers, a Service's selector and ports) is put back exactly as the manifests have
it, however it was applied, so ensure_chapter(n + 1) repairs a wrong answer to chapter n's exercise. Each
Deployment kept has one ReplicaSet: the old ones an earlier rollout left at zero replicas are deleted. No load
and no queued order is left over from an earlier run either (helpers.scaling.quiet_workload).
Running it twice changes nothing the second time.
"""
from __future__ import annotations

import contextlib

from kubernetes.client.exceptions import ApiException

from . import configuration, manifests, scaling, selectors
from .apply import FIELD_MANAGER, apply_objects, place, report
from .cluster import Connection, current, friendly
from .errors import WorkshopError
from .progress import quietly
from .wait import wait_for_deleted, wait_for_rollout, wait_for_settled


def _key(obj: dict) -> tuple[str, str, str]:
    return obj["apiVersion"], obj["kind"], obj["metadata"]["name"]


def plan(chapter: int, chapters: dict[int, list[dict]]) -> tuple[list[dict], list[dict]]:
    """(objects to apply, objects to delete) for the start of `chapter` (pure).

    Apply: the latest version of every object from chapters before `chapter`. Delete: objects that only
    chapters from `chapter` on create (an object an earlier chapter has is kept and reset to its earlier form).
    """
    latest: dict[tuple, dict] = {}
    for n in sorted(chapters):
        if n < chapter:
            for obj in chapters[n]:
                latest[_key(obj)] = obj
    later: dict[tuple, dict] = {}
    for n in sorted(chapters):
        if n >= chapter:
            for obj in chapters[n]:
                if _key(obj) not in latest:
                    later.setdefault(_key(obj), obj)
    return list(latest.values()), list(later.values())


# What learners write themselves in chapters 03-05: the API's containers (the sidecar), a Service's selector and
# ports. Server-side apply only removes what the workshop's own field manager set, so a learner's extra container,
# argument, variable, selector key or port, applied with `kubectl apply` or `kubectl edit` (another field manager),
# or a variable added with `kubectl set env` (chapter 08 does), would survive it.
# These fields are put back exactly as the manifest has them, and only where they differ, so that a second run
# writes nothing (a Service keeps its node ports: the API server keeps them when a port comes again without one).
RESET_FIELDS = {"Deployment": [("spec", "template", "spec", "containers")],
                "Service": [("spec", "selector"), ("spec", "ports")]}


def _at(obj: dict, path: tuple[str, ...]):
    for key in path:
        obj = (obj or {}).get(key)
    return obj


def reset_patch(obj: dict) -> list[dict]:
    """The JSON patch that writes the manifest's learner-written fields over the live object's (pure)."""
    ops = []
    for path in RESET_FIELDS.get(obj["kind"], []):
        value = _at(obj, path)
        if value is not None:
            ops.append({"op": "add", "path": "/" + "/".join(path), "value": value})
    return ops


def _reset_learner_fields(conn: Connection, obj: dict, namespace: str) -> None:
    """Put back what reset_patch() covers, only where it differs (asked first with a server dry run: the server's
    defaults make the comparison exact)."""
    ops = reset_patch(obj)
    if not ops:
        return
    live = conn.api.read(obj["apiVersion"], obj["kind"], obj["metadata"]["name"], namespace)
    wanted = _json_patch(conn, obj, namespace, ops, dryRun="All")
    if any(_at(live, p) != _at(wanted, p) for p in RESET_FIELDS[obj["kind"]]):
        _json_patch(conn, obj, namespace, ops)


def _json_patch(conn: Connection, obj: dict, namespace: str, ops: list[dict], **params) -> dict:
    """A JSON patch of the live object `obj` names, as the workshop's field manager; the object it leaves."""
    path = conn.api.resource(obj["apiVersion"], obj["kind"]).path(namespace, obj["metadata"]["name"])
    return conn.api.request("PATCH", path, body=ops, content_type="application/json-patch+json",
                            params={"fieldManager": FIELD_MANAGER, **params})


def _delete(conn: Connection, obj: dict, namespace: str, timeout: float) -> bool:
    """Delete one object and wait until it (and, for a deployment, its pods) is gone; False if it was absent."""
    res = conn.api.resource(obj["apiVersion"], obj["kind"])
    name = obj["metadata"]["name"]
    live = conn.api.read(obj["apiVersion"], obj["kind"], name, namespace if res.namespaced else None)
    if live is None:
        return False
    try:
        conn.api.request("DELETE", res.path(namespace if res.namespaced else None, name),
                         body={"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"})
    except ApiException as exc:
        if exc.status != 404:
            raise
    kind = res.plural if res.plural in ("pods", "deployments", "replicasets", "services", "namespaces") else None
    if kind:
        wait_for_deleted(kind, name, namespace=namespace, timeout=timeout)
    if obj["kind"] == "Deployment":
        selector = selectors.to_query((live.get("spec") or {}).get("selector"))
        if selector:
            wait_for_deleted("pods", selector=selector, namespace=namespace, timeout=timeout)
    return True


REVISION = "deployment.kubernetes.io/revision"


def _controller_uid(obj: dict) -> str | None:
    return next((o.get("uid") for o in obj["metadata"].get("ownerReferences") or [] if o.get("controller")), None)


def old_replica_sets(deployments: list[dict], replica_sets: list[dict]) -> list[dict]:
    """The ReplicaSets these Deployments keep at zero replicas as rollout history (never the current one, which is
    at zero when the Deployment is: the revision annotation tells them apart, as `kubectl rollout` does)."""
    revisions = {d["metadata"]["uid"]: (d["metadata"].get("annotations") or {}).get(REVISION) for d in deployments}
    old = []
    for rs in replica_sets:
        uid = _controller_uid(rs)
        revision = (rs["metadata"].get("annotations") or {}).get(REVISION)
        if uid in revisions and rs["spec"].get("replicas", 1) == 0 and revision != revisions[uid]:
            old.append(rs)
    return old


def _prune_history(conn: Connection, names: list[str], namespace: str, timeout: float) -> list[dict]:
    """Delete the old, empty ReplicaSets of the named Deployments, and wait until they are gone."""
    if not names:
        return []
    deployments = [d for d in conn.api.items("apps/v1", "Deployment", namespace) if d["metadata"]["name"] in names]
    old = old_replica_sets(deployments, conn.api.items("apps/v1", "ReplicaSet", namespace))
    res = conn.api.resource("apps/v1", "ReplicaSet")
    for rs in old:
        try:
            conn.api.request("DELETE", res.path(namespace, rs["metadata"]["name"]))
        except ApiException as exc:
            if exc.status != 404:
                raise
    for rs in old:
        wait_for_deleted("replicasets", rs["metadata"]["name"], namespace=namespace, timeout=timeout)
    return old


def _forget_restart(conn: Connection, obj: dict, namespace: str) -> bool:
    """Take back a `kubectl rollout restart` mark the manifest does not have (configuration.forget_restart_patch);
    True when it did, which rolls the Deployment's pods over."""
    if obj["kind"] != "Deployment":
        return False
    live = conn.api.read(obj["apiVersion"], obj["kind"], obj["metadata"]["name"], namespace)
    ops = configuration.forget_restart_patch(live or {}, obj)
    if ops:
        _json_patch(conn, obj, namespace, ops)
    return bool(ops)


def _restart_readers_of_changed_config(conn: Connection, applied: list[dict], outcomes: list, namespace: str,
                                       rolling: set[str]) -> list[str]:
    """A ConfigMap or Secret that had to be put back reaches pods only when they start (chapter 07): replace the
    pods of the Deployments that read one and are not rolling over anyway (`rolling`). Their pods are deleted, not
    their template marked as `kubectl rollout restart` does, so that the template stays the manifest's. Returns
    the names of those Deployments, to wait for."""
    objects = place(conn, applied)
    changed = {(o["kind"].lower(), o["metadata"]["name"]) for o, outcome in zip(objects, outcomes)
               if o["kind"] in ("ConfigMap", "Secret") and outcome.action == "configured"}
    restarted = []
    for name in configuration.to_restart([o for o in objects if o["kind"] == "Deployment"], changed):
        live = conn.api.read("apps/v1", "Deployment", name, namespace) or {}
        selector = selectors.to_query((live.get("spec") or {}).get("selector"))
        if name in rolling or not selector:
            continue
        for pod in conn.api.items("v1", "Pod", namespace, label_selector=selector):
            try:
                conn.api.request("DELETE", conn.api.resource("v1", "Pod").path(namespace, pod["metadata"]["name"]))
            except ApiException as exc:
                if exc.status != 404:
                    raise
        restarted.append(name)
        print(f"restarted: deployment/{name} (a ConfigMap or Secret it reads was put back)")
    return restarted


def _load_chapters() -> dict[int, list[dict]]:
    folders = manifests.chapter_folders()
    if not folders:
        raise WorkshopError(f"No chapter manifests found under {manifests.MANIFESTS}.")
    return {n: manifests.chapter_objects(n) for n in folders}


def provisioned(conn: Connection) -> bool:
    """Whether an instructor made this namespace for a learner (`workshop learners create`): it holds the learner's
    account, whose tokens end with it, and a learner confined by RBAC could not create it again."""
    from .learners import LEARNER_LABEL

    namespace = conn.api.read("v1", "Namespace", conn.namespace)
    return LEARNER_LABEL in (((namespace or {}).get("metadata") or {}).get("labels") or {})


def _deletions(conn: Connection, objects: list[dict]) -> list[dict]:
    """Deleting the workshop namespace deletes everything in it: then nothing else needs deleting. A provisioned
    namespace is kept and emptied instead: its own objects are deleted one by one."""
    own = [o for o in objects if o["kind"] == "Namespace" and o["metadata"]["name"] == conn.namespace]
    if own and provisioned(conn):
        return [o for o in objects if o["kind"] != "Namespace"]
    return own or objects


def _unlabel_provisioned(conn: Connection, objects: list[dict]) -> None:
    """A provisioned namespace kept by _deletions loses the labels chapter 1 applies (the workshop's field manager
    applies it bare, and server-side apply removes what that manager alone set), so chapter 1's checkpoint checks
    the learner's own apply again."""
    if any(o["kind"] == "Namespace" and o["metadata"]["name"] == conn.namespace for o in objects) \
            and provisioned(conn):
        apply_objects(conn, [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": conn.namespace}}])


def _span(chapter: int) -> str:
    return "chapter 1 builds" if chapter == 2 else f"chapters 1-{chapter - 1} build"


@friendly
def ensure_chapter(chapter: int, *, timeout: float = 300, verbose: bool = False) -> None:
    """Bring your namespace to the state chapter `chapter` starts from; safe to run again and again.

    ensure_chapter(4)   # what chapters 1-3 build is in place and ready; chapter 4's own objects are not there

    Objects of earlier chapters are applied and waited for; objects that only chapter `chapter` or later
    chapters create are deleted. ensure_chapter(0) only checks that the cluster answers.
    `verbose=True` prints every object applied and every wait.
    """
    conn = current()
    if chapter <= 0:
        print(f"Ready for chapter {chapter}: connected, working in namespace {conn.namespace}.")
        return
    to_apply, to_delete = plan(chapter, _load_chapters())
    to_apply, to_delete = place(conn, to_apply), place(conn, to_delete)
    with contextlib.nullcontext() if verbose else quietly():
        # Delete first: the chapter's own objects must be gone before the notebook creates them again.
        removed = [o for o in _deletions(conn, to_delete) if _delete(conn, o, conn.namespace, timeout)]
        _unlabel_provisioned(conn, to_delete)
        outcomes = apply_objects(conn, to_apply)
        report(outcomes)
        for obj in to_apply:
            _reset_learner_fields(conn, obj, conn.namespace)
        rolling = {o["metadata"]["name"] for o in to_apply if _forget_restart(conn, o, conn.namespace)}
        restarted = _restart_readers_of_changed_config(conn, to_apply, outcomes, conn.namespace, rolling)
        kept = [o["metadata"]["name"] for o in to_apply if o["kind"] == "Deployment"]
        for name in kept:
            wait_for_rollout(name, timeout=timeout)
        # A finished rollout can leave old pods terminating, and restarted pods take a moment to be replaced: the
        # chapter's first listing must show neither.
        for name in dict.fromkeys(kept + restarted):
            wait_for_settled(name, timeout=timeout)
        removed += _prune_history(conn, kept, conn.namespace, timeout)
        scaling.quiet_workload(conn, conn.namespace)
        if removed:
            print("removed: " + ", ".join(f"{o['kind'].lower()}/{o['metadata']['name']}" for o in removed))
    if chapter == 1:
        print(f"Ready for chapter 1: namespace {conn.namespace} " + (
            "was made for you by your instructor and holds none of the workshop's objects; chapter 1 labels it."
            if provisioned(conn) else "is not there yet; chapter 1 creates it."))
        return
    built = sorted({o["kind"].lower() for o in to_apply})
    print(f"Ready for chapter {chapter}: namespace {conn.namespace} has what {_span(chapter)}"
          f" ({', '.join(built)}).")


@friendly
def reset(to: int | None = None, *, timeout: float = 300) -> None:
    """Start over. reset() deletes your workshop namespace and everything in it (and, on the sandbox, its
    simulated load and queues); reset(to=4) is ensure_chapter(4).
    """
    if to is not None:
        ensure_chapter(to, timeout=timeout)
        return
    conn = current()
    if provisioned(conn):  # made by the instructor for this learner: emptied, not deleted
        ensure_chapter(1, timeout=timeout)
        return
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": conn.namespace}}
    with quietly():
        scaling.quiet_workload(conn, conn.namespace)
        gone = _delete(conn, namespace, conn.namespace, timeout)
    print(f"namespace {conn.namespace} {'deleted' if gone else 'was already absent'}.")
