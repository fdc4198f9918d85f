"""Which Python command lines and environments a forked zygote child can run as a fresh interpreter would
(sandbox/runtime/zygote.py), and which go to the real interpreter instead. Pure: no I/O.

    ["-m", "app.api"]                 PythonCommand(kind="module", target="app.api")
    ["-u", "-c", "print(1)", "x"]     PythonCommand(kind="code", target="print(1)", args=("x",), unbuffered=True)
    ["-Bm", "app.worker"]             PythonCommand(kind="module", target="app.worker", dont_write_bytecode=True)
    ["script.py", "a"]                PythonCommand(kind="script", target="script.py", args=("a",))
    [], ["-i", ...], ["-X", "dev", ...], ["-O", ...], ["-"], ["--version"]      None: the real interpreter

A forked child inherits what the zygote's interpreter decided when it started and cannot decide again: its
flags (sys.flags), optimisation level, hash seed, memory allocator, warning options, -X options. So only the
options and environment variables whose effect a running interpreter can still reproduce are run in the child
(sandbox/runtime/interpreter_startup.py redoes them); anything else, and the interactive interpreter, is run by
exec'ing the real one, so that a container never behaves differently from a fresh `python`.
"""
from __future__ import annotations

import codecs
from dataclasses import dataclass

# Single-letter options a child reproduces (CPython's getopt string is "bBc:dEhiIm:OPqRsStuvVW:xX:?").
# -q only silences the interactive banner, which a child never prints.
_REPRODUCED_OPTIONS = {"u": "unbuffered", "B": "dont_write_bytecode", "s": "no_user_site", "P": "safe_path",
                       "q": None}

# Environment variables the interpreter reads at start-up (`python --help-env`, Python 3.11 to 3.13), by what
# a forked child does with them. tests/unit/runtime/test_python_command.py checks that every variable the
# running interpreter's --help-env names is in one of the three sets.
REPRODUCED = frozenset({
    "PYTHONPATH", "PYTHONSAFEPATH", "PYTHONNOUSERSITE", "PYTHONUSERBASE",      # sys.path
    "PYTHONUNBUFFERED", "PYTHONIOENCODING", "PYTHONUTF8", "PYTHONCOERCECLOCALE",  # the std streams, the locale
    "PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", "PYTHONINTMAXSTRDIGITS", "PYTHONFAULTHANDLER",
    "PYTHONHASHSEED",  # only "random" (the zygote's own seed is random): a fixed seed needs a fresh interpreter
})
READ_WHEN_USED = frozenset({  # read from os.environ when the feature is used, so the child's environment decides
    "PYTHONBREAKPOINT", "PYTHONASYNCIODEBUG", "PYTHON_COLORS",
    "PYTHONSTARTUP", "PYTHON_BASIC_REPL", "PYTHON_HISTORY",  # the interactive interpreter: never run in a child
    "PYTHONCASEOK", "PYTHONLEGACYWINDOWSFSENCODING", "PYTHONLEGACYWINDOWSSTDIO",  # Windows only
})
NEEDS_FRESH_INTERPRETER = frozenset({
    "PYTHONHOME", "PYTHONPLATLIBDIR", "PYTHONEXECUTABLE", "PYTHONOPTIMIZE", "PYTHONDEBUG", "PYTHONVERBOSE",
    "PYTHONINSPECT", "PYTHONWARNINGS", "PYTHONDEVMODE", "PYTHONWARNDEFAULTENCODING", "PYTHONMALLOC",
    "PYTHONMALLOCSTATS", "PYTHONTRACEMALLOC", "PYTHONPROFILEIMPORTTIME", "PYTHONNODEBUGRANGES",
    "PYTHONTHREADDEBUG", "PYTHONDUMPREFS", "PYTHONDUMPREFSFILE", "PYTHONPERFSUPPORT", "PYTHON_PERF_JIT_SUPPORT",
    "PYTHON_CPU_COUNT", "PYTHON_FROZEN_MODULES", "PYTHON_GIL", "PYTHON_JIT", "PYTHON_PRESITE",
})
INTERPRETER_VARIABLES = REPRODUCED | READ_WHEN_USED | NEEDS_FRESH_INTERPRETER


