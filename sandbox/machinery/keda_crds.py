"""KEDA's CustomResourceDefinitions as its release manifest installs them (keda 2.16: keda.sh_scaledobjects,
keda.sh_scaledjobs, keda.sh_triggerauthentications, keda.sh_clustertriggerauthentications), with their schemas as
far as the sandbox knows them (ScaledObject's in full, from crd_schemas.py; ScaledJob's jobTargetRef, a whole
JobSpec upstream, is kept as it comes). Pure data: resources.py serves them from the start, as on a cluster where
KEDA is installed, and registry/bootstrap.py stores them so that `kubectl get crd` lists them."""
from __future__ import annotations

import copy

from .crd_schemas import SCALED_OBJECT_SPEC, SCALED_OBJECT_STATUS, crd_object

VERSION = "2.16.1"
_S = {"type": "string"}
_I = {"type": "integer", "format": "int32"}
_I64 = {"type": "integer", "format": "int64"}
_B = {"type": "boolean"}
_CONDITIONS = {"type": "array", "items": {"type": "object", "required": ["status", "type"], "properties": {
    "message": _S, "reason": _S, "status": _S, "type": _S}}}


def _column(name: str, path: str, kind: str = "string") -> dict:
    return {"jsonPath": path, "name": name, "type": kind}


def _condition_column(name: str) -> dict:
    return _column(name, f'.status.conditions[?(@.type=="{name}")].status')


_AGE = _column("Age", ".metadata.creationTimestamp", "date")

_SCALED_JOB_SPEC = {"type": "object", "required": ["jobTargetRef", "triggers"], "properties": {
    "envSourceContainerName": _S, "failedJobsHistoryLimit": _I,
    "jobTargetRef": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                     "description": "JobSpec describes how the job execution will look like."},
    "maxReplicaCount": _I, "minReplicaCount": _I, "pollingInterval": _I, "rollout": {
        "type": "object", "properties": {"propagationPolicy": _S, "strategy": _S}},
    "scalingStrategy": {"type": "object", "properties": {
        "customScalingQueueLengthDeduction": _I, "customScalingRunningJobPercentage": _S,
        "multipleScalersCalculation": _S, "pendingPodConditions": {"type": "array", "items": _S}, "strategy": _S}},
    "successfulJobsHistoryLimit": _I,
    "triggers": SCALED_OBJECT_SPEC["properties"]["triggers"],
}}
_SCALED_JOB_STATUS = {"type": "object", "properties": {
    "Paused": _S, "conditions": _CONDITIONS, "lastActiveTime": {"type": "string", "format": "date-time"}}}
_REF_LIST = {"type": "array", "items": {"type": "object", "required": ["key", "name", "parameter"],
                                        "properties": {"key": _S, "name": _S, "parameter": _S}}}
_AUTH_SPEC = {"type": "object", "properties": {
    "configMapTargetRef": _REF_LIST,
    "env": {"type": "array", "items": {"type": "object", "required": ["name", "parameter"], "properties": {
        "containerName": _S, "name": _S, "parameter": _S}}},
    "hashiCorpVault": {"type": "object", "required": ["address", "authentication", "secrets"], "properties": {
        "address": _S, "authentication": _S, "credential": {"type": "object", "properties": {
            "serviceAccount": _S, "token": _S}}, "mount": _S, "namespace": _S, "role": _S,
        "secrets": {"type": "array", "items": {"type": "object", "required": ["key", "parameter", "path"],
                                               "properties": {"key": _S, "parameter": _S, "path": _S,
                                                              "type": _S}}}}},
    "podIdentity": {"type": "object", "required": ["provider"], "properties": {
        "identityAuthorityHost": _S, "identityId": _S, "identityOwner": {"type": "string",
                                                                          "enum": ["keda", "workload"]},
        "identityTenantId": _S, "provider": {"type": "string", "enum": [
            "azure-workload", "gcp", "aws", "aws-eks", "none"]}, "roleArn": _S}},
    "secretTargetRef": _REF_LIST,
}}
_AUTH_STATUS = {"type": "object", "properties": {"scaledjobs": _S, "scaledobjects": _S}}
_AUTH_COLUMNS = [_column("PodIdentity", ".spec.podIdentity.provider"),
                 _column("Secret", ".spec.secretTargetRef[*].name"), _column("Env", ".spec.env[*].name"),
                 _column("VaultAddress", ".spec.hashiCorpVault.address"),
                 _column("ScaledObjects", ".status.scaledobjects", "string"),
                 _column("ScaledJobs", ".status.scaledjobs", "string"), _AGE]
