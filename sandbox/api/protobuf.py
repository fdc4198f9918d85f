"""Request bodies in Kubernetes' protobuf encoding, for the objects kubectl's typed clients send that way
(kubectl 1.37 sends `kubectl create namespace|deployment|configmap|secret|service|serviceaccount|pdb|job|cronjob`,
`kubectl create role|clusterrole|rolebinding|clusterrolebinding`,
`kubectl autoscale`, `kubectl auth can-i|whoami`, `kubectl create token` and the DeleteOptions of `kubectl drain --disable-eviction` as
application/vnd.kubernetes.protobuf, and client-go has no fallback to JSON; its evictions go as JSON, but a client
configured for protobuf sends those too).

The wire format: the magic b"k8s\\x00", then a runtime.Unknown message {typeMeta{apiVersion, kind}, raw} whose raw
bytes are the object. Field numbers below are those of the k8s.io/api types (their `protobuf:` struct tags),
for the fields those generators and common clients set; a body using any other field gets a 415 telling the
client to send JSON or YAML instead. Decoded objects read as Go's JSON encoding would: empty strings, zeros and
false are left out (pointer fields marked KEEP keep an explicit zero), empty messages stay {}."""
from __future__ import annotations

import base64

from sandbox.machinery import errors, timestamps
from sandbox.machinery.errors import StatusError

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"

STRING, INT, BOOL, BYTES, QUANTITY, INT_OR_STRING, TIME, DROP = (
    "string", "int", "bool", "bytes", "quantity", "intstr", "time", "drop")
KEEP, REPEATED = "keep", "repeated"  # flags: keep an explicit zero (a Go pointer field); a list


def _map(value_kind: str) -> tuple:
    return ("map", value_kind)


_STRINGS = _map(STRING)
_LIST = (REPEATED,)

