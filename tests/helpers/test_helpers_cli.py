"""The `workshop` command line, offline: argument parsing, the environment it hands the helpers, and each command
with the sandbox daemon, kind and the helpers replaced by fakes."""
from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from helpers import cli, kind

REPO = Path(__file__).resolve().parents[2]


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    for command in ("up", "down", "check", "sandbox", "lab", "env", "jupyter-config", "learners", "reset", "progress"):
        assert any(line.startswith(f"    {command}") and line.split()[0] == command for line in out.splitlines())


def test_the_console_script_is_declared():
    assert 'workshop = "helpers.cli:main"' in (REPO / "pyproject.toml").read_text()


def test_bad_arguments_are_argparse_errors(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["lab", "--kind", "--context", "prod"])
    assert caught.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize("choice, kwargs, expected", [
    ("sandbox", {"kubeconfig": "/home/u/.workshop/sandbox/kubeconfig", "time_scale": 10.0},
     {"WORKSHOP_CLUSTER": "sandbox", "KUBECONFIG": "/home/u/.workshop/sandbox/kubeconfig",
      "KUBECACHEDIR": "/home/u/.workshop/sandbox/kubeconfig.kubectl-cache", "WORKSHOP_TIME_SCALE": "10"}),
    ("kind", {"learner": "alice"}, {"WORKSHOP_CLUSTER": "kind", "WORKSHOP_LEARNER": "alice"}),
    ("context", {"context": "aks-workshop"}, {"WORKSHOP_CLUSTER": "context", "WORKSHOP_CONTEXT": "aks-workshop"}),
])
def test_cluster_env_names_the_cluster_explicitly(choice, kwargs, expected):
    env = cli.environment(choice, **kwargs)
    assert env == expected


def test_learner_names_become_namespaces():
    assert cli.namespace_for(None) == "containo"
    assert cli.namespace_for("alice-2") == "containo-alice-2"
    for bad in ("Alice", "bob_smith", "-x", "a" * 60):
        with pytest.raises(cli.WorkshopError, match="invalid learner name"):
            cli.namespace_for(bad)