for _c in _AUTH_COLUMNS[4:6]:
    _c["priority"] = 1


def _described(schema: dict, text: str, **fields: str) -> dict:
    """A copy of `schema` with KEDA's descriptions (its Go doc comments, as controller-gen writes them)."""
    out = copy.deepcopy(schema)
    out["description"] = text
    for name, doc in fields.items():
        out["properties"][name]["description"] = doc
    return out


def _scaled_object_spec() -> dict:
    spec = _described(SCALED_OBJECT_SPEC, "ScaledObjectSpec is the spec for a ScaledObject resource",
                      advanced="AdvancedConfig specifies advance scaling options",
                      fallback="Fallback is the spec for fallback options",
                      scaleTargetRef="ScaleTarget holds the reference to the scale target Object")
    spec["properties"]["triggers"]["items"]["description"] = "ScaleTriggers reference the scaler that will be used"
    return spec


def _labels() -> dict:
    return {"app.kubernetes.io/name": "keda", "app.kubernetes.io/part-of": "keda-operator",
            "app.kubernetes.io/version": VERSION}


_AUTH_SPEC_DOC = _described(_AUTH_SPEC, "TriggerAuthenticationSpec defines the various ways to authenticate")
_AUTH_STATUS_DOC = _described(_AUTH_STATUS, "TriggerAuthenticationStatus defines the observed state of "
                              "TriggerAuthentication")


def crds() -> list[dict]:
    """The four CRDs, fresh copies."""
    common = {"group": "keda.sh", "labels": _labels(),
              "annotations": {"controller-gen.kubebuilder.io/version": "v0.16.5"}}
    out = [
        crd_object(kind="ScaledObject", plural="scaledobjects", short_names=["so"], scope="Namespaced",
                   spec=_scaled_object_spec(), status=_described(
                       SCALED_OBJECT_STATUS, "ScaledObjectStatus is the status for a ScaledObject resource"),
                   required=["spec"], columns=[
                       _column("ScaleTargetKind", ".status.scaleTargetKind"),
                       _column("ScaleTargetName", ".spec.scaleTargetRef.name"),
                       _column("Min", ".spec.minReplicaCount", "integer"),
                       _column("Max", ".spec.maxReplicaCount", "integer"),
                       _condition_column("Ready"), _condition_column("Active"), _condition_column("Fallback"),
                       _condition_column("Paused"), _column("Triggers", ".status.triggersTypes"),
                       _column("Authentications", ".status.authenticationsTypes"), _AGE], **common),
        crd_object(kind="ScaledJob", plural="scaledjobs", short_names=["sj"], scope="Namespaced",
                   spec=_described(_SCALED_JOB_SPEC, "ScaledJobSpec defines the desired state of ScaledJob"),
                   status=_described(_SCALED_JOB_STATUS, "ScaledJobStatus defines the observed state of ScaledJob"), required=[], columns=[
                       _column("Min", ".spec.minReplicaCount", "integer"),
                       _column("Max", ".spec.maxReplicaCount", "integer"),
                       _condition_column("Ready"), _condition_column("Active"), _condition_column("Paused"),
                       _column("Triggers", ".status.triggersTypes"),
                       _column("Authentications", ".status.authenticationsTypes"), _AGE], **common),
        crd_object(kind="TriggerAuthentication", plural="triggerauthentications",
                   short_names=["ta", "triggerauth"], scope="Namespaced", spec=_AUTH_SPEC_DOC, status=_AUTH_STATUS_DOC,
                   required=["spec"], columns=_AUTH_COLUMNS, **common),
        crd_object(kind="ClusterTriggerAuthentication", plural="clustertriggerauthentications",
                   short_names=["cta", "clustertriggerauth"], scope="Cluster", spec=_AUTH_SPEC_DOC,
                   status=_AUTH_STATUS_DOC, required=["spec"], columns=_AUTH_COLUMNS, **common),
    ]
    out[0]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["description"] = \
        "ScaledObject is a specification for a ScaledObject resource"
    return copy.deepcopy(out)