# message name -> field number -> (json name, kind, *flags); a kind that is a message name nests.
MESSAGES: dict[str, dict[int, tuple]] = {
    "Unknown": {1: ("typeMeta", "TypeMeta"), 2: ("raw", BYTES), 3: ("contentEncoding", STRING),
                4: ("contentType", STRING)},
    "TypeMeta": {1: ("apiVersion", STRING), 2: ("kind", STRING)},
    "ObjectMeta": {1: ("name", STRING), 2: ("generateName", STRING), 3: ("namespace", STRING),
                   4: ("selfLink", STRING), 5: ("uid", STRING), 6: ("resourceVersion", STRING),
                   7: ("generation", INT), 8: ("creationTimestamp", TIME), 9: ("deletionTimestamp", TIME),
                   10: ("deletionGracePeriodSeconds", INT, KEEP), 11: ("labels", _STRINGS),
                   12: ("annotations", _STRINGS), 13: ("ownerReferences", "OwnerReference", REPEATED),
                   14: ("finalizers", STRING, REPEATED)},
    "OwnerReference": {1: ("kind", STRING), 3: ("name", STRING), 4: ("uid", STRING), 5: ("apiVersion", STRING),
                       6: ("controller", BOOL, KEEP), 7: ("blockOwnerDeletion", BOOL, KEEP)},
    "LabelSelector": {1: ("matchLabels", _STRINGS), 2: ("matchExpressions", "LabelSelectorRequirement", REPEATED)},
    "LabelSelectorRequirement": {1: ("key", STRING), 2: ("operator", STRING), 3: ("values", STRING, REPEATED)},
    "ObjectReference": {1: ("kind", STRING), 2: ("namespace", STRING), 3: ("name", STRING), 4: ("uid", STRING),
                        5: ("apiVersion", STRING), 6: ("resourceVersion", STRING), 7: ("fieldPath", STRING)},
    "LocalObjectReference": {1: ("name", STRING)},
    # meta/v1 DeleteOptions (a DELETE's body, an eviction's options), without
    # ignoreStoreReadErrorWithClusterBreakingPotential: kubectl never sets it, and a body that does gets 415
    "DeleteOptions": {1: ("gracePeriodSeconds", INT, KEEP), 2: ("preconditions", "Preconditions"),
                      3: ("orphanDependents", BOOL, KEEP), 4: ("propagationPolicy", STRING, KEEP),
                      5: ("dryRun", STRING, REPEATED)},
    "Preconditions": {1: ("uid", STRING, KEEP), 2: ("resourceVersion", STRING, KEEP)},
    # core/v1
    "Namespace": {1: ("metadata", "ObjectMeta"), 2: ("spec", "NamespaceSpec"), 3: ("status", DROP)},
    "NamespaceSpec": {1: ("finalizers", STRING, REPEATED)},
    "ConfigMap": {1: ("metadata", "ObjectMeta"), 2: ("data", _STRINGS), 3: ("binaryData", _map(BYTES)),
                  4: ("immutable", BOOL, KEEP)},
    "Secret": {1: ("metadata", "ObjectMeta"), 2: ("data", _map(BYTES)), 3: ("type", STRING),
               4: ("stringData", _STRINGS), 5: ("immutable", BOOL, KEEP)},
    "ServiceAccount": {1: ("metadata", "ObjectMeta"), 2: ("secrets", "ObjectReference", REPEATED),
                       3: ("imagePullSecrets", "LocalObjectReference", REPEATED),
                       4: ("automountServiceAccountToken", BOOL, KEEP)},
    "Service": {1: ("metadata", "ObjectMeta"), 2: ("spec", "ServiceSpec"), 3: ("status", DROP)},
    "ServiceSpec": {1: ("ports", "ServicePort", REPEATED), 2: ("selector", _STRINGS), 3: ("clusterIP", STRING),
                    4: ("type", STRING), 5: ("externalIPs", STRING, REPEATED), 7: ("sessionAffinity", STRING),
                    8: ("loadBalancerIP", STRING), 9: ("loadBalancerSourceRanges", STRING, REPEATED),
                    10: ("externalName", STRING), 11: ("externalTrafficPolicy", STRING),
                    12: ("healthCheckNodePort", INT), 13: ("publishNotReadyAddresses", BOOL),
                    17: ("ipFamilyPolicy", STRING), 18: ("clusterIPs", STRING, REPEATED),
                    19: ("ipFamilies", STRING, REPEATED), 20: ("allocateLoadBalancerNodePorts", BOOL, KEEP),
                    21: ("loadBalancerClass", STRING), 22: ("internalTrafficPolicy", STRING),
                    23: ("trafficDistribution", STRING)},
    "ServicePort": {1: ("name", STRING), 2: ("protocol", STRING), 3: ("port", INT, KEEP),
                    4: ("targetPort", INT_OR_STRING), 5: ("nodePort", INT), 6: ("appProtocol", STRING)},
    "Pod": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodSpec"), 3: ("status", DROP)},
    "PodTemplateSpec": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodSpec")},
    "PodSpec": {2: ("containers", "Container", REPEATED), 3: ("restartPolicy", STRING),
                4: ("terminationGracePeriodSeconds", INT, KEEP), 5: ("activeDeadlineSeconds", INT, KEEP),
                6: ("dnsPolicy", STRING), 7: ("nodeSelector", _STRINGS), 8: ("serviceAccountName", STRING),
                9: ("serviceAccount", STRING), 10: ("nodeName", STRING), 11: ("hostNetwork", BOOL),
                12: ("hostPID", BOOL), 13: ("hostIPC", BOOL),
                15: ("imagePullSecrets", "LocalObjectReference", REPEATED), 16: ("hostname", STRING),
                17: ("subdomain", STRING), 19: ("schedulerName", STRING),
                20: ("initContainers", "Container", REPEATED), 24: ("priorityClassName", STRING),
                25: ("priority", INT, KEEP), 29: ("runtimeClassName", STRING),
                30: ("enableServiceLinks", BOOL, KEEP), 31: ("preemptionPolicy", STRING),
                14: ("securityContext", "PodSecurityContext")},
    "PodSecurityContext": {},  # the empty one a server-defaulted template carries (kubectl create job --from)
    "Container": {1: ("name", STRING), 2: ("image", STRING), 3: ("command", STRING, REPEATED),
                  4: ("args", STRING, REPEATED), 5: ("workingDir", STRING), 6: ("ports", "ContainerPort", REPEATED),
                  7: ("env", "EnvVar", REPEATED), 8: ("resources", "ResourceRequirements"),
                  13: ("terminationMessagePath", STRING), 14: ("imagePullPolicy", STRING), 16: ("stdin", BOOL),
                  17: ("stdinOnce", BOOL), 18: ("tty", BOOL), 20: ("terminationMessagePolicy", STRING),
                  24: ("restartPolicy", STRING)},
    "ContainerPort": {1: ("name", STRING), 2: ("hostPort", INT), 3: ("containerPort", INT, KEEP),
                      4: ("protocol", STRING), 5: ("hostIP", STRING)},
    "EnvVar": {1: ("name", STRING), 2: ("value", STRING)},
    "ResourceRequirements": {1: ("limits", _map(QUANTITY)), 2: ("requests", _map(QUANTITY))},
    # apps/v1
    "Deployment": {1: ("metadata", "ObjectMeta"), 2: ("spec", "DeploymentSpec"), 3: ("status", DROP)},
    "DeploymentSpec": {1: ("replicas", INT, KEEP), 2: ("selector", "LabelSelector"),
                       3: ("template", "PodTemplateSpec"), 4: ("strategy", "DeploymentStrategy"),
                       5: ("minReadySeconds", INT), 6: ("revisionHistoryLimit", INT, KEEP), 7: ("paused", BOOL),
                       9: ("progressDeadlineSeconds", INT, KEEP)},
    "DeploymentStrategy": {1: ("type", STRING), 2: ("rollingUpdate", "RollingUpdateDeployment")},
    "RollingUpdateDeployment": {1: ("maxUnavailable", INT_OR_STRING), 2: ("maxSurge", INT_OR_STRING)},
    # batch/v1: `kubectl create job|cronjob` and `kubectl create job --from=cronjob/x` (the CronJob's template as
    # the server defaulted it)
    "Job": {1: ("metadata", "ObjectMeta"), 2: ("spec", "JobSpec"), 3: ("status", DROP)},
    "JobSpec": {1: ("parallelism", INT, KEEP), 2: ("completions", INT, KEEP), 3: ("activeDeadlineSeconds", INT, KEEP),
                4: ("selector", "LabelSelector"), 5: ("manualSelector", BOOL, KEEP), 6: ("template", "PodTemplateSpec"),
                7: ("backoffLimit", INT, KEEP), 8: ("ttlSecondsAfterFinished", INT, KEEP),
                9: ("completionMode", STRING, KEEP), 10: ("suspend", BOOL, KEEP),
                14: ("podReplacementPolicy", STRING, KEEP)},
    "CronJob": {1: ("metadata", "ObjectMeta"), 2: ("spec", "CronJobSpec"), 3: ("status", DROP)},
    "CronJobSpec": {1: ("schedule", STRING), 2: ("startingDeadlineSeconds", INT, KEEP),
                    3: ("concurrencyPolicy", STRING), 4: ("suspend", BOOL, KEEP), 5: ("jobTemplate", "JobTemplateSpec"),
                    6: ("successfulJobsHistoryLimit", INT, KEEP), 7: ("failedJobsHistoryLimit", INT, KEEP),
                    8: ("timeZone", STRING, KEEP)},
    "JobTemplateSpec": {1: ("metadata", "ObjectMeta"), 2: ("spec", "JobSpec")},
    # autoscaling
    "HorizontalPodAutoscalerV2": {1: ("metadata", "ObjectMeta"), 2: ("spec", "HorizontalPodAutoscalerSpecV2"),
                                  3: ("status", DROP)},
    "HorizontalPodAutoscalerSpecV2": {1: ("scaleTargetRef", "CrossVersionObjectReference"),
                                      2: ("minReplicas", INT, KEEP), 3: ("maxReplicas", INT, KEEP),
                                      4: ("metrics", "MetricSpec", REPEATED)},
    "HorizontalPodAutoscalerV1": {1: ("metadata", "ObjectMeta"), 2: ("spec", "HorizontalPodAutoscalerSpecV1"),
                                  3: ("status", DROP)},
    "HorizontalPodAutoscalerSpecV1": {1: ("scaleTargetRef", "CrossVersionObjectReference"),
                                      2: ("minReplicas", INT, KEEP), 3: ("maxReplicas", INT, KEEP),
                                      4: ("targetCPUUtilizationPercentage", INT, KEEP)},
    "CrossVersionObjectReference": {1: ("kind", STRING), 2: ("name", STRING), 3: ("apiVersion", STRING)},
    "MetricSpec": {1: ("type", STRING), 4: ("resource", "ResourceMetricSource")},
    "ResourceMetricSource": {1: ("name", STRING), 2: ("target", "MetricTarget")},
    "MetricTarget": {1: ("type", STRING), 2: ("value", QUANTITY), 3: ("averageValue", QUANTITY),
                     4: ("averageUtilization", INT, KEEP)},
    # authorization.k8s.io/v1, as `kubectl auth can-i` sends them
    "SelfSubjectAccessReview": {1: ("metadata", "ObjectMeta"), 2: ("spec", "SelfSubjectAccessReviewSpec"),
                                3: ("status", DROP)},
    "SelfSubjectAccessReviewSpec": {1: ("resourceAttributes", "ResourceAttributes"),
                                    2: ("nonResourceAttributes", "NonResourceAttributes")},
    "ResourceAttributes": {1: ("namespace", STRING), 2: ("verb", STRING), 3: ("group", STRING),
                           4: ("version", STRING), 5: ("resource", STRING), 6: ("subresource", STRING),
                           7: ("name", STRING)},
    "NonResourceAttributes": {1: ("path", STRING), 2: ("verb", STRING)},
    "SelfSubjectRulesReview": {1: ("metadata", "ObjectMeta"), 2: ("spec", "SelfSubjectRulesReviewSpec"),
                               3: ("status", DROP)},
    "SelfSubjectRulesReviewSpec": {1: ("namespace", STRING)},
    # authentication.k8s.io/v1, as `kubectl auth whoami` sends it (an empty status)
    "SelfSubjectReview": {1: ("metadata", "ObjectMeta"), 2: ("status", DROP)},
    # authentication.k8s.io/v1, as `kubectl create token` sends it (serviceaccounts/<name>/token)
    "TokenRequest": {1: ("metadata", "ObjectMeta"), 2: ("spec", "TokenRequestSpec"), 3: ("status", DROP)},
    "TokenRequestSpec": {1: ("audiences", STRING, REPEATED), 3: ("boundObjectRef", "BoundObjectReference"),
                         4: ("expirationSeconds", INT, KEEP)},
    "BoundObjectReference": {1: ("kind", STRING), 2: ("apiVersion", STRING), 3: ("name", STRING),
                             4: ("uid", STRING)},
    # policy/v1 (and v1beta1, the same message): pods/eviction's body from a client configured for protobuf
    "Eviction": {1: ("metadata", "ObjectMeta"), 2: ("deleteOptions", "DeleteOptions")},
    # policy/v1, as `kubectl create pdb` sends it (with a zero status); the spec's fields are all Go pointers
    "PodDisruptionBudget": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodDisruptionBudgetSpec"),
                            3: ("status", DROP)},
    "PodDisruptionBudgetSpec": {1: ("minAvailable", INT_OR_STRING, KEEP), 2: ("selector", "LabelSelector"),
                                3: ("maxUnavailable", INT_OR_STRING, KEEP),
                                4: ("unhealthyPodEvictionPolicy", STRING, KEEP)},
    # rbac.authorization.k8s.io/v1, as `kubectl create role|clusterrole|rolebinding|clusterrolebinding` send them
    "Role": {1: ("metadata", "ObjectMeta"), 2: ("rules", "PolicyRule", REPEATED)},
    "ClusterRole": {1: ("metadata", "ObjectMeta"), 2: ("rules", "PolicyRule", REPEATED),
                    3: ("aggregationRule", "AggregationRule")},
    "PolicyRule": {1: ("verbs", STRING, REPEATED), 2: ("apiGroups", STRING, REPEATED),
                   3: ("resources", STRING, REPEATED), 4: ("resourceNames", STRING, REPEATED),
                   5: ("nonResourceURLs", STRING, REPEATED)},
    "AggregationRule": {1: ("clusterRoleSelectors", "LabelSelector", REPEATED)},
    "RoleBinding": {1: ("metadata", "ObjectMeta"), 2: ("subjects", "Subject", REPEATED), 3: ("roleRef", "RoleRef")},
    "Subject": {1: ("kind", STRING), 2: ("apiGroup", STRING), 3: ("name", STRING), 4: ("namespace", STRING)},
    "RoleRef": {1: ("apiGroup", STRING), 2: ("kind", STRING), 3: ("name", STRING)},
}

