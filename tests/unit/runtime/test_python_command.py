"""Which Python command lines and environments a forked child runs (sandbox/runtime/python_command.py): the
interpreter's option syntax, and every start-up variable of the running interpreter classified."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from sandbox.runtime.python_command import (
    INTERPRETER_VARIABLES, PythonCommand, environment_problem, parse, runnable)
from sandbox.runtime.zygote import Zygote


@pytest.mark.parametrize("args, expected", [
    (["-m", "app.api"], PythonCommand("module", "app.api")),
    (["-mapp.worker", "x"], PythonCommand("module", "app.worker", ("x",))),
    (["-c", "print(1)", "a", "-m"], PythonCommand("code", "print(1)", ("a", "-m"))),
    (["-cpass"], PythonCommand("code", "pass")),
    (["-c", ""], PythonCommand("code", "")),
    (["-u", "-m", "x"], PythonCommand("module", "x", unbuffered=True)),
    (["-uBc", "pass"], PythonCommand("code", "pass", unbuffered=True, dont_write_bytecode=True)),
    (["-s", "-P", "-q", "script.py", "-u"], PythonCommand("script", "script.py", ("-u",), no_user_site=True,
                                                          safe_path=True)),
    (["script.py", "arg"], PythonCommand("script", "script.py", ("arg",))),
    (["--", "-weird-name.py"], PythonCommand("script", "-weird-name.py")),
])
def test_forms_a_child_runs(args, expected):
    assert parse(args) == expected


@pytest.mark.parametrize("args", [
    [],                       # the interactive interpreter
    ["-i", "-c", "pass"],     # then interactive
    ["-"],                    # the program from stdin
    ["-u"],                   # options only: interactive
    ["-c"],                   # "Argument expected for the -c option"
    ["-m", ""],
    ["-O", "-m", "x"], ["-OO", "x.py"], ["-E", "-c", "pass"], ["-I", "-c", "pass"], ["-S", "x.py"],
    ["-X", "dev", "-c", "pass"], ["-Xutf8", "-c", "pass"], ["-W", "error", "x.py"], ["-b", "x.py"],
    ["-v", "-c", "pass"], ["-d", "x.py"], ["-x", "x.py"], ["-R", "x.py"], ["-h"], ["-V"], ["-?"],
    ["--version"], ["--help-env"], ["--check-hash-based-pycs", "always", "x.py"],
    ["compiled.pyc"],
])
def test_forms_only_the_real_interpreter_runs(args):
    assert parse(args) is None
    assert not Zygote().can_run(args)


def test_argv0_while_the_program_starts():
    assert [parse(a).argv0 for a in (["-c", "x"], ["-m", "x"], ["dir/s.py"])] == ["-c", "-m", "dir/s.py"]


@pytest.mark.parametrize("env, problem", [
    ({}, None),
    ({"PYTHONPATH": "/x", "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1", "PYTHON_VERSION": "3.11.7"}, None),
    ({"PYTHONOPTIMIZE": ""}, None),  # empty: ignored, as the interpreter ignores it
    ({"PYTHONHASHSEED": "random"}, None),
    ({"PYTHONIOENCODING": "latin-1:replace", "PYTHONUTF8": "1", "PYTHONINTMAXSTRDIGITS": "0"}, None),
    ({"PYTHONOPTIMIZE": "1"}, "PYTHONOPTIMIZE is set"),
    ({"PYTHONWARNINGS": "error"}, "PYTHONWARNINGS is set"),
    ({"PYTHONINSPECT": "1"}, "PYTHONINSPECT is set"),
    ({"PYTHONHASHSEED": "0"}, "PYTHONHASHSEED fixes the hash seed"),
    ({"PYTHONINTMAXSTRDIGITS": "12"}, "PYTHONINTMAXSTRDIGITS is not a valid limit"),
    ({"PYTHONUTF8": "yes"}, "PYTHONUTF8 is neither 0 nor 1"),
    ({"PYTHONCOERCECLOCALE": "warn"}, "PYTHONCOERCECLOCALE=warn asks for start-up warnings"),
    ({"PYTHONIOENCODING": "no-such-codec"}, "PYTHONIOENCODING names an unknown codec or error handler"),
    ({"PYTHONIOENCODING": "utf-8:no-such-handler"}, "PYTHONIOENCODING names an unknown codec or error handler"),
])
def test_environments(env, problem):
    assert environment_problem(env) == problem
    assert (runnable(["-c", "pass"], env) is None) == (problem is not None)


def test_every_startup_variable_of_this_interpreter_is_classified():
    """If a new Python reads a new variable at start-up, this says which one to classify."""
    text = subprocess.run([sys.executable, "--help-env"], capture_output=True, text=True, timeout=60).stdout
    named = set(re.findall(r"^(PYTHON\w+)", text, re.MULTILINE))
    assert named, text
    assert named <= INTERPRETER_VARIABLES, f"unclassified: {sorted(named - INTERPRETER_VARIABLES)}"
