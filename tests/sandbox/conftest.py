"""Raw HTTPS access to the session sandbox, for what neither kubectl nor the client shows (status codes of bad
requests, headers, streams)."""
from __future__ import annotations

import pytest
import requests

from sandbox import kubeconfig


class Http:
    def __init__(self, kubeconfig_path, ca_path):
        config = kubeconfig.read(kubeconfig_path)
        self.url, self.token = config["url"], config["token"]
        ca_path.write_bytes(config["ca_pem"])
        self.ca_path = str(ca_path)
        self.session = requests.Session()

    def request(self, method: str, path: str, *, token: str | None = "default", **kwargs) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if token == "default":
            token = self.token
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        kwargs.setdefault("timeout", 30)
        kwargs["verify"] = self.ca_path  # per request: REQUESTS_CA_BUNDLE would override a session setting
        return self.session.request(method, self.url + path, headers=headers, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)


@pytest.fixture(scope="session")
def http(sandbox_process, tmp_path_factory):
    client = Http(sandbox_process.kubeconfig, tmp_path_factory.mktemp("ca") / "ca.crt")
    yield client
    client.session.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The streams tests' API server in a thread, one per test module (tests/sandbox/streams_harness.py)."""
    from tests.sandbox.streams_harness import StreamServer

    started = StreamServer(tmp_path_factory.mktemp("streams")).start()
    yield started
    started.stop()
