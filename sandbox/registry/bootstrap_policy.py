"""The RBAC objects kube-apiserver's bootstrap policy writes at start (plugin/pkg/auth/authorizer/rbac/
bootstrappolicy/policy.go, the rbac/bootstrap-roles post-start hook): the user-facing roles (cluster-admin and the
aggregated admin, edit and view with their system:aggregate-to-* sources), the system:* roles of the components, and
their bindings, each labelled `kubernetes.io/bootstrapping: rbac-defaults` and annotated for auto-update. The
per-controller roles (system:controller:*) are left out (sandbox/README.md). Nothing enforces them: the sandbox
authorizes every request."""
from __future__ import annotations

GROUP = "rbac.authorization.k8s.io"
READ = ["get", "list", "watch"]
WRITE = ["create", "delete", "deletecollection", "patch", "update"]
READ_WRITE = READ + WRITE
_LABELS = {"kubernetes.io/bootstrapping": "rbac-defaults"}
_ANNOTATIONS = {"rbac.authorization.kubernetes.io/autoupdate": "true"}
_AGGREGATE = "rbac.authorization.k8s.io/aggregate-to-"


def rule(verbs, groups=(), resources=(), urls=()) -> dict:
    out: dict = {"verbs": list(verbs)}
    if urls:
        return {**out, "nonResourceURLs": list(urls)}
    return {**out, "apiGroups": list(groups), "resources": list(resources)}


def _meta(name: str, labels: dict | None = None, namespace: str = "") -> dict:
    meta = {"name": name, "labels": {**_LABELS, **(labels or {})}, "annotations": dict(_ANNOTATIONS)}
    if namespace:
        meta["namespace"] = namespace
    return meta


def cluster_role(name: str, rules: list[dict], labels: dict | None = None, aggregate_from: str = "") -> dict:
    role = {"apiVersion": f"{GROUP}/v1", "kind": "ClusterRole", "metadata": _meta(name, labels), "rules": rules}
    if aggregate_from:
        role["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": {_AGGREGATE + aggregate_from: "true"}}]}
    return role


