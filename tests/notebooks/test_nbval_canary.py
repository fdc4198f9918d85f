"""The canary proves nbval really compares stored outputs (and that the sanitize file only hides what is volatile):
the canary notebook passes as stored, and fails once one stored output is changed."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
CANARY = Path(__file__).with_name("canary") / "canary.ipynb"
SANITIZE = Path(__file__).with_name("nbval-sanitize.cfg")


def run_nbval(notebook: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--nbval", "--nbval-current-env",
         "--nbval-sanitize-with", str(SANITIZE), "-o", "addopts=", "-o", "testpaths=", str(notebook)],
        cwd=notebook.parent, capture_output=True, text=True, timeout=300,
        env={k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"})  # its own options, not the outer run's


def test_canary_passes_as_stored(tmp_path):
    copy = tmp_path / "canary.ipynb"
    shutil.copy(CANARY, copy)
    result = run_nbval(copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_canary_fails_when_a_stored_output_drifts(tmp_path):
    notebook = nbformat.read(CANARY, as_version=4)
    notebook.cells[0].outputs[0]["text"] = "41\n"
    drifted = tmp_path / "canary.ipynb"
    nbformat.write(notebook, drifted)
    result = run_nbval(drifted)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed, 1 passed" in result.stdout