def test_lab_command_runs_jupyterlab_on_the_notebooks():
    command = cli.lab_command(port=8899, browser=False)
    assert command[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={REPO / 'notebooks'}" in command
    assert command[-2:] == ["--port=8899", "--no-browser"]


def test_up_kind_dry_run_prints_the_plan_and_runs_nothing(monkeypatch, capsys):
    monkeypatch.setattr(kind, "query", lambda command, runner=None: None)  # no kind, no docker here
    ran = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: ran.append(a))
    assert cli.main(["up", "--kind", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "$ kind create cluster --config" in out and "$ kind load docker-image containo-orders:dev" in out
    assert "dry run: nothing was executed" in out and ran == []


def test_up_kind_without_the_tools_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setattr(kind, "query", lambda command, runner=None: None)
    monkeypatch.setattr(kind.shutil, "which", lambda tool: None)
    assert cli.main(["up", "--kind"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("workshop up: not installed (or not on PATH): docker, kind, kubectl")


def fake_docker(monkeypatch, outputs: dict[str, str | None]) -> None:
    """kind.query answers from `outputs`, by the command's first words."""
    monkeypatch.setattr(kind, "query", lambda command, runner=None: next(
        (v for k, v in outputs.items() if " ".join(command).startswith(k)), None))


def test_down_kind_deletes_what_exists(monkeypatch, capsys):
    fake_docker(monkeypatch, {"kind get clusters": "workshop\n", "docker inspect": None, "docker ps": ""})
    assert cli.main(["down", "--kind", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "$ kind delete cluster --name workshop" in out and "docker rm" not in out


def test_down_kind_stops_cloud_provider_kind_with_sigterm_then_removes_leftovers_then_the_cluster(monkeypatch,
                                                                                                   capsys):
    fake_docker(monkeypatch, {"kind get clusters": "workshop\n", "docker inspect": "true \n",
                              "docker ps --all --quiet": "5d2f0c\n"})
    assert cli.main(["down", "--kind", "--dry-run"]) == 0
    commands = [line[2:] for line in capsys.readouterr().out.splitlines() if line.startswith("$ ")]
    assert [c.split()[:2] for c in commands] == [["docker", "stop"], ["docker", "rm"], ["docker", "rm"],
                                                 ["kind", "delete"]]
    assert commands[0] == "docker stop --signal SIGTERM -t 30 workshop-cloud-provider-kind"


@pytest.mark.parametrize("platform, operating_system, flag", [("darwin", None, True), ("linux", "Docker Desktop", True),
                                                              ("linux", "Debian GNU/Linux 13 (trixie)", False)])
def test_up_kind_passes_the_port_mapping_flag_where_docker_runs_in_a_vm(monkeypatch, capsys, platform,
                                                                       operating_system, flag):
    fake_docker(monkeypatch, {"docker info --format {{.OperatingSystem}}": operating_system})
    monkeypatch.setattr(kind.sys, "platform", platform)
    assert cli.main(["up", "--kind", "--dry-run"]) == 0
    out = capsys.readouterr().out
    [start] = [line for line in out.splitlines() if line.startswith("$ docker run ")]
    assert start.endswith("cloud-controller-manager:v0.11.1 --enable-lb-port-mapping") is flag
    assert ("Docker publishes each Service on a localhost port" in out) is flag
    assert "port-forward service/containo-orders-frontend 1337:1337" in out  # the fallback, in every case


class FakeDaemon:
    def __init__(self):
        self.calls = []
        self.running = None

    def start(self, home=None, *, time_scale=1.0, nodes=3, runtime=None):
        self.calls.append(("start", time_scale, nodes) + ((runtime,) if runtime else ()))
        self.running = types.SimpleNamespace(kubeconfig="/tmp/ws/sandbox/kubeconfig", pid=4242,
                                             url="https://127.0.0.1:43210", log_path="/tmp/ws/sandbox/log")
        return self.running

    def stop(self, home=None):
        self.calls.append(("stop",))
        was, self.running = self.running, None
        return was is not None

    def status(self, home=None):
        return self.running


@pytest.fixture
def daemon(monkeypatch, tmp_path):
    """A fake sandbox daemon; the environment the CLI exports for the helpers is restored afterwards. The
    terminal's kubeconfig goes to a WORKSHOP_HOME of the test's, the settings override to its own folder."""
    fake = FakeDaemon()
    monkeypatch.setattr(cli, "_sandbox", lambda: fake)
    monkeypatch.setattr(cli.lab, "install_overrides", lambda: tmp_path / "settings" / "overrides.json")
    saved = dict(os.environ)
    for name in ("KUBECONFIG", "WORKSHOP_CLUSTER", "WORKSHOP_CONTEXT", "WORKSHOP_LEARNER", "WORKSHOP_TIME_SCALE"):
        os.environ.pop(name, None)
    os.environ["WORKSHOP_HOME"] = str(tmp_path / "home")
    yield fake
    os.environ.clear()
    os.environ.update(saved)


def test_sandbox_start_passes_the_runtime_on(daemon):
    assert cli.main(["sandbox", "start", "--runtime", "simulated"]) == 0
    assert daemon.calls == [("start", 1.0, 3, "simulated")]


def test_sandbox_start_status_stop(daemon, capsys):
    assert cli.main(["sandbox", "status"]) == 1
    assert cli.main(["sandbox", "start", "--time-scale", "10", "--nodes", "2"]) == 0
    assert daemon.calls == [("start", 10.0, 2)]
    assert cli.main(["sandbox", "status"]) == 0
    assert cli.main(["sandbox", "stop"]) == 0
    out = capsys.readouterr().out
    assert "the sandbox is not running" in out and "sandbox running at https://127.0.0.1:43210 (pid 4242)" in out
    assert "export KUBECONFIG=/tmp/ws/sandbox/kubeconfig" in out and "sandbox stopped" in out


def test_lab_starts_the_sandbox_and_points_jupyter_at_it(daemon, monkeypatch, tmp_path):
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path))  # where the notebooks' trust is signed
    seen = {}
    monkeypatch.setattr(subprocess, "call", lambda command, env, cwd: seen.update(command=command, env=env, cwd=cwd)
                        or 0)
    assert cli.main(["lab", "--learner", "bob", "--no-browser"]) == 0
    assert daemon.calls == [("start", 1.0, 3)]
    assert seen["cwd"] == REPO / "notebooks"
    home = os.environ["WORKSHOP_HOME"]
    assert (seen["env"]["KUBECONFIG"], seen["env"]["WORKSHOP_CLUSTER"], seen["env"]["WORKSHOP_LEARNER"]) == (
        f"{home}/kubeconfig:/tmp/ws/sandbox/kubeconfig", "sandbox", "bob")
    assert seen["env"]["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    assert "--ServerApp.terminado_settings=" in seen["command"][-1] and "terminal.bashrc" in seen["command"][-1]


def test_lab_on_kind_does_not_start_the_sandbox(daemon, monkeypatch, tmp_path):
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path))  # where the notebooks' trust is signed
    seen = {}
    monkeypatch.setattr(subprocess, "call", lambda command, env, cwd: seen.update(env=env) or 0)
    assert cli.main(["lab", "--kind"]) == 0
    assert daemon.calls == []
    assert seen["env"]["WORKSHOP_CLUSTER"] == "kind"
    assert seen["env"]["KUBECONFIG"] == f"{os.environ['WORKSHOP_HOME']}/kubeconfig:{Path.home()}/.kube/config"


def fake_chapters(monkeypatch, *, reset_takes_to: bool):
    calls = []
    if reset_takes_to:
        def reset(cluster=None, to=None):
            calls.append(("reset", to))
    else:
        def reset(cluster=None):
            calls.append(("reset", None))
    module = types.SimpleNamespace(reset=reset, ensure_chapter=lambda n, cluster=None: calls.append(("ensure", n)))
    monkeypatch.setattr(cli, "_chapters", lambda: module)
    return calls


@pytest.mark.parametrize("takes_to, expected", [(True, [("reset", 4)]), (False, [("reset", None), ("ensure", 4)])])
def test_reset_to_a_chapter_delegates_to_the_helpers(daemon, monkeypatch, capsys, takes_to, expected):
    calls = fake_chapters(monkeypatch, reset_takes_to=takes_to)
    assert cli.main(["reset", "--to", "04"]) == 0
    assert calls == expected
    assert "ready for chapter 04" in capsys.readouterr().out


def test_reset_uses_the_learner_namespace(daemon, monkeypatch):
    calls = fake_chapters(monkeypatch, reset_takes_to=True)
    assert cli.main(["reset", "--kind", "--learner", "carol"]) == 0
    assert calls == [("reset", None)]
    assert (os.environ["WORKSHOP_CLUSTER"], os.environ["WORKSHOP_LEARNER"]) == ("kind", "carol")


def test_progress_reports_each_learner(daemon, monkeypatch, capsys):
    asked = []

    def progress(namespaces=None):
        asked.append(namespaces)
        found = namespaces or ["containo-alice", "containo-bob"]
        return {ns: {1: True, 2: ns == "containo-alice", 3: False} for ns in found}
    monkeypatch.setattr(cli, "_checks", lambda: types.SimpleNamespace(progress=progress))
    assert cli.main(["progress"]) == 0
    assert asked == [None]  # the helpers find the workshop namespaces themselves
    assert capsys.readouterr().out.splitlines()[-3:] == [
        "namespace          1     2     3",
        "containo-alice  PASS  PASS     -",
        "containo-bob    PASS     -     -",
    ]
    assert cli.main(["progress", "--learner", "dave", "--namespace", "containo"]) == 0
    assert asked[-1] == ["containo", "containo-dave"]


def test_helper_errors_are_messages_not_tracebacks(daemon, monkeypatch, capsys):
    from helpers.errors import WorkshopError

    def progress(namespaces=None):
        raise WorkshopError("The cluster at https://10.0.0.1 does not answer: is it running?")
    monkeypatch.setattr(cli, "_checks", lambda: types.SimpleNamespace(progress=progress))
    assert cli.main(["progress", "--context", "aks-workshop"]) == 1
    assert capsys.readouterr().err == "workshop progress: The cluster at https://10.0.0.1 does not answer: " \
                                      "is it running?\n"


def test_a_sandbox_that_cannot_start_is_a_message(daemon, monkeypatch, capsys):
    def start(**_):
        raise RuntimeError("port 6443 is in use")
    monkeypatch.setattr(daemon, "start", start)
    assert cli.main(["sandbox", "start"]) == 1
    assert capsys.readouterr().err == "workshop sandbox: the sandbox could not be started: port 6443 is in use\n"


def test_other_errors_keep_their_traceback(daemon, monkeypatch):
    monkeypatch.setattr(cli, "_checks", lambda: types.SimpleNamespace(progress=lambda *a: 1 / 0))
    with pytest.raises(ZeroDivisionError):
        cli.main(["progress", "--kind"])


def test_check_exit_code_follows_the_checks(monkeypatch, capsys):
    from helpers import preflight
    monkeypatch.setattr(preflight, "gather", lambda kind_path: [preflight.Check("kind", "fail", "missing", "fix")])
    assert cli.main(["check", "--kind"]) == 1
    monkeypatch.setattr(preflight, "gather", lambda kind_path: [preflight.Check("kubectl", "ok", "v1.37.1")])
    assert cli.main(["check"]) == 0
    assert "[ ok ] kubectl: v1.37.1" in capsys.readouterr().out


def test_lab_command_allows_root_only_when_running_as_root():
    assert "--allow-root" in cli.lab_command(as_root=True)
    assert "--allow-root" not in cli.lab_command(as_root=False)
