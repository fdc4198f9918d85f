"""The kubeconfig the sandbox writes for its clients: one cluster (HTTPS on loopback, the sandbox CA inline),
one user with the bearer token, one context `workshop-sandbox`. Written atomically with mode 0600, because it
holds the token and because a reader must never see half a file.

With the pod network, the cluster entry carries an extension naming its routing table, which helpers.connect()
reads to give the notebook kernel the network of a host on kind's docker network. Extensions are the
kubeconfig's place for what clients do not know ("extensions: [{name, extension}]"): kubectl and the kubernetes
client ignore them.

Beside it, `<kubeconfig>.kubectl-cache/` is where kubectl should keep what it discovers about this sandbox
(discovery_cache): emptied whenever a sandbox writes the kubeconfig."""
from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

import yaml

CONTEXT = "workshop-sandbox"
POD_NETWORK_EXTENSION = "pod-network.workshop-sandbox"


def render(url: str, ca_pem: bytes, token: str, context: str = CONTEXT, pod_network: dict | None = None) -> dict:
    cluster = {"server": url, "certificate-authority-data": base64.b64encode(ca_pem).decode()}
    if pod_network:
        cluster["extensions"] = [{"name": POD_NETWORK_EXTENSION, "extension": pod_network}]
    return {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": context, "cluster": cluster}],
        "users": [{"name": context, "user": {"token": token}}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
        "current-context": context,
    }


def discovery_cache(path: str | os.PathLike) -> Path:
    """The folder kubectl should cache this sandbox's discovery in (`kubectl --cache-dir`, or KUBECACHEDIR).

    kubectl's default, ~/.kube/cache/discovery/<host>_<port>/, is keyed by address only, and it trusts what it
    cached there for hours. A sandbox listens on whatever free port it is given, often one an earlier sandbox or
    kind cluster had: kubectl then lists that cluster's resource types (seen: `kubectl get all` asking a new sandbox
    for an old sandbox's custom resource, "the server doesn't have a resource type"). A folder of this sandbox's
    own, emptied by each start, cannot hold another cluster's answers."""
    path = Path(path)
    return path.with_name(path.name + ".kubectl-cache")


def write(path: str | os.PathLike, url: str, ca_pem: bytes, token: str, context: str = CONTEXT,
          pod_network: dict | None = None) -> Path:
    """Write the kubeconfig of a sandbox now serving at `url`, and forget what kubectl discovered about an
    earlier one (discovery_cache)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(discovery_cache(path), ignore_errors=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump(render(url, ca_pem, token, context, pod_network), f, sort_keys=False)
    os.replace(tmp, path)
    return path


def read(path: str | os.PathLike) -> dict:
    """(server url, CA PEM bytes, token, pod network extension or None) of the sandbox context in a kubeconfig
    we wrote."""
    with open(path) as f:
        config = yaml.safe_load(f) or {}
    cluster = next(c["cluster"] for c in config.get("clusters", []) if c.get("name") == CONTEXT)
    user = next(u["user"] for u in config.get("users", []) if u.get("name") == CONTEXT)
    pod_network = next((e.get("extension") for e in cluster.get("extensions") or []
                        if e.get("name") == POD_NETWORK_EXTENSION), None)
    return {"url": cluster["server"], "ca_pem": base64.b64decode(cluster["certificate-authority-data"]),
            "token": user["token"], "pod_network": pod_network}
