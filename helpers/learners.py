"""`workshop learners create alice bob ...`: one shared cluster, one namespace per learner, and a kubeconfig each.

For learner `alice` (the instructor runs this with a cluster-admin context):

    Namespace           containo-alice              labelled workshop.containo/learner=alice
    ServiceAccount      containo-alice/alice        whose token the kubeconfig carries
    Role, RoleBinding   containo-alice/workshop-learner   what the chapters do inside the namespace (ROLE_RULES)
    ClusterRole, ClusterRoleBinding   workshop-learner-alice   read nodes, namespaces and node metrics (chapters
                        00 and 01 list them), and get/patch/update the learner's own Namespace object (chapter 01
                        labels it) and no other
    <out>/alice.kubeconfig   the cluster's address and CA, the token (TokenRequest, valid --duration), context
                        workshop-alice in namespace containo-alice: connect() then works there with no
                        WORKSHOP_LEARNER (helpers.cluster.context_learner)

Confinement is RBAC's to enforce: on a cluster that enforces it (kind, every managed cluster) alice can change
nothing outside containo-alice but her Namespace's labels; the sandbox authorizes every request, so there the objects
and kubeconfigs can be tried, not the confinement. Running create again re-applies the objects (server-side apply)
and writes a fresh token. `delete` removes the namespace (with everything in it, the account and so its tokens) and
the cluster role and binding."""
from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from kubernetes.client.exceptions import ApiException

from .cluster import Connection, friendly, namespace_for
from .errors import WorkshopError

