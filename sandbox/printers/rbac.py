"""RBAC objects (printRole, printRoleBinding, printClusterRole, printClusterRoleBinding in
pkg/printers/internalversion/printers.go): roles print their creation time, bindings their role and, wide, the
subjects as rbac.SubjectsStrings sorts them out."""
from __future__ import annotations

import functools

from .common import (Column, Printer, age_column, age_of, as_dict, as_list, dig, doc, meta_doc, name_column,
                     name_of)

_BINDING = "io.k8s.api.rbac.v1.RoleBinding"


def created_at(obj) -> str:
    """CreationTimestamp.Time.UTC().Format(time.RFC3339): what kubectl shows under CREATED AT."""
    return dig(obj, "metadata", "creationTimestamp", default="")


@functools.cache
def role_printer() -> Printer:
    """Roles and ClusterRoles: NAME, CREATED AT."""
    return Printer((name_column(), Column("Created At", "date", description=meta_doc("creationTimestamp"))),
                   lambda obj, now, wide: [name_of(obj), created_at(obj)])


def subjects_strings(obj) -> tuple[str, str, str]:
    """rbac.SubjectsStrings: users, groups and service accounts (`namespace/name`), each joined with ", "."""
    users, groups, accounts = [], [], []
    for subject in as_list(obj, "subjects"):
        if not isinstance(subject, dict):
            continue
        kind, name = subject.get("kind"), str(subject.get("name", ""))
        if kind == "ServiceAccount":
            accounts.append(f"{subject.get('namespace', '')}/{name}")
        elif kind == "User":
            users.append(name)
        elif kind == "Group":
            groups.append(name)
    return ", ".join(users), ", ".join(groups), ", ".join(accounts)


def _binding_row(obj: dict, now: float, wide: bool) -> list:
    ref = as_dict(obj, "roleRef")
    return [name_of(obj), f"{ref.get('kind', '')}/{ref.get('name', '')}", age_of(obj, now), *subjects_strings(obj)]


@functools.cache
def binding_printer() -> Printer:
    """RoleBindings and ClusterRoleBindings: NAME, ROLE, AGE; wide: USERS, GROUPS, SERVICEACCOUNTS."""
    return Printer((
        name_column(), Column("Role", description=doc(_BINDING, "roleRef")), age_column(),
        Column("Users", priority=1, description="Users in the roleBinding"),
        Column("Groups", priority=1, description="Groups in the roleBinding"),
        Column("ServiceAccounts", priority=1, description="ServiceAccounts in the roleBinding"),
    ), _binding_row)
