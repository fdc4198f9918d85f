"""Whether a forked child may keep the zygote's modules (sandbox/runtime/preloaded_modules.py), in process: a
module preloaded from one directory, then looked at with another sys.path."""
from __future__ import annotations

import importlib
import os
import sys

import pytest

from sandbox.runtime.preloaded_modules import PreloadedModules, forget


@pytest.fixture
def preloaded(tmp_path, monkeypatch):
    """`zygote_probe` (a package with a submodule) imported from tmp_path/first, outside the interpreter's own
    path (`base`), as the zygote imports the sandbox and app packages from its PYTHONPATH."""
    package = tmp_path / "first" / "zygote_probe"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("VALUE = 1\n")
    (package / "part.py").write_text("PART = 1\n")
    base = tuple(sys.path)
    monkeypatch.setattr(sys, "path", [str(tmp_path / "first"), *base])
    importlib.invalidate_caches()
    importlib.import_module("zygote_probe.part")
    yield PreloadedModules.of_this_process(base), base, tmp_path
    forget(["zygote_probe"])


def test_a_module_found_where_it_was_is_kept(preloaded):
    modules, base, _ = preloaded
    assert "zygote_probe" in modules.top_level and "zygote_probe" in modules.outside_base
    assert modules.check(base) == ([], [])
    assert modules.changed_file() is None


def test_a_module_found_first_in_a_new_path_entry_has_moved(preloaded, monkeypatch):
    modules, base, tmp_path = preloaded
    (tmp_path / "second").mkdir()
    (tmp_path / "second" / "zygote_probe.py").write_text("VALUE = 2\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path / "second"), str(tmp_path / "first"), *base])
    importlib.invalidate_caches()
    assert modules.check(base) == ([], ["zygote_probe"])


def test_a_standard_module_shadowed_by_a_new_path_entry_has_moved(preloaded, monkeypatch):
    modules, base, tmp_path = preloaded
    (tmp_path / "shadow").mkdir()
    (tmp_path / "shadow" / "json.py").write_text("SHADOW = True\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path / "shadow"), str(tmp_path / "first"), *base])
    importlib.invalidate_caches()
    assert "json" in modules.top_level and "json" not in modules.outside_base
    assert modules.check(base) == ([], ["json"])


def test_a_module_no_path_reaches_is_missing_and_forgotten(preloaded, monkeypatch):
    modules, base, tmp_path = preloaded
    monkeypatch.setattr(sys, "path", list(base))
    importlib.invalidate_caches()
    missing, moved = modules.check(base)
    assert (missing, moved) == (["zygote_probe"], [])
    forget(missing)
    assert "zygote_probe" not in sys.modules and "zygote_probe.part" not in sys.modules
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("zygote_probe")


def test_a_preloaded_file_edited_since_is_noticed(preloaded):
    modules, _, tmp_path = preloaded
    part = tmp_path / "first" / "zygote_probe" / "part.py"
    part.write_text("PART = 2  # edited\n")
    os.utime(part, ns=(1, 1))
    assert modules.changed_file() == str(part)