@dataclass(frozen=True)
class PythonCommand:
    """What `python <args>` runs: a module (-m), code (-c) or a script file, with its own arguments."""
    kind: str    # "module" | "code" | "script"
    target: str  # the module name, the code, or the script's path as given
    args: tuple[str, ...] = ()  # sys.argv[1:]
    unbuffered: bool = False           # -u
    dont_write_bytecode: bool = False  # -B
    no_user_site: bool = False         # -s
    safe_path: bool = False            # -P

    @property
    def argv0(self) -> str:
        """sys.argv[0] while the program starts: "-c", "-m" (runpy replaces it with the module's file), the path."""
        return {"code": "-c", "module": "-m"}.get(self.kind, self.target)


def parse(python_args: list[str] | tuple[str, ...]) -> PythonCommand | None:
    """The command `python <python_args>` runs, or None when only the real interpreter can run it."""
    args = list(python_args)
    options: dict[str, bool] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":  # the end of the options: the next argument is the script
            i += 1
            break
        if arg == "-" or not arg.startswith("-"):
            break
        if arg.startswith("--"):  # --version, --help, --help-env, --check-hash-based-pycs ...
            return None
        for position, letter in enumerate(arg[1:], start=1):
            if letter in "cm":
                attached = arg[position + 1:]
                if attached:
                    value, rest = attached, args[i + 1:]
                elif i + 1 < len(args):
                    value, rest = args[i + 1], args[i + 2:]
                else:
                    return None  # "Argument expected for the -c option": the real interpreter says so
                if letter == "m" and not value:
                    return None
                return PythonCommand("code" if letter == "c" else "module", value, tuple(rest), **options)
            if letter not in _REPRODUCED_OPTIONS:
                return None
            if _REPRODUCED_OPTIONS[letter]:
                options[_REPRODUCED_OPTIONS[letter]] = True
        i += 1
    if i >= len(args) or args[i] == "-":  # the interactive interpreter, or a program read from stdin
        return None
    script = args[i]
    if script.endswith((".pyc", ".pyo")):  # compiled code: the real interpreter checks its magic number
        return None
    return PythonCommand("script", script, tuple(args[i + 1:]), **options)


def environment_problem(env: dict[str, str]) -> str | None:
    """Why a forked child cannot start as a fresh interpreter would with this environment (None: it can).
    The interpreter ignores variables set to the empty string, and so does this."""
    for name in sorted(NEEDS_FRESH_INTERPRETER):
        if env.get(name):
            return f"{name} is set"
    seed = env.get("PYTHONHASHSEED")
    if seed and seed != "random":
        return "PYTHONHASHSEED fixes the hash seed"
    digits = env.get("PYTHONINTMAXSTRDIGITS")
    if digits and not (digits.isdigit() and (int(digits) == 0 or int(digits) >= 640)):
        return "PYTHONINTMAXSTRDIGITS is not a valid limit"  # the real interpreter refuses to start and says why
    if env.get("PYTHONUTF8") not in (None, "", "0", "1"):
        return "PYTHONUTF8 is neither 0 nor 1"
    if env.get("PYTHONCOERCECLOCALE") == "warn":
        return "PYTHONCOERCECLOCALE=warn asks for start-up warnings"
    encoding, _, errors = (env.get("PYTHONIOENCODING") or "").partition(":")
    try:
        if encoding:
            codecs.lookup(encoding)
        if errors:
            codecs.lookup_error(errors)
    except LookupError:
        return "PYTHONIOENCODING names an unknown codec or error handler"
    return None


def runnable(python_args, env: dict[str, str] | None = None) -> PythonCommand | None:
    """The command when a forked child runs it as a fresh interpreter would, else None."""
    command = parse(python_args)
    if command is None or (env is not None and environment_problem(env) is not None):
        return None
    return command
