"""The sandbox's TLS material: a CA and a server certificate, made at first start with trustme. kubectl only
sends a bearer token over TLS, so the sandbox serves HTTPS and the CA goes into the kubeconfig. With a state
directory the files persist, so clients keep trusting the sandbox across restarts.

The certificate names what kube-apiserver's serving certificate names on kind: 127.0.0.1 and localhost (the
kubeconfig's address), the `kubernetes` Service's cluster IP and DNS names, and the control plane node's IP, so
an in-cluster client in a pod (https://kubernetes.default.svc, through the pod network) verifies it too. A state
directory made before these names were added keeps its old certificate: `workshop sandbox reset` makes a new
one."""
from __future__ import annotations

import os
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

import trustme

from sandbox.registry.allocators import KUBERNETES_SERVICE_IP
from sandbox.simulation.network import node_ip

CA_FILE, CERT_FILE, KEY_FILE = "ca.crt", "server.crt", "server.key"
SERVER_NAMES = ("127.0.0.1", "localhost", KUBERNETES_SERVICE_IP, "kubernetes", "kubernetes.default",
                "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", node_ip(0))


@dataclass(frozen=True)
class TLSFiles:
    ca_pem: bytes
    cert_chain_pem: bytes
    key_pem: bytes

    def server_context(self, workdir: Path | None = None) -> ssl.SSLContext:
        """An SSL context for the server; ssl loads files, so the chain and key go to `workdir` (kept) or to a
        private temporary directory removed once loaded."""
        if workdir is None:
            with tempfile.TemporaryDirectory(prefix="sandbox-tls-") as tmp:
                return self.server_context(Path(tmp))
        workdir.mkdir(parents=True, exist_ok=True)
        cert, key = workdir / CERT_FILE, workdir / KEY_FILE
        if not cert.exists() or cert.read_bytes() != self.cert_chain_pem:
            _write_private(cert, self.cert_chain_pem)
        if not key.exists() or key.read_bytes() != self.key_pem:
            _write_private(key, self.key_pem)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(cert), str(key))
        return context


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def generate() -> TLSFiles:
    ca = trustme.CA(organization_name="containo workshop sandbox")
    server = ca.issue_cert(*SERVER_NAMES, common_name="sandbox-apiserver")
    return TLSFiles(ca.cert_pem.bytes(), b"".join(blob.bytes() for blob in server.cert_chain_pems),
                    server.private_key_pem.bytes())


def load_or_create(directory: Path | None) -> TLSFiles:
    """Reuse the CA and certificate kept in `directory` if all are there, else make (and keep) new ones."""
    if directory is not None:
        paths = [directory / CA_FILE, directory / CERT_FILE, directory / KEY_FILE]
        if all(p.exists() for p in paths):
            return TLSFiles(*(p.read_bytes() for p in paths))
    files = generate()
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        _write_private(directory / CA_FILE, files.ca_pem)
        _write_private(directory / CERT_FILE, files.cert_chain_pem)
        _write_private(directory / KEY_FILE, files.key_pem)
    return files