TOP_LEVEL = {("v1", "Namespace"): "Namespace", ("v1", "ConfigMap"): "ConfigMap", ("v1", "Secret"): "Secret",
             ("v1", "ServiceAccount"): "ServiceAccount", ("v1", "Service"): "Service", ("v1", "Pod"): "Pod",
             ("apps/v1", "Deployment"): "Deployment", ("batch/v1", "Job"): "Job", ("batch/v1", "CronJob"): "CronJob",
             ("autoscaling/v2", "HorizontalPodAutoscaler"): "HorizontalPodAutoscalerV2",
             ("autoscaling/v1", "HorizontalPodAutoscaler"): "HorizontalPodAutoscalerV1",
             ("authorization.k8s.io/v1", "SelfSubjectAccessReview"): "SelfSubjectAccessReview",
             ("authorization.k8s.io/v1", "SelfSubjectRulesReview"): "SelfSubjectRulesReview",
             ("authentication.k8s.io/v1", "SelfSubjectReview"): "SelfSubjectReview",
             ("authentication.k8s.io/v1", "TokenRequest"): "TokenRequest",
             ("policy/v1", "Eviction"): "Eviction", ("policy/v1beta1", "Eviction"): "Eviction",
             ("policy/v1", "PodDisruptionBudget"): "PodDisruptionBudget",
             ("rbac.authorization.k8s.io/v1", "Role"): "Role",
             ("rbac.authorization.k8s.io/v1", "ClusterRole"): "ClusterRole",
             ("rbac.authorization.k8s.io/v1", "RoleBinding"): "RoleBinding",
             ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): "RoleBinding"}


