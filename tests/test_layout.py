"""The shape sandbox/ARCHITECTURE.md draws, checked: each room imports only the rooms below it, every room has its
tests under tests/unit/<room>, and no source file grows past 450 lines (split it along its seams instead)."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SANDBOX = ROOT / "sandbox"
MAX_LINES = 450

# The rooms each room may import (besides itself). The pure rooms at the bottom import almost nothing; the
# HTTP layer and the controllers sit beside each other on top of the registry and never import each other.
ALLOWED = {
    "machinery": set(),
    "printers": {"machinery"},
    "storage": {"machinery"},
    "autoscaling": {"machinery"},
    # simulation/logs.py writes the simulated containers' logs as records of the runtime's log format
    "simulation": {"machinery", "autoscaling", "runtime"},
    "registry": {"machinery", "printers", "storage", "simulation", "clock"},
    # the container runtime and the pod network serve the registry's kubelet contract (registry/kubelet_connection.py)
    # (the runtime's launchers for programs that are not Python run inside a pod, with the pod network's layer)
    "runtime": {"machinery", "simulation", "registry", "pod_network"},
    "pod_network": {"machinery", "simulation", "registry"},
    "api": {"machinery", "printers", "registry", "storage", "simulation", "runtime"},
    # the kubelet of pods with processes: below the controllers (kube's kubelet is not a controller manager's)
    "kubelet": {"machinery", "simulation", "clock", "registry", "runtime", "pod_network"},
    "controllers": {"machinery", "autoscaling", "simulation", "clock", "registry", "runtime", "kubelet"},
}


def _sandbox_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else \
            [a.name for a in node.names] if isinstance(node, ast.Import) else []
        found.update(n.split(".")[1] for n in names if n.startswith("sandbox.") and n.count(".") >= 1)
    return found


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_rooms_import_only_the_rooms_below_them(room):
    for path in sorted((SANDBOX / room).rglob("*.py")):
        wrong = _sandbox_imports(path) - ALLOWED[room] - {room}
        assert not wrong, f"{path.relative_to(ROOT)} imports sandbox.{', sandbox.'.join(sorted(wrong))}"


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_every_room_has_its_unit_tests_in_the_same_place(room):
    tests = ROOT / "tests" / "unit" / room
    assert tests.is_dir() and any(tests.rglob("test_*.py")), f"tests/unit/{room}/ should hold the {room} tests"


def test_no_source_file_is_longer_than_the_limit():
    long = [f"{p.relative_to(ROOT)}: {n} lines" for p in sorted(ROOT.glob("[!.]*/**/*.py"))
            if "tests" not in p.parts and ".venv" not in p.parts
            and (n := len(p.read_text().splitlines())) > MAX_LINES]
    assert not long, f"split along their seams: {long}"