_VIEW = [
    rule(READ, [""], ["configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods",
                      "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services",
                      "services/status"]),
    rule(READ, [""], ["bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status",
                      "replicationcontrollers/status", "resourcequotas", "resourcequotas/status"]),
    rule(READ, [""], ["namespaces"]),
    rule(READ, ["discovery.k8s.io"], ["endpointslices"]),
    rule(READ, ["apps"], ["controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale",
                          "deployments/status", "replicasets", "replicasets/scale", "replicasets/status",
                          "statefulsets", "statefulsets/scale", "statefulsets/status"]),
    rule(READ, ["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
    rule(READ, ["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"]),
    rule(READ, ["extensions"], ["daemonsets", "daemonsets/status", "deployments", "deployments/scale",
                                "deployments/status", "ingresses", "ingresses/status", "networkpolicies",
                                "replicasets", "replicasets/scale", "replicasets/status",
                                "replicationcontrollers/scale"]),
    rule(READ, ["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
    rule(READ, ["networking.k8s.io"], ["ingresses", "ingresses/status", "networkpolicies"]),
]
_EDIT = [
    rule(["create", "delete", "deletecollection", "patch", "update"], [""],
         ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"]),
    rule(["create"], [""], ["pods/eviction"]),
    rule(["create", "delete", "deletecollection", "patch", "update"], [""],
         ["configmaps", "endpoints", "events", "persistentvolumeclaims", "replicationcontrollers",
          "replicationcontrollers/scale", "secrets", "serviceaccounts", "services", "services/proxy"]),
    rule(["create"], [""], ["serviceaccounts/token"]),
    rule(["create", "delete", "deletecollection", "patch", "update"], ["apps"],
         ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets",
          "replicasets/scale", "statefulsets", "statefulsets/scale"]),
    rule(["create", "delete", "deletecollection", "patch", "update"], ["autoscaling"], ["horizontalpodautoscalers"]),
    rule(["create", "delete", "deletecollection", "patch", "update"], ["batch"], ["cronjobs", "jobs"]),
    rule(["create", "delete", "deletecollection", "patch", "update"], ["policy"], ["poddisruptionbudgets"]),
    rule(["create", "delete", "deletecollection", "patch", "update"], ["networking.k8s.io"],
         ["ingresses", "networkpolicies"]),
    rule(["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
         ["coordination.k8s.io"], ["leases"]),
    rule(["impersonate"], [""], ["serviceaccounts"]),
    rule(READ, [""], ["secrets"]),
]
_ADMIN = [
    rule(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"]),
    rule(READ_WRITE, [GROUP], ["rolebindings", "roles"]),
]
_DISCOVERY_URLS = ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*",
                   "/readyz", "/version", "/version/"]


def cluster_roles() -> list[dict]:
    return [
        cluster_role("cluster-admin", [rule(["*"], ["*"], ["*"]), rule(["*"], urls=["*"])],
                     {"kubernetes.io/bootstrapping": "rbac-defaults"}),
        cluster_role("admin", [], aggregate_from="admin"),
        cluster_role("edit", [], {_AGGREGATE + "admin": "true"}, aggregate_from="edit"),
        cluster_role("view", [], {_AGGREGATE + "edit": "true"}, aggregate_from="view"),
        cluster_role("system:aggregate-to-admin", _ADMIN, {_AGGREGATE + "admin": "true"}),
        cluster_role("system:aggregate-to-edit", _EDIT, {_AGGREGATE + "edit": "true"}),
        cluster_role("system:aggregate-to-view", _VIEW, {_AGGREGATE + "view": "true"}),
        cluster_role("system:discovery", [rule(["get"], urls=_DISCOVERY_URLS)]),
        cluster_role("system:basic-user", [rule(["create"], ["authorization.k8s.io"],
                                                ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
                                           rule(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"])]),
        cluster_role("system:public-info-viewer", [rule(["get"], urls=["/healthz", "/livez", "/readyz", "/version",
                                                                        "/version/"])]),
        cluster_role("system:monitoring", [rule(["get"], urls=["/healthz", "/healthz/*", "/livez", "/livez/*",
                                                                "/metrics", "/metrics/slis", "/readyz",
                                                                "/readyz/*"])]),
        cluster_role("system:auth-delegator", [rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
                                               rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"])]),
        cluster_role("system:heapster", [rule(READ, [""], ["events", "namespaces", "nodes", "pods"]),
                                         rule(READ, ["extensions"], ["deployments"])]),
        cluster_role("system:kube-aggregator", [rule(READ, [""], ["endpoints", "services"])]),
        cluster_role("system:kube-dns", [rule(["list", "watch"], [""], ["endpoints", "services"])]),
        cluster_role("system:node-proxier", [
            rule(["list", "watch"], [""], ["endpoints", "services"]), rule(READ, [""], ["nodes"]),
            rule(["create", "patch", "update"], ["", "events.k8s.io"], ["events"]),
            rule(["list", "watch"], ["discovery.k8s.io"], ["endpointslices"])]),
        cluster_role("system:node-bootstrapper", [rule(["create", "get", "list", "watch"], ["certificates.k8s.io"],
                                                       ["certificatesigningrequests"])]),
        cluster_role("system:node-problem-detector", [
            rule(["get"], [""], ["nodes"]), rule(["patch"], [""], ["nodes/status"]),
            rule(["create", "patch", "update"], ["", "events.k8s.io"], ["events"])]),
        cluster_role("system:kube-scheduler", [
            rule(["create", "patch", "update"], ["", "events.k8s.io"], ["events"]),
            rule(["create"], ["coordination.k8s.io"], ["leases"]),
            rule(["get", "update"], ["coordination.k8s.io"], ["leases"]),
            rule(READ, [""], ["nodes"]), rule(["delete", "get", "list", "watch"], [""], ["pods"]),
            rule(["create"], [""], ["bindings", "pods/binding"]), rule(["patch", "update"], [""], ["pods/status"]),
            rule(READ, [""], ["replicationcontrollers", "services"]),
            rule(READ, ["apps", "extensions"], ["replicasets"]), rule(READ, ["apps"], ["statefulsets"]),
            rule(READ, ["policy"], ["poddisruptionbudgets"]),
            rule(READ, [""], ["persistentvolumeclaims", "persistentvolumes"]),
            rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
            rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]),
            rule(READ, ["storage.k8s.io"], ["csidrivers", "csinodes", "csistoragecapacities"])]),
        cluster_role("system:kube-controller-manager", [
            rule(["create", "patch", "update"], ["", "events.k8s.io"], ["events"]),
            rule(["create"], ["coordination.k8s.io"], ["leases"]),
            rule(["get", "update"], ["coordination.k8s.io"], ["leases"]),
            rule(["create"], [""], ["secrets", "serviceaccounts"]), rule(["delete"], [""], ["secrets"]),
            rule(["get"], [""], ["configmaps", "namespaces", "secrets", "serviceaccounts"]),
            rule(["update"], [""], ["secrets", "serviceaccounts"]),
            rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
            rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]),
            rule(["list", "watch"], ["*"], ["*"]), rule(["create"], [""], ["serviceaccounts/token"])]),
        cluster_role("system:volume-scheduler", [
            rule(["get", "list", "patch", "update", "watch"], [""], ["persistentvolumes"]),
            rule(READ, ["storage.k8s.io"], ["storageclasses"]),
            rule(["get", "list", "patch", "update", "watch"], [""], ["persistentvolumeclaims"])]),
        cluster_role("system:service-account-issuer-discovery", [
            rule(["get"], urls=["/.well-known/openid-configuration", "/.well-known/openid-configuration/",
                                "/openid/v1/jwks", "/openid/v1/jwks/"])]),
        cluster_role("system:certificates.k8s.io:certificatesigningrequests:nodeclient", [
            rule(["create"], ["certificates.k8s.io"], ["certificatesigningrequests/nodeclient"])]),
        cluster_role("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", [
            rule(["create"], ["certificates.k8s.io"], ["certificatesigningrequests/selfnodeclient"])]),
    ]


def _binding(kind: str, name: str, role_kind: str, role: str, subjects: list[dict], namespace: str = "") -> dict:
    return {"apiVersion": f"{GROUP}/v1", "kind": kind, "metadata": _meta(name, namespace=namespace),
            "roleRef": {"apiGroup": GROUP, "kind": role_kind, "name": role}, "subjects": subjects}


def _group(name: str) -> dict:
    return {"apiGroup": GROUP, "kind": "Group", "name": name}


def _user(name: str) -> dict:
    return {"apiGroup": GROUP, "kind": "User", "name": name}


def cluster_role_bindings() -> list[dict]:
    def bind(name, *subjects, role=""):
        return _binding("ClusterRoleBinding", name, "ClusterRole", role or name, list(subjects))
    return [
        bind("cluster-admin", _group("system:masters")),
        bind("system:basic-user", _group("system:authenticated")),
        bind("system:discovery", _group("system:authenticated")),
        bind("system:public-info-viewer", _group("system:authenticated"), _group("system:unauthenticated")),
        bind("system:monitoring", _group("system:monitoring")),
        bind("system:kube-scheduler", _user("system:kube-scheduler")),
        bind("system:kube-controller-manager", _user("system:kube-controller-manager")),
        bind("system:volume-scheduler", _user("system:kube-scheduler")),
        bind("system:node-proxier", _user("system:kube-proxy")),
        bind("system:kube-dns", {"kind": "ServiceAccount", "name": "kube-dns", "namespace": "kube-system"}),
        bind("system:service-account-issuer-discovery", _group("system:serviceaccounts")),
    ]


def namespaced() -> list[tuple[str, dict]]:
    """(namespace, Role or RoleBinding) of the kube-system and kube-public namespaces."""
    def role(namespace, name, rules):
        return namespace, {"apiVersion": f"{GROUP}/v1", "kind": "Role", "metadata": _meta(name, namespace=namespace),
                           "rules": rules}

    def binding(namespace, name, subjects, role=""):
        return namespace, _binding("RoleBinding", name, "Role", role or name, subjects, namespace)
    sa = {"kind": "ServiceAccount", "name": "", "namespace": "kube-system"}
    return [
        role("kube-system", "extension-apiserver-authentication-reader",
             [{"apiGroups": [""], "resourceNames": ["extension-apiserver-authentication"],
               "resources": ["configmaps"], "verbs": READ}]),
        role("kube-system", "system::leader-locking-kube-controller-manager",
             [rule(["watch"], [""], ["configmaps"]),
              {"apiGroups": [""], "resourceNames": ["kube-controller-manager"], "resources": ["configmaps"],
               "verbs": ["get", "update"]}]),
        role("kube-system", "system::leader-locking-kube-scheduler",
             [rule(["watch"], [""], ["configmaps"]),
              {"apiGroups": [""], "resourceNames": ["kube-scheduler"], "resources": ["configmaps"],
               "verbs": ["get", "update"]}]),
        binding("kube-system", "system::extension-apiserver-authentication-reader",
                [_user("system:kube-controller-manager"), _user("system:kube-scheduler")],
                role="extension-apiserver-authentication-reader"),
        binding("kube-system", "system::leader-locking-kube-controller-manager",
                [_user("system:kube-controller-manager"), {**sa, "name": "kube-controller-manager"}]),
        binding("kube-system", "system::leader-locking-kube-scheduler",
                [_user("system:kube-scheduler"), {**sa, "name": "kube-scheduler"}]),
    ]