class _Unsupported(Exception):
    pass


def decode(data: bytes) -> dict:
    """The JSON-shaped object carried by a protobuf request body (raises StatusError 400/415)."""
    if not data.startswith(MAGIC):
        raise errors.bad_request("the protobuf body does not start with the Kubernetes magic number")
    try:
        envelope = _message(memoryview(data)[len(MAGIC):], "Unknown")
        type_meta = envelope.get("typeMeta") or {}
        api_version, kind = type_meta.get("apiVersion", ""), type_meta.get("kind", "")
        if not api_version or not kind:
            raise ValueError("no apiVersion and kind in the envelope")
        # DeleteOptions are registered in every group-version: a typed client names its own ("v1", "apps/v1")
        name = "DeleteOptions" if kind == "DeleteOptions" else TOP_LEVEL.get((api_version, kind))
        if name is None:
            raise _Unsupported(f"{kind} in version {api_version}")
        obj = _message(memoryview(base64.b64decode(envelope.get("raw", ""))), name)
    except _Unsupported as e:
        raise StatusError(415, "UnsupportedMediaType", f"the sandbox does not decode protobuf for {e}; send it "
                          "as JSON or YAML instead (for example kubectl create ... -o yaml --dry-run=client | "
                          "kubectl apply -f -)") from None
    except (IndexError, ValueError, UnicodeDecodeError) as e:
        raise errors.bad_request(f"unable to decode the protobuf body: {e}") from None
    return {"apiVersion": api_version, "kind": kind, **obj}


