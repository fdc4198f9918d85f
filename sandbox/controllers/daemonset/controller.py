"""The DaemonSet controller's loop and writes (pkg/controller/daemon): the current revision (constructHistory: a
ControllerRevision per template, named <set>-<hash of the template>, its revision number moved up when an old
template comes back), then manage (a pod for every node that should run one and has none, failed and excess pods
deleted, pods on nodes that may no longer run them deleted), the rolling update (placement.rolling_update), the
history trimmed and the status."""
from __future__ import annotations

import asyncio
import time

from sandbox.controllers import history
from sandbox.controllers.base import Controller, controller_ref, key_of, rt_of, spec_changed, split_key
from sandbox.controllers.daemonset import placement
from sandbox.machinery import podutil
from sandbox.machinery.errors import StatusError

SETS, PODS, REVISIONS = rt_of("apps", "daemonsets"), rt_of("", "pods"), rt_of("apps", "controllerrevisions")
COMPONENT = "daemonset-controller"
MANAGER = "kube-controller-manager"


class DaemonSetController(Controller):
    name = "daemonset-controller"

    def setup(self) -> None:
        self.sets = self.informer("apps", "daemonsets")
        self.pods = self.informer("", "pods")
        self.nodes = self.informer("", "nodes")
        self.revisions = self.informer("apps", "controllerrevisions")
        self.sets.add_index("uid", lambda s: [s["metadata"]["uid"]])
        self.pods.add_index("controller", lambda p: [ref["uid"]] if (ref := controller_ref(p)) else [])
        self.revisions.add_index("controller", lambda r: [ref["uid"]] if (ref := controller_ref(r)) else [])
        self.sets.add_handler(lambda kind, old, new: spec_changed(old, new) and self.queue.add(key_of(new or old)))
        self.pods.add_handler(self._on_pod)
        self.nodes.add_handler(self._on_node)

    def _on_pod(self, kind: str, old: dict | None, new: dict | None) -> None:
        for pod in (old, new):
            ref = controller_ref(pod) if pod is not None else None
            if ref and ref.get("kind") == "DaemonSet":
                for found in self.sets.by_index("uid", ref["uid"]):
                    self.queue.add_after(key_of(found), 0.02)

    def _on_node(self, kind: str, old: dict | None, new: dict | None) -> None:
        view = lambda n: None if n is None else (n["metadata"].get("labels"), n.get("spec"))
        if view(old) != view(new):
            for ds in self.sets.list():
                self.queue.add_after(key_of(ds), 0.02)

    async def reconcile(self, key: str) -> None:
        namespace, name = split_key(key)
        ds = self.sets.get(namespace, name)
        if ds is None or ds["metadata"].get("deletionTimestamp"):
            return
        current, old = self._construct_history(ds)
        hash_ = (current["metadata"].get("labels") or {}).get(history.POD_REVISION_LABEL, "")
        nodes = {n["metadata"]["name"]: n for n in self.nodes.list()}
        verdicts = {name: placement.should_run(ds, node) for name, node in nodes.items()}
        await self._manage(ds, nodes, verdicts, hash_)
        if (ds["spec"].get("updateStrategy") or {}).get("type") == "RollingUpdate":
            by_node = self._pods_by_node(ds)
            desired = sum(1 for run, _ in verdicts.values() if run)
            delete, surge_nodes = placement.rolling_update(
                ds, {n: p for n, p in by_node.items() if n in nodes}, {n: v[0] for n, v in verdicts.items()},
                desired, hash_, self.clock.time_scale)
            for pod in delete:
                self._delete_pod(ds, pod)
            await self._create_pods(ds, surge_nodes, hash_)
        self._cleanup_history(ds, current, old)
        self._update_status(ds, nodes, verdicts, hash_)
        if ds["spec"].get("minReadySeconds"):
            self.enqueue_after(key, max(float(ds["spec"]["minReadySeconds"]) / 4, 0.5))

    def _pods_by_node(self, ds: dict) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = {}
        for pod in self.pods.by_index("controller", ds["metadata"]["uid"]):
            out.setdefault(placement.target_node(pod), []).append(pod)
        for pods in out.values():
            pods.sort(key=lambda p: (p["metadata"].get("creationTimestamp") or "", p["metadata"]["name"]))
        return out

    # history ------------------------------------------------------------------------------------------------------
    def _construct_history(self, ds: dict) -> tuple[dict, list[dict]]:
        revisions = self.revisions.by_index("controller", ds["metadata"]["uid"])
        data = history.patch_data(ds)
        current = [r for r in revisions if history.equal(r, data)]
        old = [r for r in revisions if not history.equal(r, data)]
        number = max((r.get("revision") or 0 for r in old), default=0) + 1
        if current:
            cur = history.sort_revisions(current)[-1]
            if (cur.get("revision") or 0) < number:
                cur = self._write(REVISIONS, {**cur, "revision": number}) or cur
            return cur, old
        collisions = int((ds.get("status") or {}).get("collisionCount") or 0)
        template = ds["spec"].get("template") or {}
        while True:
            hash_ = history.hash_of({"template": template}, collisions)
            made = history.new_revision(ds, data, number, None, {}, ds["metadata"].get("annotations"))
            made["metadata"]["name"] = history.revision_name(ds["metadata"]["name"], hash_)
            made["metadata"]["labels"] = {**(((template.get("metadata") or {}).get("labels")) or {}),
                                          history.POD_REVISION_LABEL: hash_}
            try:
                return self.registry.create(REVISIONS, ds["metadata"]["namespace"], made, field_manager=MANAGER), old
            except StatusError as e:
                if e.code != 409:
                    raise
                existing = self.revisions.get(ds["metadata"]["namespace"], made["metadata"]["name"])
                if existing is not None and history.equal(existing, data):
                    return existing, old
                collisions += 1

    def _cleanup_history(self, ds: dict, current: dict, old: list[dict]) -> None:
        live = {current["metadata"]["name"]}
        hashes = {(p["metadata"].get("labels") or {}).get(history.POD_REVISION_LABEL)
                  for p in self.pods.by_index("controller", ds["metadata"]["uid"])}
        live |= {r["metadata"]["name"] for r in old
                 if (r["metadata"].get("labels") or {}).get(history.POD_REVISION_LABEL) in hashes}
        limit = ds["spec"].get("revisionHistoryLimit")
        for revision in history.to_truncate(old + [current], live, 10 if limit is None else int(limit)):
            try:
                self.registry.delete(REVISIONS, revision["metadata"]["namespace"], revision["metadata"]["name"])
            except StatusError as e:
                if e.code != 404:
                    raise

    # manage -------------------------------------------------------------------------------------------------------
    async def _manage(self, ds: dict, nodes: dict, verdicts: dict, hash_: str) -> None:
        by_node = self._pods_by_node(ds)
        surge = placement.surge_and_unavailable(ds, 1)[0] > 0 and \
            (ds["spec"].get("updateStrategy") or {}).get("type") == "RollingUpdate"
        create, delete = [], []
        for name in nodes:
            run, keep = verdicts[name]
            pods = [p for p in by_node.get(name, []) if not podutil.is_terminating(p)]
            if run and not pods:
                create.append(name)
            elif keep:
                running = []
                for pod in pods:
                    phase = (pod.get("status") or {}).get("phase")
                    if phase == "Failed":
                        self.recorder.event(ds, "Warning", "FailedDaemonPod", f"Found failed daemon pod "
                                            f"{pod['metadata']['namespace']}/{pod['metadata']['name']} on node {name}, "
                                            "will try to kill it", component=COMPONENT, manager=MANAGER)
                        delete.append(pod)
                    elif phase == "Succeeded":
                        delete.append(pod)
                    else:
                        running.append(pod)
                delete += self._excess(running, surge, hash_)
            else:
                delete += pods
        for node, pods in by_node.items():  # pods pinned to nodes that are gone
            if node not in nodes:
                delete += [p for p in pods if not podutil.is_terminating(p)]
        for pod in delete:
            self._delete_pod(ds, pod)
        await self._create_pods(ds, create, hash_)

    @staticmethod
    def _excess(running: list[dict], surge: bool, hash_: str) -> list[dict]:
        if len(running) <= 1:
            return []
        if not surge:
            return running[1:]
        newest = [p for p in running if (p["metadata"].get("labels") or {}).get(history.POD_REVISION_LABEL) == hash_]
        oldest = [p for p in running if p not in newest]
        excess = newest[1:] + oldest[1:]
        if newest and oldest and (not podutil.is_ready(oldest[0]) or podutil.is_ready(newest[0])):
            excess.append(oldest[0])
        return excess

    async def _create_pods(self, ds: dict, nodes: list[str], hash_: str) -> None:
        """slowStartBatch: 1, 2, 4, ... creations; the first failure stops the rest."""
        batch, done = 1, 0
        while done < len(nodes):
            for node in nodes[done:done + batch]:
                try:
                    pod = self.registry.create(PODS, ds["metadata"]["namespace"], placement.new_pod(ds, node, hash_),
                                               field_manager=MANAGER)
                except StatusError as e:
                    self.recorder.event(ds, "Warning", "FailedCreate", f"Error creating: {e.message}",
                                        component=COMPONENT, manager=MANAGER)
                    return
                self.recorder.event(ds, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}",
                                    component=COMPONENT, manager=MANAGER)
            done += batch
            batch *= 2
            await asyncio.sleep(0)

    def _delete_pod(self, ds: dict, pod: dict) -> None:
        meta = pod["metadata"]
        try:
            self.registry.delete(PODS, meta["namespace"], meta["name"], preconditions={"uid": meta["uid"]})
        except StatusError as e:
            if e.code in (404, 409):
                return
            self.recorder.event(ds, "Warning", "FailedDelete", f"Error deleting: {e.message}", component=COMPONENT,
                                manager=MANAGER)
            return
        self.recorder.event(ds, "Normal", "SuccessfulDelete", f"Deleted pod: {meta['name']}", component=COMPONENT,
                            manager=MANAGER)

    def _write(self, rt, obj: dict) -> dict | None:
        meta = obj["metadata"]
        try:
            return self.registry.update(rt, meta.get("namespace"), meta["name"], obj, field_manager=MANAGER)
        except StatusError as e:
            if e.code not in (404, 409):
                raise
            return None

    # status -------------------------------------------------------------------------------------------------------
    def _update_status(self, ds: dict, nodes: dict, verdicts: dict, hash_: str) -> None:
        by_node = self._pods_by_node(ds)
        generation = placement.template_generation(ds)
        min_ready = ds["spec"].get("minReadySeconds") or 0
        now = time.time()
        desired = current = ready = available = updated = misscheduled = 0
        for name in nodes:
            pods = by_node.get(name) or []
            if verdicts[name][0]:
                desired += 1
                if not pods:
                    continue
                current += 1
                pod = sorted(pods, key=lambda p: (p["metadata"].get("creationTimestamp") or ""))[0]
                if podutil.is_ready(pod):
                    ready += 1
                    available += placement.available(pod, min_ready, self.clock.time_scale, now)
                updated += placement.is_updated(pod, hash_, generation)
            elif pods:
                misscheduled += 1
        status = {"currentNumberScheduled": current, "numberMisscheduled": misscheduled,
                  "desiredNumberScheduled": desired, "numberReady": ready,
                  "observedGeneration": ds["metadata"].get("generation", 1), "updatedNumberScheduled": updated,
                  "numberAvailable": available, "numberUnavailable": desired - available}
        collisions = (ds.get("status") or {}).get("collisionCount")
        if collisions:
            status["collisionCount"] = collisions
        status = {k: v for k, v in status.items() if v or k in ("currentNumberScheduled", "numberMisscheduled",
                                                                  "desiredNumberScheduled", "numberReady")}
        fresh = self.sets.get(ds["metadata"]["namespace"], ds["metadata"]["name"]) or ds
        if (fresh.get("status") or {}) == status:
            return
        try:
            self.registry.update(SETS, fresh["metadata"]["namespace"], fresh["metadata"]["name"],
                                 {**fresh, "status": status}, subresource="status", field_manager=MANAGER)
        except StatusError as e:
            if e.code not in (404, 409):
                raise
