"""The modules the zygote preloaded, and whether a forked child may keep them: each must be the module a fresh
interpreter would import with the child's sys.path, from the same file, unchanged since the zygote read it.

    moved     a module found elsewhere first (a learner's redis.py in the working directory, a PYTHONPATH entry
              with its own aiohttp): the child cannot keep the preloaded one, so it execs the real interpreter
    changed   a preloaded file edited or reinstalled since (app/orders.py changed during the workshop): the
              same (a fresh interpreter would run the new code)
    read      an environment variable a preloaded module read while importing (aiohttp's AIOHTTP_NO_EXTENSIONS
              and PYTHONASYNCIODEBUG, yarl's and multidict's *_NO_EXTENSIONS, ssl's SSLKEYLOGFILE, OpenSSL's
              SSL_CERT_FILE/SSL_CERT_DIR for the contexts aiohttp makes at import) set otherwise in the child's
              environment than in the zygote's: the same, since the module decided with the zygote's value
    missing   a module a fresh interpreter would not find at all (the sandbox package, for a `python:*` image
              without it on its path): forgotten from sys.modules, so that importing it fails as it would

Cheap enough for every spawn (about a millisecond, measured): a module is looked up again only when one of the
child's own path entries (path0, PYTHONPATH, the user site: those not in the interpreter's own path) holds
something of that name, or when the zygote found it outside the interpreter's own path; the files are compared
by a stat (modification time and size).
"""
from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass, field

# Read with getenv() by C code that a preloaded module runs at import (OpenSSL loading the default CA store
# for aiohttp's SSL contexts), where os.environ cannot see them.
C_LIBRARY_READS = ("SSL_CERT_FILE", "SSL_CERT_DIR")
WHOLE_ENVIRONMENT = "*"


@contextlib.contextmanager
def recording_environment_reads():
    """The names of the environment variables read through os.environ (os.getenv included) inside the block;
    WHOLE_ENVIRONMENT if something went through all of it."""
    names: set[str] = set()
    environ_type = type(os.environ)

    class Recording(environ_type):
        def __getitem__(self, key):
            names.add(key)
            return super().__getitem__(key)

        def __iter__(self):
            names.add(WHOLE_ENVIRONMENT)
            return super().__iter__()

    os.environ.__class__ = Recording
    try:
        yield names
    finally:
        os.environ.__class__ = environ_type


def find_top_level(name: str):
    """The spec a fresh `import name` would find on the current sys.path (sys.modules left out)."""
    for finder in sys.meta_path:
        find_spec = getattr(finder, "find_spec", None)
        if find_spec is None:
            continue
        spec = find_spec(name, None)
        if spec is not None:
            return spec
    return None


def same_module(module, spec) -> bool:
    loaded = getattr(module, "__spec__", None)
    if loaded is None:
        return False
    if loaded.origin == spec.origin and list(loaded.submodule_search_locations or ()) == list(
            spec.submodule_search_locations or ()):
        return True
    return _location(loaded) == _location(spec)  # the same files reached through a symbolic link


def _location(spec) -> tuple:
    origin = spec.origin
    if origin and os.path.isabs(origin):
        origin = os.path.realpath(origin)
    return origin, tuple(os.path.realpath(p) for p in (spec.submodule_search_locations or ()))


def _inside(path: str, directories: tuple[str, ...]) -> bool:
    return any(path.startswith(directory.rstrip(os.sep) + os.sep) for directory in directories if directory)


@dataclass(frozen=True)
class PreloadedModules:
    top_level: tuple[str, ...]            # top-level modules loaded from files (built-in and frozen ones cannot move)
    outside_base: frozenset[str]          # those the zygote found outside the interpreter's own path
    files: tuple[tuple[str, int, int], ...]  # (file, st_mtime_ns, st_size) of every module loaded from a file
    environment: tuple[tuple[str, str | None], ...] = field(default=())  # variables read while preloading

    @classmethod
    def of_this_process(cls, base_path: tuple[str, ...], environment_reads=()) -> "PreloadedModules":
        top_level, outside, files = [], set(), []
        for name, module in list(sys.modules.items()):
            spec = getattr(module, "__spec__", None)
            if spec is None or not spec.has_location or not spec.origin:
                continue
            try:
                stat = os.stat(spec.origin)
            except OSError:
                continue
            files.append((spec.origin, stat.st_mtime_ns, stat.st_size))
            if "." in name or name in ("__main__", "sitecustomize", "usercustomize"):
                continue
            top_level.append(name)
            if not _inside(spec.origin, base_path):
                outside.add(name)
        read = sorted(set(environment_reads) | set(C_LIBRARY_READS))
        return cls(tuple(sorted(top_level)), frozenset(outside), tuple(files),
                   tuple((name, os.environ.get(name)) for name in read if name != WHOLE_ENVIRONMENT)
                   + (((WHOLE_ENVIRONMENT, None),) if WHOLE_ENVIRONMENT in environment_reads else ()))

    def environment_difference(self, env: dict[str, str]) -> str | None:
        """The first variable the preloaded modules read that `env` sets otherwise (None: none)."""
        for name, value in self.environment:
            if name == WHOLE_ENVIRONMENT:
                return "a preloaded module read the whole environment"
            if env.get(name) != value:
                return f"{name} differs from what the preloaded modules read"
        return None

    def changed_file(self) -> str | None:
        """The first preloaded file that is no longer what the zygote read (None: none changed)."""
        for path, mtime_ns, size in self.files:
            try:
                stat = os.stat(path)
            except OSError:
                return path
            if stat.st_mtime_ns != mtime_ns or stat.st_size != size:
                return path
        return None

    def check(self, base_path: tuple[str, ...]) -> tuple[list[str], list[str]]:
        """(missing, moved) for the sys.path in place (see the module docstring)."""
        base = set(base_path)
        names_here: set[str] = set()
        look_everywhere = False
        for entry in sys.path:
            if entry in base:
                continue
            try:
                listing = os.listdir(entry or os.curdir)
            except NotADirectoryError:  # a zip file: anything may be in it
                look_everywhere = True
                continue
            except OSError:
                continue
            names_here.update(item.partition(".")[0] for item in listing)
        missing, moved = [], []
        for name in self.top_level:
            if not (look_everywhere or name in names_here or name in self.outside_base):
                continue  # found where the zygote found it: nothing of that name comes first
            module = sys.modules.get(name)
            if module is None:
                continue
            spec = find_top_level(name)
            if spec is None:
                missing.append(name)
            elif not same_module(module, spec):
                moved.append(name)
        return missing, moved


def forget(names) -> None:
    """Drop modules and their submodules from sys.modules, so that importing them fails as it would."""
    prefixes = tuple(f"{name}." for name in names)
    for key in [k for k in sys.modules if k in names or k.startswith(prefixes)]:
        del sys.modules[key]
