"""The part of a fresh interpreter's start-up that depends on its environment, command line and working
directory, redone in a process the zygote forked (sandbox/runtime/zygote_child.py) so that it starts as
`python <args>` would have started in the container. Everything else (the interpreter's flags, its hash seed,
the modules the zygote preloaded) is inherited from the zygote.

    locale             LC_CTYPE from LC_ALL/LC_CTYPE/LANG; the C locale coerced to C.UTF-8 (PEP 538) and UTF-8
                       mode (PEP 540) as the interpreter decides them; a child whose UTF-8 mode or file system
                       encoding would differ from the zygote's cannot be forked (`encoding_problem`)
    sys.path           PYTHONPATH's entries made absolute, the interpreter's own entries, the user site (unless
                       -s, PYTHONNOUSERSITE, or a virtual environment), and path0 last: the working directory for
                       -m, '' for -c, the script's real directory, nothing with -P/PYTHONSAFEPATH
    preloaded modules  each must be the one a fresh interpreter would import from that path
                       (sandbox/runtime/preloaded_modules.py)
    std streams        made as create_stdio() makes them: PYTHONIOENCODING, -u/PYTHONUNBUFFERED (no buffer,
                       write-through), line buffering on a terminal and on stderr, stderr's backslashreplace
    site               sitecustomize then usercustomize found on the path (without path0), as site.py runs them
    small settings     sys.dont_write_bytecode, sys.pycache_prefix, the int digit limit, faulthandler, the time
                       zone (time.tzset), tempfile's cached directory
"""
from __future__ import annotations

import codecs
import io
import locale
import os
import site
import sys
import time
from dataclasses import dataclass

from sandbox.runtime.preloaded_modules import find_top_level, same_module
from sandbox.runtime.python_command import PythonCommand

# The locales PEP 538 coerces the C locale to, in the interpreter's order (Python/pylifecycle.c).
COERCION_TARGETS = ("C.UTF-8", "C.utf8", "UTF-8")


@dataclass(frozen=True)
class InterpreterLayout:
    """What the zygote's own start-up decided that no environment changes: its module search path without
    path0, PYTHONPATH and the user site; where site.py puts the user site among them (before site-packages);
    whether user sites are possible at all (not in a virtual environment without system site-packages); the
    int digit limit it started with."""
    base_path: tuple[str, ...]
    user_site_index: int
    user_site_possible: bool
    int_max_str_digits: int

    @classmethod
    def of_this_process(cls, own_pythonpath: str) -> "InterpreterLayout":
        """Read from the running zygote, which started with `own_pythonpath` and no other PYTHON* variable."""
        path = list(sys.path)
        if not sys.flags.safe_path and path:
            path = path[1:]  # the zygote's own path0 (it runs with -m: its working directory)
        site_packages = set(site.getsitepackages())
        own = {os.path.abspath(p) for p in own_pythonpath.split(os.pathsep)} if own_pythonpath else set()
        own -= site_packages  # never take the interpreter's own directories away from a child
        user_site = site.USER_SITE if site.ENABLE_USER_SITE else None
        base = [p for p in path if p not in own and p != user_site]
        index = next((i for i, p in enumerate(base) if p in site_packages), len(base))
        return cls(tuple(base), index, bool(site.ENABLE_USER_SITE), sys.get_int_max_str_digits())


# locale and encodings -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StreamEncoding:
    encoding: str
    errors: str


def set_locale(env: dict[str, str]) -> bool:
    """LC_CTYPE from the (already installed) environment, coerced from C as the interpreter's pre-initialization
    does; returns whether UTF-8 mode would be on."""
    try:
        current = locale.setlocale(locale.LC_CTYPE, "")
    except locale.Error:  # an unknown locale name: the C library leaves the C locale in place
        current = locale.setlocale(locale.LC_CTYPE, "C")
    utf8 = env.get("PYTHONUTF8")
    utf8_mode = utf8 == "1" or (utf8 in (None, "") and current in ("C", "POSIX"))
    if current == "C" and env.get("PYTHONCOERCECLOCALE") != "0" and not env.get("LC_ALL"):
        for target in COERCION_TARGETS:
            try:
                locale.setlocale(locale.LC_CTYPE, target)
            except locale.Error:
                continue
            if locale.nl_langinfo(locale.CODESET):
                os.environ["LC_CTYPE"] = target  # the interpreter exports it, so its children see it too
                break
        else:
            locale.setlocale(locale.LC_CTYPE, current)
    return utf8_mode


def _codec(name: str) -> str:
    return codecs.lookup(name).name


def encoding_problem(utf8_mode: bool) -> str | None:
    """Why this child's encodings would differ from what it inherited (None: they are the same). UTF-8 mode
    (sys.flags.utf8_mode, what locale.getpreferredencoding() and open() answer) and the file system encoding
    are fixed when the zygote starts; a child needs the same ones."""
    if utf8_mode != bool(sys.flags.utf8_mode):
        return f"UTF-8 mode would be {'on' if utf8_mode else 'off'}"
    codeset = locale.nl_langinfo(locale.CODESET) or "utf-8"
    fresh_fs = "utf-8" if utf8_mode else _codec(codeset)
    if fresh_fs != _codec(sys.getfilesystemencoding()):
        return f"the file system encoding would be {fresh_fs}"
    return None


