"""pods/eviction, what `kubectl drain` creates for each pod of the node, answered as kube-apiserver's EvictionREST
answers it: the body checked, the PodDisruptionBudget covering the pod consulted and charged (eviction_budgets.py)
unless the pod is pending, finished or already terminating, then DisruptionTarget written into the pod's status
and the pod deleted with the Eviction's deleteOptions."""
from __future__ import annotations

import json
from dataclasses import replace

from sandbox.machinery import conditions, errors, resources
from sandbox.machinery.resources import ResourceType
from sandbox.registry import deletion, eviction_budgets
from sandbox.registry.options import DeleteOptions, WriteOptions, write_options
from sandbox.storage.store import dumps


class EvictionMixin:
    """Registry.evict (mixed into Registry, whose helpers it uses)."""

    def evict(self, namespace: str, name: str, body, options: WriteOptions | None = None, *, dry_run: bool = False,
              field_validation: str = "Strict", warnings: list | None = None) -> dict:
        """Evict pod `name` with the policy/v1 Eviction `body`: Status Success (201) once the pod is deleted (or
        its deletion, already under way, is confirmed); 429 TooManyRequests while its budget allows no
        disruption; 500 when several budgets cover it."""
        options = write_options(options, dry_run=dry_run, field_validation=field_validation, warnings=warnings)
        pods = resources.lookup("", "v1", "pods")
        eviction = self._decode(resources.EVICTION, _as_policy_v1(body), options)
        meta = eviction["metadata"]
        self._set_namespace(resources.EVICTION, namespace, meta)
        self._admit_namespace(pods, namespace, name)  # NamespaceLifecycle: admission comes before the handler
        if meta.get("name") != name:
            raise errors.bad_request("name in URL does not match name in Eviction object")
        delete = DeleteOptions.from_body(_propagate_dry_run(eviction.get("deleteOptions") or {}, options.dry_run))
        delete = self._consult_budgets(self._stored(pods, namespace, name), delete)
        if not delete.dry_run:  # a dry run writes nothing, the condition included
            delete = replace(delete, preconditions=self._mark_disruption_target(pods, namespace, name,
                                                                                delete.preconditions))
        self.delete(pods, namespace, name, delete)
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}

    def _consult_budgets(self, pod: dict, options: DeleteOptions) -> DeleteOptions:
        """The PodDisruptionBudget check, raising its refusals; the delete's options, with the resourceVersion
        pinned when the budget was charged."""
        if eviction_budgets.can_ignore_budgets(pod):
            # The real handler pins the version it read here against a racing writer; in one thread nothing
            # moves it before the delete, so there is nothing to pin.
            return options
        if eviction_budgets.consult(self, pod, options.dry_run):
            # replacing the client's own, as setPreconditionsResourceVersion does
            return replace(options, preconditions={**(options.preconditions or {}),
                                                   "resourceVersion": pod["metadata"]["resourceVersion"]})
        return options

    def _mark_disruption_target(self, pods: ResourceType, namespace: str, name: str,
                                preconditions: dict | None) -> dict | None:
        """addConditionAndDeletePod's status write before the delete: the preconditions checked against the pod,
        then DisruptionTarget=True (EvictionByEvictionAPI), which `kubectl describe` shows while the pod stops.
        A resourceVersion precondition then names the version this write made, as the real handler bumps it."""
        old = self._stored(pods, namespace, name)  # a missing pod: 404 (from delete() on a dry run)
        deletion.check_preconditions("", "Pod", old["metadata"], preconditions or {})  # getLatestPod's
        new = json.loads(dumps(old))
        status = new.setdefault("status", {})
        status["conditions"] = conditions.set_condition_in_list(
            status.get("conditions"), "DisruptionTarget", "True", "EvictionByEvictionAPI", "Eviction API: evicting",
            self.clock.timestamp())
        written = self._write_update(pods, old, new, "status", WriteOptions(), recorded=True)  # not a client's fields
        if (preconditions or {}).get("resourceVersion"):
            preconditions = {**preconditions, "resourceVersion": written["metadata"]["resourceVersion"]}
        return preconditions


def _as_policy_v1(body):
    """EvictionREST accepts a policy/v1beta1 Eviction too (AcceptsGroupVersion): the same fields."""
    if isinstance(body, dict) and body.get("apiVersion") == "policy/v1beta1":
        return {**body, "apiVersion": "policy/v1"}
    return body


def _propagate_dry_run(options: dict, dry_run: bool) -> dict:
    """propagateDryRun: the URL's dryRun stands in for the Eviction's; when both are given they must agree (the
    real handler answers that mismatch with a 500, the sandbox with a 400)."""
    sent, asked = options.get("dryRun") or [], ["All"] if dry_run else []
    if sent and asked and sent != asked:
        raise errors.bad_request(f"Non-matching dry-run options in request and content: [{' '.join(asked)}] and "
                                 f"[{' '.join(sent)}]")
    return {**options, "dryRun": sent or asked}
