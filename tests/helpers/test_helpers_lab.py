"""helpers.lab offline: the terminal's kubeconfig (the workshop's context and namespace in front of the cluster's
kubeconfig), its environment, the settings override and the server config the images install, `workshop env`,
and the learner a kubeconfig context's namespace names."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers import cli, lab
from helpers.cluster import context_learner, learner_of

KIND_CONFIG = {"apiVersion": "v1", "kind": "Config", "current-context": "prod",
               "clusters": [{"name": "kind-workshop", "cluster": {"server": "https://127.0.0.1:6443"}}],
               "users": [{"name": "kind-workshop", "user": {"token": "t"}}],
               "contexts": [{"name": "prod", "context": {"cluster": "prod", "user": "prod"}},
                            {"name": "kind-workshop", "context": {"cluster": "kind-workshop", "user": "kind-workshop"}}]}


def test_the_terminal_kubeconfig_puts_the_workshop_context_and_namespace_first(tmp_path):
    source = tmp_path / "config"
    source.write_text(yaml.safe_dump(KIND_CONFIG))
    value = lab.terminal_kubeconfig("kind-workshop", "containo-alice", str(source), home=tmp_path / "home")
    overlay = tmp_path / "home" / "kubeconfig"
    assert value == f"{overlay}{os.pathsep}{source}"
    written = yaml.safe_load(overlay.read_text())
    assert written["current-context"] == "kind-workshop"
    assert written["contexts"] == [{"name": "kind-workshop", "context": {
        "cluster": "kind-workshop", "user": "kind-workshop", "namespace": "containo-alice"}}]
    assert overlay.stat().st_mode & 0o077 == 0
    assert yaml.safe_load(source.read_text())["current-context"] == "prod"  # the user's file is never written


def test_real_kubectl_reads_the_list_as_one_config(tmp_path):
    source = tmp_path / "config"
    source.write_text(yaml.safe_dump(KIND_CONFIG))
    kubeconfig = lab.terminal_kubeconfig("kind-workshop", "containo", str(source), home=tmp_path)
    kubectl = str(lab.python_bin() / "kubectl")
    view = subprocess.run([kubectl, "config", "view", "--minify", "-o", "json"], capture_output=True, text=True,
                          env={**os.environ, "KUBECONFIG": kubeconfig}, check=True)
    config = json.loads(view.stdout)
    assert config["current-context"] == "kind-workshop"
    assert config["contexts"][0]["context"]["namespace"] == "containo"
    assert config["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:6443"


def test_a_context_the_source_does_not_have_yet_is_named_as_the_sandbox_names_its_own(tmp_path):
    lab.terminal_kubeconfig("workshop-sandbox", "containo", str(tmp_path / "not-yet"), home=tmp_path)
    written = yaml.safe_load((tmp_path / "kubeconfig").read_text())
    assert written["contexts"][0]["context"] == {"cluster": "workshop-sandbox", "user": "workshop-sandbox",
                                                 "namespace": "containo"}


def test_the_terminal_environment_puts_the_projects_python_directory_first_once(tmp_path):
    bin_dir = str(Path(sys.executable).parent)
    env = lab.terminal_environment("workshop-sandbox", "containo", str(tmp_path / "kc"), home=tmp_path,
                                   path=os.pathsep.join(["/usr/bin", bin_dir, "/bin"]))
    assert env["PATH"] == os.pathsep.join([bin_dir, "/usr/bin", "/bin"]) and env["WORKSHOP_BIN"] == bin_dir
    assert env["KUBECONFIG"] == env["WORKSHOP_KUBECONFIG"] == f"{tmp_path}/kubeconfig{os.pathsep}{tmp_path}/kc"


def test_the_override_turns_off_the_news_and_the_update_check(tmp_path):
    assert json.loads(lab.OVERRIDES.read_text()) == {"@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false", "checkForUpdates": False}}
    target = lab.install_overrides(tmp_path)
    assert target == tmp_path / "overrides.d" / "containo-workshop.json"
    assert target.read_text() == lab.OVERRIDES.read_text()
    assert lab.install_overrides(tmp_path) == target  # again: unchanged


def test_images_get_the_terminal_shell_as_server_config(tmp_path):
    target = lab.install_server_config(tmp_path)
    config = json.loads(target.read_text())
    assert target == tmp_path / "etc" / "jupyter" / "jupyter_server_config.d" / "containo-workshop.json"
    shell = config["ServerApp"]["terminado_settings"]["shell_command"]
    assert shell[1:] == ["--rcfile", str(lab.TERMINAL_RC), "-i"] and Path(shell[0]).name == "bash"
    assert lab.server_arguments() == [f"--ServerApp.terminado_settings={json.dumps({'shell_command': shell})}"]


def test_the_rc_file_wins_over_the_users_bashrc(tmp_path):
    (tmp_path / ".bashrc").write_text("export KUBECONFIG=/elsewhere\nexport PATH=/usr/bin:/bin\n")
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "WORKSHOP_BIN": str(lab.python_bin()),
           "WORKSHOP_KUBECONFIG": str(tmp_path / "kc")}
    shell = subprocess.run(["bash", "--rcfile", str(lab.TERMINAL_RC), "-i", "-c",
                            "echo $KUBECONFIG; command -v kubectl"], capture_output=True, text=True, env=env,
                           stdin=subprocess.DEVNULL)
    assert shell.stdout.splitlines()[-2:] == [str(tmp_path / "kc"), str(lab.python_bin() / "kubectl")]


def test_workshop_env_prints_exports_and_keeps_the_sandbox_message_off_stdout(monkeypatch, capsys, tmp_path):
    started = type("Status", (), {"kubeconfig": tmp_path / "sandbox" / "kubeconfig", "pid": 1,
                                  "url": "https://127.0.0.1:1", "log_path": tmp_path / "log"})
    monkeypatch.setattr(cli, "_sandbox", lambda: type("Daemon", (), {"start": staticmethod(lambda **k: started)}))
    for name in ("KUBECONFIG", "WORKSHOP_CONTEXT", "WORKSHOP_LEARNER", "WORKSHOP_CLUSTER", "PATH"):
        monkeypatch.setenv(name, "/usr/bin" if name == "PATH" else "")
    monkeypatch.setenv("WORKSHOP_HOME", str(tmp_path))
    assert cli.main(["env", "--learner", "alice"]) == 0
    out, err = capsys.readouterr()
    assert "sandbox running at https://127.0.0.1:1" in err and "sandbox running" not in out
    exports = dict(line.removeprefix("export ").split("=", 1) for line in out.splitlines())
    assert exports["KUBECONFIG"] == f"{tmp_path}/kubeconfig:{tmp_path}/sandbox/kubeconfig"
    assert exports["WORKSHOP_LEARNER"] == "alice" and exports["WORKSHOP_CLUSTER"] == "sandbox"
    assert yaml.safe_load((tmp_path / "kubeconfig").read_text())["contexts"][0]["context"]["namespace"] == \
        "containo-alice"


@pytest.mark.parametrize("namespace, learner", [("containo-alice", "alice"), ("containo", None), ("default", None),
                                                ("containo-", None), (None, None)])
def test_a_workshop_namespace_names_its_learner(namespace, learner):
    assert learner_of(namespace) == learner


def test_a_learners_kubeconfig_context_names_the_learner(tmp_path):
    path = tmp_path / "alice.kubeconfig"
    path.write_text(yaml.safe_dump({**KIND_CONFIG, "contexts": [{"name": "workshop-alice", "context": {
        "cluster": "kind-workshop", "user": "kind-workshop", "namespace": "containo-alice"}}]}))
    assert context_learner(str(path), "workshop-alice") == "alice"
    assert context_learner(str(path), "missing") is None and context_learner(str(tmp_path / "none"), "x") is None


def test_the_chapters_are_signed_as_trusted_so_their_stored_pictures_show(tmp_path, monkeypatch):
    import nbformat
    from nbformat.sign import NotebookNotary

    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))  # the user's signature database
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for name in ("01-a.ipynb", "02-b.ipynb"):
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("topology()")])
        nbformat.write(notebook, folder / name)
    read = [nbformat.read(folder / name, as_version=4) for name in ("01-a.ipynb", "02-b.ipynb")]
    assert not any(NotebookNotary().check_signature(nb) for nb in read)
    assert [p.name for p in lab.trust_notebooks(folder)] == ["01-a.ipynb", "02-b.ipynb"]
    assert all(NotebookNotary().check_signature(nb) for nb in read)
