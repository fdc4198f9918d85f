"""show(): the tables `kubectl get` prints, as HTML in Jupyter and as text elsewhere."""
from __future__ import annotations

from collections.abc import Sequence

from . import selectors
from .cluster import current, friendly
from .display import emit
from .tables import Table, fetch, render

DEFAULT_KINDS = ("pods", "deployments", "replicasets", "services", "endpoints")


def tables(*kinds: str, namespace: str | None = None, wide: bool = False, selector: str | dict | None = None,
           label_columns: Sequence[str] = (), show_labels: bool = False) -> list[Table]:
    """The tables show() displays, for code that wants them as objects."""
    conn = current()
    namespace = namespace or conn.namespace
    out = []
    for name in kinds or DEFAULT_KINDS:
        resource = conn.api.named(name)
        server_table = fetch(conn.api, resource, namespace, label_selector=selectors.to_query(selector))
        out.append(render(resource, server_table, wide=wide, namespace=namespace, label_columns=label_columns,
                          show_labels=show_labels))
    return out


@friendly
def show(*kinds: str, namespace: str | None = None, wide: bool = False, selector: str | dict | None = None,
         label_columns: Sequence[str] = (), show_labels: bool = False) -> None:
    """Show tables of objects in the workshop namespace, with the columns `kubectl get` prints.

    show()                               # pods, deployments, replicasets, services, endpoints
    show("pods", wide=True)              # adds IP and NODE, like `kubectl get pods -o wide`
    show("deploy", "rs", selector="service=api")
    show("pods", label_columns=["service"])   # a SERVICE column, like `kubectl get pods -L service`
    show("nodes")

    Names may be plural, singular or kubectl's short names (po, deploy, rs, svc, ep, no, hpa, so): whatever the
    cluster's discovery lists, as kubectl resolves them.
    """
    emit(*tables(*kinds, namespace=namespace, wide=wide, selector=selector, label_columns=label_columns,
                 show_labels=show_labels))