def stream_encoding(env: dict[str, str], utf8_mode: bool) -> StreamEncoding:
    """sys.stdin/stdout's encoding and errors (stderr always uses backslashreplace), as config_init_stdio_encoding
    and config_get_stdio_errors decide them."""
    encoding, _, errors = (env.get("PYTHONIOENCODING") or "").partition(":")
    if encoding and not errors:
        errors = "strict"  # PYTHONIOENCODING=latin1 means latin1:strict
    if not encoding:
        encoding = "utf-8" if utf8_mode else (locale.nl_langinfo(locale.CODESET) or "utf-8")
    if not errors:
        current = locale.setlocale(locale.LC_CTYPE)
        legacy = utf8_mode or current in ("C", "POSIX") or current in COERCION_TARGETS
        errors = "surrogateescape" if legacy else "strict"
    return StreamEncoding(_codec(encoding), errors)


def install_std_streams(encoding: StreamEncoding, unbuffered: bool) -> None:
    """New sys.stdin/stdout/stderr over descriptors 0, 1, 2, made as create_stdio() makes them."""
    streams = []
    for fd, name, mode in ((0, "<stdin>", "r"), (1, "<stdout>", "w"), (2, "<stderr>", "w")):
        writing = mode == "w"
        buffering = 0 if unbuffered and writing else -1  # stdin stays buffered: TextIOWrapper needs read1()
        buffer = io.open(fd, mode + "b", buffering, closefd=False)
        raw = buffer if buffering == 0 else buffer.raw
        raw.name = name
        line_buffering = not unbuffered and (raw.isatty() or fd == 2)
        stream = io.TextIOWrapper(buffer, encoding.encoding, "backslashreplace" if fd == 2 else encoding.errors,
                                  newline="\n", line_buffering=line_buffering, write_through=unbuffered)
        stream.mode = mode
        streams.append(stream)
    sys.stdin, sys.stdout, sys.stderr = streams
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = streams


# sys.path ---------------------------------------------------------------------------------------------------
def user_site_enabled(layout: InterpreterLayout, command: PythonCommand, env: dict[str, str]) -> bool:
    return layout.user_site_possible and not command.no_user_site and not env.get("PYTHONNOUSERSITE")


def path0(command: PythonCommand, env: dict[str, str]) -> str | None:
    """The entry the interpreter puts first once site has run (Modules/main.c, _PyPathConfig_ComputeSysPath0)."""
    if command.safe_path or env.get("PYTHONSAFEPATH"):
        return None
    if command.kind == "module":
        return os.getcwd()
    if command.kind == "code":
        return ""
    return os.path.dirname(os.path.realpath(command.target))


def set_module_search_path(layout: InterpreterLayout, env: dict[str, str], user_site: bool) -> None:
    """sys.path as site.py leaves it, without path0: PYTHONPATH and the standard library deduplicated
    (site.removeduppaths), the user site with its .pth files, then the interpreter's site-packages."""
    pythonpath = env.get("PYTHONPATH")
    entries = [os.path.abspath(p) for p in pythonpath.split(os.pathsep)] if pythonpath else []
    head, known = [], set()
    for entry in entries + list(layout.base_path[:layout.user_site_index]):
        key = os.path.normcase(os.path.abspath(entry))
        if key not in known:
            head.append(entry)
            known.add(key)
    sys.path[:] = head
    site.ENABLE_USER_SITE = user_site
    site.USER_BASE = site.USER_SITE = None  # getusersitepackages() reads them again from this environment
    user_site_dir = site.getusersitepackages()
    if user_site and os.path.isdir(user_site_dir):
        site.addsitedir(user_site_dir)
    known = {os.path.normcase(os.path.abspath(p)) for p in sys.path}
    sys.path.extend(p for p in layout.base_path[layout.user_site_index:]
                    if os.path.normcase(os.path.abspath(p)) not in known)


# site and the small settings --------------------------------------------------------------------------------
def run_site_customizations(user_site: bool) -> None:
    """sitecustomize and usercustomize as site.main() runs them. One the zygote itself ran is left alone when a
    fresh interpreter would find the same file (its effects are already here); otherwise it is forgotten, and
    whatever this path finds runs."""
    customizations = [("sitecustomize", site.execsitecustomize)]
    if user_site:
        customizations.append(("usercustomize", site.execusercustomize))
    for name, execute in customizations:
        loaded = sys.modules.get(name)
        if loaded is not None:
            spec = find_top_level(name)
            if spec is not None and same_module(loaded, spec):
                continue
            del sys.modules[name]
        execute()


def apply_settings(layout: InterpreterLayout, command: PythonCommand, env: dict[str, str]) -> None:
    sys.dont_write_bytecode = command.dont_write_bytecode or bool(env.get("PYTHONDONTWRITEBYTECODE"))
    sys.pycache_prefix = env.get("PYTHONPYCACHEPREFIX") or None
    digits = env.get("PYTHONINTMAXSTRDIGITS")
    sys.set_int_max_str_digits(int(digits) if digits else layout.int_max_str_digits)
    if env.get("PYTHONFAULTHANDLER"):
        import faulthandler
        faulthandler.enable()
    time.tzset()  # the time module read TZ when the zygote imported it
    tempfile = sys.modules.get("tempfile")
    if tempfile is not None:
        tempfile.tempdir = None  # gettempdir() caches TMPDIR's answer
