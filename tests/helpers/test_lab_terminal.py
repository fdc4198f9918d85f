"""`workshop lab` for real: the command starts the sandbox and JupyterLab; a terminal opened through
jupyter_server's REST and websocket API (what JupyterLab's Terminal tab does) runs the project's kubectl against the
sandbox in the workshop's namespace, even when the user's ~/.bashrc sets KUBECONFIG and PATH of its own; and the
settings API serves JupyterLab's news prompt and update check turned off by the project's override."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import websocket

from helpers import lab
from sandbox import daemon

pytestmark = pytest.mark.sandbox
TOKEN = "workshop-test-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def running_lab(tmp_path_factory):
    """`workshop lab --no-browser` with a home of its own and a PATH without the project's Python; a ~/.bashrc
    that points KUBECONFIG and PATH elsewhere, as a learner's laptop might."""
    home = tmp_path_factory.mktemp("lab-home")
    (home / ".bashrc").write_text("export KUBECONFIG=/nowhere/kubeconfig\nexport PATH=/usr/bin:/bin\n")
    port = free_port()
    env = {**os.environ, "HOME": str(home), "WORKSHOP_HOME": str(home / "workshop"), "JUPYTER_TOKEN": TOKEN,
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTER_CONFIG_DIR": str(home / "config"),
           "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"), "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
           "PATH": "/usr/bin:/bin"}
    for name in ("KUBECONFIG", "WORKSHOP_CONTEXT", "WORKSHOP_CLUSTER", "WORKSHOP_LEARNER"):
        env.pop(name, None)
    log = open(home / "lab.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "helpers.cli", "lab", "--no-browser", "--port", str(port),
                             "--runtime", "simulated"], env=env, stdout=log, stderr=subprocess.STDOUT,
                            cwd=Path(__file__).resolve().parents[2], start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            get(f"{url}/api/status?token={TOKEN}")
            break
        except OSError:
            assert proc.poll() is None, (home / "lab.log").read_text()
            time.sleep(0.3)
    else:
        pytest.fail("JupyterLab did not answer within 120 s:\n" + (home / "lab.log").read_text())
    yield url, home
    os.killpg(proc.pid, signal.SIGTERM)  # the workshop command and the JupyterLab it started: one session
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    log.close()
    daemon.stop(home / "workshop")


def run_in_terminal(url: str, command: str, end: str, timeout: float = 60) -> str:
    """Open a terminal (POST /api/terminals), type `command` into it, and return what it printed up to `end`."""
    request = urllib.request.Request(f"{url}/api/terminals?token={TOKEN}", method="POST", data=b"{}",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        name = json.loads(response.read())["name"]
    ws = websocket.create_connection(f"{url.replace('http', 'ws', 1)}/terminals/websocket/{name}?token={TOKEN}",
                                     timeout=timeout)
    try:
        ws.send(json.dumps(["stdin", command + "\r"]))
        seen, deadline = "", time.monotonic() + timeout
        while end not in seen.split(command)[-1] and time.monotonic() < deadline:
            message = json.loads(ws.recv())
            if message[0] == "stdout":
                seen += message[1]
        return seen
    finally:
        ws.close()


def test_the_terminal_runs_the_projects_kubectl_on_the_sandbox_in_the_workshop_namespace(running_lab):
    url, home = running_lab
    workshop = home / "workshop"
    out = run_in_terminal(url, "echo KUBECONFIG=$KUBECONFIG; command -v kubectl; kubectl get ns; "
                          "kubectl config view --minify -o jsonpath='{..namespace}'; echo; echo END-$((6*7))",
                          "END-42")
    assert f"KUBECONFIG={workshop}/kubeconfig:{workshop}/sandbox/kubeconfig" in out
    assert str(lab.python_bin() / "kubectl") in out
    assert "kube-system" in out and "Active" in out
    assert "kubectl: context workshop-sandbox, namespace containo" in out  # the terminal's first line
    assert "\r\ncontaino\r\n" in out  # the namespace of the current context


def test_the_settings_api_serves_the_news_prompt_and_update_check_turned_off(running_lab):
    url, _ = running_lab
    settings = get(f"{url}/lab/api/settings/@jupyterlab/apputils-extension:notification?token={TOKEN}")
    defaults = {key: value.get("default") for key, value in settings["schema"]["properties"].items()}
    assert defaults["fetchNews"] == "false" and defaults["checkForUpdates"] is False
    assert (lab.app_settings_dir() / "overrides.d" / lab.OVERRIDES_NAME).read_text() == lab.OVERRIDES.read_text()


def test_the_chapters_open_trusted_so_their_stored_pictures_show(running_lab):
    """jupyter_server marks each code cell of a notebook it serves trusted or not (the contents API): untrusted, its
    SVG outputs (topology()) would show as text until the cell runs again."""
    url, _home = running_lab
    for name in ("03-sidecar-pods.ipynb", "appendix-python-client.ipynb"):
        cells = get(f"{url}/api/contents/{name}?token={TOKEN}")["content"]["cells"]
        code = [cell for cell in cells if cell["cell_type"] == "code"]
        assert code and all(cell["metadata"].get("trusted") for cell in code), name