def _varint(buf: memoryview, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        byte = buf[i]
        i += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, i
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _fields(buf: memoryview):
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            length, i = _varint(buf, i)
            if i + length > len(buf):
                raise ValueError("truncated field")
            value, i = buf[i:i + length], i + length
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        yield number, wire, value


def _message(buf: memoryview, name: str) -> dict:
    schema = MESSAGES[name]
    out: dict = {}
    for number, wire, value in _fields(buf):
        spec = schema.get(number)
        if spec is None:
            raise _Unsupported(f"field {number} of {name}")
        field, kind, *flags = spec
        if kind == DROP:
            continue
        decoded = _value(kind, wire, value)
        if REPEATED in flags:
            out.setdefault(field, []).append(decoded)
        elif isinstance(kind, tuple):
            out.setdefault(field, {}).update([decoded])
        else:
            out[field] = decoded
    for field, kind, *flags in schema.values():
        if field in out and not isinstance(kind, tuple) and REPEATED not in flags and KEEP not in flags \
                and out[field] in ("", 0, False, None):
            del out[field]
        elif field in out and out[field] is None:
            del out[field]
    return out


def _value(kind, wire: int, value):
    if isinstance(kind, tuple):  # a map entry: {1: key, 2: value}
        entry = {1: "", 2: "" if kind[1] != QUANTITY else None}
        for number, entry_wire, item in _fields(_bytes(wire, value)):
            entry[number] = _value(STRING if number == 1 else kind[1], entry_wire, item)
        return entry[1], entry[2]
    if kind == INT:
        return _signed(_varint_value(wire, value))
    if kind == BOOL:
        return bool(_varint_value(wire, value))
    if kind == STRING:
        return bytes(_bytes(wire, value)).decode()
    if kind == BYTES:
        return base64.b64encode(bytes(_bytes(wire, value))).decode()
    if kind == QUANTITY:
        return _message_fields(_bytes(wire, value)).get(1, "")
    if kind == INT_OR_STRING:
        parts = _message_fields(_bytes(wire, value), ints=(1, 2))
        return parts.get(3, "") if parts.get(1) == 1 else _signed(parts.get(2, 0))
    if kind == TIME:
        seconds = _message_fields(_bytes(wire, value), ints=(1, 2)).get(1, 0)
        if not seconds:
            return None
        return timestamps.rfc3339(seconds)
    return _message(_bytes(wire, value), kind)


def _message_fields(buf: memoryview, ints: tuple = ()) -> dict:
    out = {}
    for number, wire, value in _fields(buf):
        out[number] = _varint_value(wire, value) if number in ints else bytes(_bytes(wire, value)).decode()
    return out


def _bytes(wire: int, value) -> memoryview:
    if wire != 2:
        raise ValueError("expected a length-delimited field")
    return value


def _varint_value(wire: int, value) -> int:
    if wire != 0:
        raise ValueError("expected a varint field")
    return value


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value
