"""apply(): what `kubectl apply` does, printing created / configured / unchanged per object.

Objects are sent with server-side apply (field manager `workshop`), so the API server merges them and
validates them strictly: a typo in a field name or a selector that does not match its template comes back
as the server's own error, naming the field.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kubernetes.client.exceptions import ApiException

from . import manifests
from .cluster import Connection, current, friendly
from .errors import WorkshopError, describe_api_exception

FIELD_MANAGER = "workshop"


@dataclass
class Outcome:
    ref: str  # kubectl's `kind.group/name`
    action: str  # created, configured, unchanged, or "" when it failed
    error: str = ""

    def line(self, dry_run: bool = False) -> str:
        return f"{self.ref} {self.action}{' (server dry run)' if dry_run else ''}"


def ordered(objects: list[dict]) -> list[dict]:
    """Namespaces first (the rest needs them), then the manifests' own order."""
    return sorted(objects, key=lambda o: 0 if o.get("kind") == "Namespace" else 1)


def _apply_one(conn: Connection, obj: dict, *, dry_run: bool, force: bool) -> Outcome:
    meta = obj.get("metadata") or {}
    name, namespace = meta.get("name", ""), meta.get("namespace")
    try:
        res = conn.api.resource(obj["apiVersion"], obj["kind"])
    except WorkshopError as exc:
        return Outcome(f"{obj['kind'].lower()}/{name}", "", f"resource mapping not found for name: \"{name}\" "
                       f"namespace: \"{namespace or ''}\": {exc}")
    ref = f"{res.qualified}/{name}"
    if not name:
        return Outcome(ref, "", "error: resource name may not be empty")
    try:
        before = conn.api.read(obj["apiVersion"], obj["kind"], name, namespace)
        after = conn.api.request(
            "PATCH", res.path(namespace, name), body=obj, content_type="application/apply-patch+yaml",
            params={"fieldManager": FIELD_MANAGER, "force": "true" if force else "false",
                    "fieldValidation": "Strict", "dryRun": "All" if dry_run else None})
    except ApiException as exc:
        return Outcome(ref, "", f"{describe_api_exception(exc)}")
    if before is None:
        return Outcome(ref, "created")
    if dry_run:  # nothing was written, so compare what would be stored with what is
        return Outcome(ref, "unchanged" if _same_spec(before, after) else "configured")
    same = before["metadata"].get("resourceVersion") == after["metadata"].get("resourceVersion")
    return Outcome(ref, "unchanged" if same else "configured")


def _same_spec(before: dict, after: dict) -> bool:
    strip = ("metadata", "status")
    return ({k: v for k, v in before.items() if k not in strip} == {k: v for k, v in after.items() if k not in strip}
            and before["metadata"].get("labels") == after["metadata"].get("labels"))


def place(conn: Connection, objects: list[dict], namespace: str | None = None) -> list[dict]:
    """The objects as they will be sent: in `namespace` (the connection's by default), namespaces first."""
    namespace = namespace or conn.namespace

    def namespaced(obj: dict) -> bool:
        try:
            return conn.api.resource(obj["apiVersion"], obj["kind"]).namespaced
        except WorkshopError:
            return True  # unknown kinds fail with a clear message when applied

    return [manifests.localize(obj, namespace, namespaced) for obj in ordered(objects)]


def apply_objects(conn: Connection, objects: list[dict], *, namespace: str | None = None, dry_run: bool = False,
                  force: bool = True) -> list[Outcome]:
    """Apply already-loaded objects in `namespace` (the connection's by default); one Outcome per object."""
    return [_apply_one(conn, obj, dry_run=dry_run, force=force) for obj in place(conn, objects, namespace)]


def report(outcomes: list[Outcome], dry_run: bool = False, quiet: bool = False) -> None:
    """Print one line per applied object; raise one WorkshopError listing every failure."""
    for outcome in outcomes:
        if outcome.action and not quiet:
            print(outcome.line(dry_run))
    failures = [o for o in outcomes if o.error]
    if failures:
        lines = [f"error when applying {o.ref}:\n{o.error}" if o.ref else o.error for o in failures]
        raise WorkshopError("\n".join(lines))


@friendly
def apply(source: str | Path, *, namespace: str | None = None, dry_run: bool = False, force: bool = True,
          quiet: bool = False) -> list[Outcome]:
    """Apply a manifest file, a folder, a kustomization folder or a YAML string, like `kubectl apply`.

    apply("manifests/04-cache")          # a kustomization: rendered with `kubectl kustomize`
    apply("my-pod.yaml")
    apply('''
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: settings}
    data: {mode: demo}
    ''')

    Objects land in your workshop namespace (containo, or containo-<learner>). Each object prints
    `created`, `configured` or `unchanged`. If the API server rejects an object, the cell stops with the
    server's message and the fields it names; the other objects are still applied.
    `dry_run=True` asks the server to validate without saving anything.
    """
    conn = current()
    outcomes = apply_objects(conn, manifests.load(source), namespace=namespace, dry_run=dry_run, force=force)
    report(outcomes, dry_run, quiet)
    return _Quiet(outcomes)


class _Quiet(list):
    """The outcomes, without echoing them again as the cell's value in Jupyter."""

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text("")

    def _ipython_display_(self) -> None:
        pass
