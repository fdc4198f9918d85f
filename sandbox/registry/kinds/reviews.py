"""The self reviews: authorization.k8s.io's SelfSubjectAccessReview and SelfSubjectRulesReview (`kubectl auth
can-i`) and authentication.k8s.io's SelfSubjectReview (`kubectl auth whoami`). Like kube-apiserver's, they are
answered on create and never stored (no uid, no resourceVersion). The sandbox's one user may do everything, so
every access review is allowed, with the reason an RBAC cluster-admin binding would give."""
from __future__ import annotations

from sandbox.machinery import errors, field_errors, fields, resources
from sandbox.machinery.field_errors import GoRepr, go_quote
from sandbox.machinery.resources import ResourceType
from sandbox.printers import default_printer
from sandbox.registry.kind import Kind, Storage
from sandbox.registry.strategy import Strategy
from sandbox.registry.tokens import REQUEST_USER

GROUP = "authorization.k8s.io"
# The one user the bearer token authenticates, named after the kubeconfig's user. The authenticator adds
# system:authenticated to every authenticated user; the user belongs to no other group (its rights come from the
# binding below, to the user itself).
USER = "workshop-sandbox"
GROUPS = ("system:authenticated",)
# The binding the sandbox's one user is said to hold (as kind's kubeadm:cluster-admins binding is worded).
ALLOWED_REASON = ('RBAC: allowed by ClusterRoleBinding "workshop-sandbox" of ClusterRole "cluster-admin" '
                  f'to User "{USER}"')
ALL_RULES = {
    "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
    "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
    "incomplete": False,
}


def answer(rt: ResourceType, obj: dict, now: str) -> dict:
    """The response to creating the decoded review `obj` at timestamp `now`."""
    if rt.kind == "SelfSubjectReview":
        return _self_subject_review(rt, now)
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        spec = {}
    if rt.kind == "SelfSubjectAccessReview":
        _check_access_spec(spec)
        status = {"allowed": True, "reason": ALLOWED_REASON}
    else:
        status = {key: (list(value) if isinstance(value, list) else value) for key, value in ALL_RULES.items()}
    # metadata as the apiserver echoes it: what the client sent, nothing the server would set on a stored object
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k in ("name", "generateName", "labels",
                                                                          "annotations")}
    return {"kind": rt.kind, "apiVersion": rt.api_version, "metadata": meta, "spec": spec, "status": status}


def _self_subject_review(rt: ResourceType, now: str) -> dict:
    """What the request's user is, whatever the body said: kube-apiserver builds a new object (only a
    creationTimestamp in its metadata; no uid or extra for the sandbox's token user, so they are left out; a
    service account's token user has both, tokens.py)."""
    user = REQUEST_USER.get()
    if user is None:
        info = {"username": USER, "groups": list(GROUPS)}
    else:
        info = {"username": user.username, "uid": user.uid, "groups": list(user.groups),
                "extra": {key: list(values) for key, values in user.extra.items()}}
    return {"kind": rt.kind, "apiVersion": rt.api_version, "metadata": {"creationTimestamp": now},
            "status": {"userInfo": info}}


def _check_access_spec(spec: dict) -> None:
    """ValidateSelfSubjectAccessReviewSpec: exactly one of resourceAttributes and nonResourceAttributes. The
    error names kind "" (the internal object has no kind set), so it reads `.authorization.k8s.io "" is invalid`."""
    resource, non_resource = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if (resource is None) == (non_resource is None):
        raise errors.invalid(GROUP, "", "", [field_errors.invalid(
            "spec", _go_non_resource(non_resource),
            "exactly one of nonResourceAttributes or resourceAttributes must be specified")])


def _go_non_resource(value):
    """The bad value Go renders: the nonResourceAttributes pointer (nil, or the struct as %#v prints it)."""
    if not isinstance(value, dict):
        return None
    return GoRepr(f"v1.NonResourceAttributes{{Path:{go_quote(str(value.get('path', '')))}, "
                  f"Verb:{go_quote(str(value.get('verb', '')))}}}")


class ReviewStorage(Storage):
    """The reviews' REST storage: Create answers, nothing is stored."""

    def create(self, rt: ResourceType, namespace: str | None, obj: dict) -> dict:
        return answer(rt, obj, self.registry.clock.timestamp())


def _review_kind(rt: ResourceType) -> Kind:
    return Kind(types=(rt,), strategy=Strategy(), defaults=None, validate=None, printer=default_printer,
                field_labels=fields.labels(), scale=False, storage=ReviewStorage)


KINDS = tuple(_review_kind(resources.lookup(group, "v1", plural)) for group, plural in (
    ("authentication.k8s.io", "selfsubjectreviews"), ("authorization.k8s.io", "selfsubjectaccessreviews"),
    ("authorization.k8s.io", "selfsubjectrulesreviews")))
