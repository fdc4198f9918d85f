"""The disruption controller (pkg/controller/disruption): keeps each PodDisruptionBudget's status (expectedPods,
currentHealthy, desiredHealthy, disruptionsAllowed, disruptedPods, observedGeneration, the DisruptionAllowed
condition) in step with the pods it selects, which the eviction handler then trusts; and turns a DisruptionTarget
condition that no deletion followed back to False. The arithmetic is in disruption_status.py.

Like the real one it follows budgets and pods only: a scaled Deployment is noticed through its pods."""
from __future__ import annotations

import json
import time

from sandbox.controllers import disruption_status as arithmetic
from sandbox.controllers.base import Controller, controller_ref, key_of, rt_of, split_key
from sandbox.controllers.deployment.replica_sets import replicas_of
from sandbox.controllers.selectors import selector_of
from sandbox.machinery import disruption_budgets, resources

PODS = rt_of("", "pods")
PDBS = rt_of("policy", "poddisruptionbudgets")
COMPONENT = "controllermanager"  # the event source the disruption controller's recorder is given
MANAGER = "kube-controller-manager"
STALE = "stale-disruption"  # queue keys (STALE, pod key) clear a pod's condition; plain keys sync a budget


class DisruptionController(Controller):
    name = "disruption-controller"

    def setup(self) -> None:
        self.pdbs = self.informer("policy", "poddisruptionbudgets")
        self.pods = self.informer("", "pods")
        self.scalable = {"replicasets": self.informer("apps", "replicasets"),
                         "deployments": self.informer("apps", "deployments"),
                         "statefulsets": self.informer("apps", "statefulsets"),
                         "replicationcontrollers": self.informer("", "replicationcontrollers")}
        self.pdbs.add_handler(lambda kind, old, new: self.queue.add(key_of(new or old)))
        self.pods.add_handler(self._on_pod)

    def _on_pod(self, kind: str, old: dict | None, new: dict | None) -> None:
        pod = new or old
        pdbs = disruption_budgets.covering(self.pdbs.list(pod["metadata"]["namespace"]), pod, selector_of)
        if len(pdbs) > 1:  # the real controller then syncs one of them only; the sandbox syncs them all
            meta = pod["metadata"]
            self._event(pod, "Warning", "MultiplePodDisruptionBudgets", f'Pod "{meta["namespace"]}"/"{meta["name"]}" '
                        f'matches multiple PodDisruptionBudgets.  Chose "{pdbs[0]["metadata"]["name"]}" arbitrarily.')
        for pdb in pdbs:
            self.queue.add(key_of(pdb))
        wait = None if new is None else self._stale_wait(new)
        if wait is not None:
            self.queue.add_after((STALE, key_of(new)), wait)

    def _stale_wait(self, pod: dict) -> float | None:
        return arithmetic.stale_disruption_wait(pod, time.time(), self.real(arithmetic.STALE_POD_DISRUPTION_TIMEOUT))

    def _event(self, obj: dict, event_type: str, reason: str, message: str) -> None:
        self.recorder.event(obj, event_type, reason, message, component=COMPONENT, manager=MANAGER)

    async def reconcile(self, key) -> None:
        if isinstance(key, tuple):
            self._clear_stale_condition(key[1])
            return
        pdb = self.pdbs.get_by_key(key)
        if pdb is None:
            return
        try:
            self._sync(pdb)
        except arithmetic.ExpectedScaleError as e:  # failSafe: no disruption allowed while the count is unknown
            self._write_status(pdb, arithmetic.fail_safe_status(pdb, str(e), self.clock.timestamp()))

    # a budget's status --------------------------------------------------------------------------------------------
    def _sync(self, pdb: dict) -> None:
        """trySync: count the budget's pods and write the status they make, then come back when the first
        recorded eviction runs out of time."""
        namespace = pdb["metadata"]["namespace"]
        pods = self._pods_of(pdb)
        expected, desired = self._expected_and_desired(pdb, pods)
        now, timeout = time.time(), self.real(arithmetic.DELETION_TIMEOUT)
        recorded = (pdb.get("status") or {}).get("disruptedPods") or {}
        disrupted, recheck, expired = arithmetic.disrupted_pod_map(pods, recorded, now, timeout)
        for pod in expired:  # the real message names the budget's namespace twice
            self._event(pod, "Warning", "NotDeleted", f"Pod was expected by PDB {namespace}/{namespace} to be "
                        "deleted but it wasn't")
        current = arithmetic.count_healthy(pods, disrupted, now, timeout)
        status = arithmetic.updated_status(pdb, current, desired, expected, disrupted, self.clock.timestamp())
        if status is not None:
            self._write_status(pdb, status)
        if recheck is not None:
            self.queue.add_after(key_of(pdb), recheck - now)

    def _pods_of(self, pdb: dict) -> list[dict]:
        """getPodsForPdb: every pod the selector matches, terminating and finished ones included."""
        selector, namespace = selector_of(pdb), pdb["metadata"]["namespace"]
        pods = [p for p in self.pods.list(namespace) if selector.matches(p["metadata"].get("labels"))]
        if not pods:
            self._event(pdb, "Normal", "NoPods", "No matching pods found")
        return pods

    def _expected_and_desired(self, pdb: dict, pods: list[dict]) -> tuple[int, int]:
        """getExpectedPodCount, with the events that go with it."""
        try:
            expected, desired, unmanaged = arithmetic.expected_and_desired(pdb.get("spec") or {}, pods,
                                                                           self._expected_scale)
        except arithmetic.ExpectedScaleError as e:
            self._event(pdb, "Warning", "CalculateExpectedPodCountFailed",
                        f"Failed to calculate the number of expected pods: {e}")
            raise
        if unmanaged:  # the count goes on without them
            self._event(pdb, "Warning", "UnmanagedPods", "Pods selected by this PodDisruptionBudget (selector: "
                        f"{_go_label_selector((pdb.get('spec') or {}).get('selector'))}) were found to be unmanaged. "
                        "As a result, the status of the PDB cannot be calculated correctly, which may result in "
                        "undefined behavior. To account for these pods please set \".spec.minAvailable\" field of "
                        "the PDB to an integer value.")
        return expected, desired

    def _write_status(self, pdb: dict, status: dict) -> None:
        meta = pdb["metadata"]
        self.registry.update(PDBS, meta["namespace"], meta["name"], {**pdb, "status": status}, subresource="status",
                             field_manager=MANAGER)

    # expected pods: the scale of the pods' controllers ----------------------------------------------------------
    def _expected_scale(self, pods: list[dict]) -> tuple[int, list[str]]:
        """getExpectedScale: the summed scale of the controllers of `pods` (each counted once), and the pods
        that have no controller."""
        scales, seen, unmanaged = {}, set(), []
        for pod in pods:
            ref = controller_ref(pod)
            if ref is None:
                unmanaged.append(pod["metadata"]["name"])
                continue
            if ref.get("uid") in seen:
                continue
            found = self._controller_scale(ref, pod["metadata"]["namespace"])
            if found is None:
                raise arithmetic.ExpectedScaleError(f'found no controllers for pod "{pod["metadata"]["name"]}"')
            seen.add(ref.get("uid"))
            scales[found[0]] = found[1]
        return sum(scales.values()), unmanaged

    def _controller_scale(self, ref: dict, namespace: str) -> tuple[str, int] | None:
        """The finders in order: a ReplicaSet's Deployment, a ReplicaSet of its own, else any kind's scale
        subresource (uid and spec.replicas of the controller, None when it is gone)."""
        group = str(ref.get("apiVersion", "")).rpartition("/")[0]
        if ref.get("kind") == "ReplicaSet" and group in ("apps", "extensions"):
            found = self._replica_set_scale(ref, namespace)
            if found is not None:
                return found
        return self._scale_subresource(ref, namespace)

    def _replica_set_scale(self, ref: dict, namespace: str) -> tuple[str, int] | None:
        rs = self._owner(self.scalable["replicasets"], ref, namespace)
        if rs is None:
            return None
        owner = controller_ref(rs)
        if owner is None or owner.get("kind") != "Deployment":
            return rs["metadata"]["uid"], replicas_of(rs)
        if str(owner.get("apiVersion", "")).rpartition("/")[0] not in ("apps", "extensions"):
            return None
        deployment = self._owner(self.scalable["deployments"], owner, namespace)
        return None if deployment is None else (deployment["metadata"]["uid"], replicas_of(deployment))

    @staticmethod
    def _owner(informer, ref: dict, namespace: str) -> dict | None:
        found = informer.get(namespace, ref.get("name", ""))
        return found if found is not None and found["metadata"]["uid"] == ref.get("uid") else None

    def _scale_subresource(self, ref: dict, namespace: str) -> tuple[str, int] | None:
        """getScaleController: the RESTMapping of the owner's kind, then its scale subresource."""
        api_version, kind = str(ref.get("apiVersion", "")), str(ref.get("kind", ""))
        rt = resources.by_kind(api_version, kind)
        if rt is None:
            raise arithmetic.ExpectedScaleError(f'no matches for kind "{kind}" in version "{api_version}"')
        if "scale" not in rt.subresources or rt.plural not in self.scalable:
            resource = f"{rt.plural}.{rt.group}" if rt.group else rt.plural
            raise arithmetic.ExpectedScaleError(f"{resource} does not implement the scale subresource")
        owner = self._owner(self.scalable[rt.plural], ref, namespace)
        return None if owner is None else (owner["metadata"]["uid"], replicas_of(owner))

    # stale DisruptionTarget conditions ------------------------------------------------------------------------------
    def _clear_stale_condition(self, key: str) -> None:
        """syncStalePodDisruption: a pod marked as a disruption target that is still not being deleted gets the
        condition back to False (UpdatePodCondition: no reason or message, a new transition time)."""
        namespace, name = split_key(key)
        pod = self.pods.get(namespace, name)
        wait = None if pod is None else self._stale_wait(pod)
        if wait is None:
            return
        if wait > 0:
            self.queue.add_after((STALE, key), wait)
            return
        status = json.loads(json.dumps(pod.get("status") or {}))
        cleared = {"type": "DisruptionTarget", "status": "False", "lastTransitionTime": self.clock.timestamp()}
        status["conditions"] = [cleared if c.get("type") == "DisruptionTarget" else c for c in status["conditions"]]
        self.registry.update(PODS, namespace, name, {**pod, "status": status}, subresource="status",
                             field_manager=MANAGER)


def _go_label_selector(selector) -> str:
    """%v of a *metav1.LabelSelector: its generated String() (`&LabelSelector{MatchLabels:map[string]string{app:
    web,},MatchExpressions:[]LabelSelectorRequirement{},}`), "nil" for none."""
    if not isinstance(selector, dict):
        return "nil"
    match_labels = selector.get("matchLabels") or {}
    rendered = "".join(f"{k}: {match_labels[k]}," for k in sorted(match_labels))
    requirements = "".join(f"LabelSelectorRequirement{{Key:{e.get('key', '')},Operator:{e.get('operator', '')},"
                           f"Values:[{' '.join(e.get('values') or [])}],}},"
                           for e in selector.get("matchExpressions") or [] if isinstance(e, dict))
    return (f"&LabelSelector{{MatchLabels:map[string]string{{{rendered}}},"
            f"MatchExpressions:[]LabelSelectorRequirement{{{requirements}}},}}")
