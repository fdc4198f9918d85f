"""The sandbox as a process: clean exit on SIGTERM, state that survives kill -9, the background daemon."""
import json

import pytest

from sandbox import daemon, kubeconfig
from tests.sandbox.conftest import Http

pytestmark = pytest.mark.sandbox


def test_sigterm_exits_cleanly(sandbox_factory):
    sandbox = sandbox_factory("--no-controllers")
    assert sandbox.kubectl("get", "ns", "default").returncode == 0
    assert sandbox.stop() == 0


def test_acknowledged_writes_survive_kill_9(sandbox_factory, tmp_path):
    state = str(tmp_path / "state.db")
    workdir = tmp_path / "run"
    first = sandbox_factory("--state", state, "--no-controllers", workdir=workdir)
    http = Http(first.kubeconfig, tmp_path / "ca.crt")
    assert http.post("/api/v1/namespaces", json={"metadata": {"name": "kept"}}).status_code == 201
    last_rv = 0
    for i in range(20):
        response = http.post("/api/v1/namespaces/kept/configmaps", json={"metadata": {"name": f"c{i}"},
                                                                        "data": {"i": str(i)}})
        assert response.status_code == 201
        last_rv = int(response.json()["metadata"]["resourceVersion"])
    assert http.request("DELETE", "/api/v1/namespaces/kept/configmaps/c0").status_code == 200
    token = kubeconfig.read(first.kubeconfig)["token"]
    first.kill()

    second = sandbox_factory("--state", state, "--no-controllers", workdir=workdir)
    assert kubeconfig.read(second.kubeconfig)["token"] == token, "clients keep working across a restart"
    http = Http(second.kubeconfig, tmp_path / "ca2.crt")
    names = [i["metadata"]["name"] for i in http.get("/api/v1/namespaces/kept/configmaps").json()["items"]]
    assert sorted(names) == sorted(f"c{i}" for i in range(1, 20))
    assert http.get("/api/v1/namespaces/kept/configmaps/c19").json()["data"] == {"i": "19"}
    created = http.post("/api/v1/namespaces/kept/configmaps", json={"metadata": {"name": "after"}}).json()
    assert int(created["metadata"]["resourceVersion"]) > last_rv + 1, "the resourceVersion never goes back"
    listed = json.loads(second.kubectl("get", "ns", "kept", "-o", "json").stdout)
    assert listed["status"]["phase"] == "Active"


def test_daemon_start_is_idempotent_and_stops(tmp_path):
    home = tmp_path / "home"
    try:
        first = daemon.start(home, time_scale=20, nodes=1)
        assert first.kubeconfig.exists() and first.log_path.exists() and first.url.startswith("https://127.0.0.1:")
        assert daemon.ready(first.kubeconfig)
        again = daemon.start(home)
        assert (again.pid, again.url) == (first.pid, first.url)
        assert daemon.status(home) == first
    finally:
        assert daemon.stop(home) is True
    assert daemon.status(home) is None
    assert daemon.stop(home) is False
    assert (home / "sandbox" / "state.db").exists(), "a stopped sandbox keeps its objects for the next start"
    daemon.reset(home)
    assert not (home / "sandbox" / "state.db").exists() and not (home / "sandbox" / "state.db.d").exists()
