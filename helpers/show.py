"""show(): the tables `kubectl get` prints, as HTML in Jupyter and as text elsewhere."""
from __future__ import annotations

from datetime import datetime, timezone

from . import selectors
from .cluster import current, friendly
from .display import emit
from .tables import Table, kind_named, table

DEFAULT_KINDS = ("pods", "deployments", "replicasets", "services", "endpoints")


def tables(*kinds: str, namespace: str | None = None, wide: bool = False,
           selector: str | dict | None = None) -> list[Table]:
    """The tables show() displays, for code that wants them as objects."""
    conn = current()
    namespace = namespace or conn.namespace
    now = datetime.now(timezone.utc)
    out = []
    for name in kinds or DEFAULT_KINDS:
        kind = kind_named(name)
        objects = conn.api.items(kind.api_version, kind.kind, namespace if kind.namespaced else None,
                                 label_selector=selectors.to_query(selector))
        out.append(table(kind, objects, now=now, wide=wide, namespace=namespace))
    return out


@friendly
def show(*kinds: str, namespace: str | None = None, wide: bool = False, selector: str | dict | None = None) -> None:
    """Show tables of objects in the workshop namespace, with the columns `kubectl get` prints.

    show()                               # pods, deployments, replicasets, services, endpoints
    show("pods", wide=True)              # adds IP and NODE, like `kubectl get pods -o wide`
    show("deploy", "rs", selector="service=api")
    show("nodes")

    Names may be plural, singular or kubectl's short names (po, deploy, rs, svc, ep, no, hpa, so).
    """
    emit(*tables(*kinds, namespace=namespace, wide=wide, selector=selector))
