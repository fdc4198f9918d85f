"""The kubeconfig the sandbox writes for its clients: one cluster (HTTPS on loopback, the sandbox CA inline),
one user with the bearer token, one context `workshop-sandbox`. Written atomically with mode 0600, because it
holds the token and because a reader must never see half a file.

With the pod network, the cluster entry carries an extension naming its routing table, which helpers.connect()
reads to give the notebook kernel the network of a host on kind's docker network. Extensions are the
kubeconfig's place for what clients do not know ("extensions: [{name, extension}]"): kubectl and the kubernetes
client ignore them."""
from __future__ import annotations

import base64
import os
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


def write(path: str | os.PathLike, url: str, ca_pem: bytes, token: str, context: str = CONTEXT,
          pod_network: dict | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
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