LEARNER_LABEL = "workshop.containo/learner"
FIELD_MANAGER = "workshop-learners"
ROLE = "workshop-learner"
DEFAULT_DURATION = 12 * 3600  # a workshop's day
ALL = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]
READ = ["get", "list", "watch"]
# What the chapters do inside the learner's namespace, nothing else (no Roles, bindings, quotas or limit ranges: an
# instructor's ResourceQuota stays the instructor's).
ROLE_RULES = [
    {"apiGroups": [""], "resources": ["pods", "services", "configmaps", "secrets", "persistentvolumeclaims"],
     "verbs": ALL},
    {"apiGroups": [""], "resources": ["pods/log", "pods/status", "endpoints", "events", "serviceaccounts"],
     "verbs": READ},
    {"apiGroups": [""], "resources": ["pods/exec", "pods/portforward", "pods/attach"], "verbs": ["get", "create"]},
    {"apiGroups": ["apps"], "resources": ["deployments", "replicasets", "statefulsets"], "verbs": ALL},
    {"apiGroups": ["apps"], "resources": ["deployments/scale", "replicasets/scale", "statefulsets/scale"],
     "verbs": ["get", "update", "patch"]},
    {"apiGroups": ["apps"], "resources": ["deployments/status", "replicasets/status"], "verbs": READ},
    {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": ALL},
    {"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"], "verbs": ALL},
    {"apiGroups": ["keda.sh"], "resources": ["scaledobjects", "triggerauthentications"], "verbs": ALL},
    {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": READ},
    {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": READ},
    {"apiGroups": ["metrics.k8s.io"], "resources": ["pods"], "verbs": ["get", "list"]},
]


def cluster_rules(namespace: str) -> list[dict]:
    """Cluster-wide reads the chapters make, and the learner's own Namespace object (by name: no other)."""
    return [{"apiGroups": [""], "resources": ["nodes", "namespaces"], "verbs": READ},
            {"apiGroups": ["metrics.k8s.io"], "resources": ["nodes"], "verbs": ["get", "list"]},
            {"apiGroups": [""], "resources": ["namespaces"], "resourceNames": [namespace],
             "verbs": ["get", "patch", "update"]}]


def objects(learner: str) -> list[dict]:
    """Every object `create` applies for one learner, in order."""
    namespace = namespace_for(learner)
    labels = {LEARNER_LABEL: learner}
    cluster_name = f"{ROLE}-{learner}"
    subject = [{"kind": "ServiceAccount", "name": learner, "namespace": namespace}]
    rbac = "rbac.authorization.k8s.io/v1"
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace, "labels": labels}},
        {"apiVersion": "v1", "kind": "ServiceAccount",
         "metadata": {"name": learner, "namespace": namespace, "labels": labels}},
        {"apiVersion": rbac, "kind": "Role", "metadata": {"name": ROLE, "namespace": namespace, "labels": labels},
         "rules": ROLE_RULES},
        {"apiVersion": rbac, "kind": "RoleBinding",
         "metadata": {"name": ROLE, "namespace": namespace, "labels": labels}, "subjects": subject,
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": ROLE}},
        {"apiVersion": rbac, "kind": "ClusterRole", "metadata": {"name": cluster_name, "labels": labels},
         "rules": cluster_rules(namespace)},
        {"apiVersion": rbac, "kind": "ClusterRoleBinding", "metadata": {"name": cluster_name, "labels": labels},
         "subjects": subject,
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": cluster_name}},
    ]


def parse_duration(text: str) -> int:
    """`12h`, `90m`, `1h30m`, `3600s` or `3600` -> seconds (kubectl's --duration style)."""
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?", text.strip())
    if not text.strip() or not match or not any(match.groups()):
        raise WorkshopError(f"{text!r} is not a duration: write it like 12h, 90m or 1h30m")
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


@dataclass(frozen=True)
class Issued:
    learner: str
    namespace: str
    kubeconfig: Path
    expires: str


def _apply(conn: Connection, obj: dict) -> None:
    meta = obj["metadata"]
    res = conn.api.resource(obj["apiVersion"], obj["kind"])
    conn.api.request("PATCH", res.path(meta.get("namespace"), meta["name"]), body=obj,
                     content_type="application/apply-patch+yaml",
                     params={"fieldManager": FIELD_MANAGER, "force": "true", "fieldValidation": "Strict"})


def _cluster_entry(conn: Connection, server: str | None) -> dict:
    """The learner's view of the cluster: the instructor's address (or `server`) and CA, inline."""
    configuration = conn.api.client.configuration
    entry = {"server": server or configuration.host}
    if not configuration.verify_ssl:
        entry["insecure-skip-tls-verify"] = True
    elif configuration.ssl_ca_cert:
        entry["certificate-authority-data"] = base64.b64encode(Path(configuration.ssl_ca_cert).read_bytes()).decode()
    return entry


def kubeconfig(learner: str, cluster: dict, token: str, cluster_name: str) -> dict:
    """A kubeconfig with one context, workshop-<learner>, in the learner's namespace."""
    context = f"workshop-{learner}"
    return {"apiVersion": "v1", "kind": "Config", "preferences": {},
            "clusters": [{"name": cluster_name, "cluster": cluster}],
            "users": [{"name": context, "user": {"token": token}}],
            "contexts": [{"name": context, "context": {"cluster": cluster_name, "user": context,
                                                       "namespace": namespace_for(learner)}}],
            "current-context": context}


def _write_private(path: Path, config: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump(config, f, sort_keys=False)
    os.replace(tmp, path)


@friendly
def create(conn: Connection, learners: list[str], out: Path, *, duration: int = DEFAULT_DURATION,
           server: str | None = None) -> list[Issued]:
    """Apply every learner's objects, ask a token for each account and write <out>/<learner>.kubeconfig."""
    for learner in learners:
        namespace_for(learner)  # every name is checked before anything is written
    cluster = _cluster_entry(conn, server)
    issued = []
    for learner in learners:
        namespace = namespace_for(learner)
        for obj in objects(learner):
            _apply(conn, obj)
        answer = conn.api.request(
            "POST", f"/api/v1/namespaces/{namespace}/serviceaccounts/{learner}/token",
            body={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                  "spec": {"expirationSeconds": duration}})
        path = out / f"{learner}.kubeconfig"
        _write_private(path, kubeconfig(learner, cluster, answer["status"]["token"], conn.context))
        issued.append(Issued(learner, namespace, path, answer["status"]["expirationTimestamp"]))
    return issued


@friendly
def delete(conn: Connection, learners: list[str]) -> list[str]:
    """Delete each learner's namespace (and so its account, tokens and work) and cluster role and binding."""
    removed = []
    for learner in learners:
        for obj in reversed(objects(learner)):
            if obj["kind"] not in ("Namespace", "ClusterRole", "ClusterRoleBinding"):
                continue  # inside the namespace: they go with it
            res = conn.api.resource(obj["apiVersion"], obj["kind"])
            try:
                conn.api.request("DELETE", res.path(None, obj["metadata"]["name"]))
                removed.append(f"{res.qualified}/{obj['metadata']['name']}")
            except ApiException as exc:
                if exc.status != 404:
                    raise
    return removed


@friendly
def listed(conn: Connection) -> list[tuple[str, str, str]]:
    """(learner, namespace, phase) of every namespace `create` made."""
    found = conn.api.items("v1", "Namespace", label_selector=LEARNER_LABEL)
    return sorted((ns["metadata"]["labels"][LEARNER_LABEL], ns["metadata"]["name"],
                   (ns.get("status") or {}).get("phase", "")) for ns in found)
