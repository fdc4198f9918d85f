"""A forked child starts as a fresh interpreter would: the same facts (sys.argv, sys.path, the environment,
the std streams' encodings and buffering, the locale, __main__, sitecustomize's view), printed by the same
program both ways and compared; and what a fork cannot reproduce runs in the real interpreter."""
from __future__ import annotations

import json
import textwrap

import pytest

from tests.unit.runtime.conftest import base_env, forked, fresh

FACTS = textwrap.dedent("""\
    import json, locale, os, sys
    def stream(s):
        raw = getattr(s.buffer, "raw", s.buffer)
        return [s.encoding, s.errors, s.line_buffering, s.write_through, type(s.buffer).__name__, raw.name, s.mode]
    main = sys.modules["__main__"]
    loader = main.__loader__
    print(json.dumps({
        "argv": sys.argv, "orig_argv": sys.orig_argv, "path": sys.path, "cwd": os.getcwd(),
        "env": dict(os.environ), "name": __name__, "file": globals().get("__file__"),
        "main": sorted(k for k in vars(main) if k.startswith("__")),
        "spec": getattr(main.__spec__, "name", None),
        "loader": loader.__name__ if isinstance(loader, type) else type(loader).__name__,
        "streams": [stream(sys.stdin), stream(sys.stdout), stream(sys.stderr)],
        "locale": locale.setlocale(locale.LC_CTYPE), "fs": sys.getfilesystemencoding(),
        "open": locale.getpreferredencoding(False), "bytecode": sys.dont_write_bytecode,
        "pycache": sys.pycache_prefix, "digits": sys.get_int_max_str_digits(),
        "session_leader": os.getsid(0) == os.getpid(),
        "customized": [m for m in ("sitecustomize", "usercustomize") if m in sys.modules],
    }))
    """)
SITECUSTOMIZE = "import json, os, sys\nos.environ['SITE_SAW_PATH'] = json.dumps(sys.path)\n"


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("fresh")
    (root / "work").mkdir()
    (root / "work" / "facts_module.py").write_text(FACTS)
    (root / "work" / "facts_script.py").write_text(FACTS)
    (root / "lib").mkdir()
    (root / "site").mkdir()
    (root / "site" / "sitecustomize.py").write_text(SITECUSTOMIZE)
    (root / "elsewhere").mkdir()
    (root / "elsewhere" / "linked.py").symlink_to(root / "work" / "facts_script.py")
    return root


def environment(tree, case: str) -> dict[str, str]:
    lib, site = str(tree / "lib"), str(tree / "site")
    return {
        "container": base_env(PYTHONPATH=lib, PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1", CUSTOM="a b"),
        "c_utf8_locale": base_env(LANG="C.utf8"),  # glibc's own name for it
        "settings": base_env(PYTHONIOENCODING="latin-1:replace", PYTHONSAFEPATH="1", PYTHONINTMAXSTRDIGITS="5000",
                             PYTHONPATH=f"relative::{lib}:", PYTHONPYCACHEPREFIX="/tmp/pycache-prefix"),
        "sitecustomize": base_env(PYTHONPATH=f"{site}:{lib}"),
        "io_encoding_only": base_env(PYTHONIOENCODING="ascii", LANG="C.UTF-8"),
    }[case]


CASES = [
    (["-m", "facts_module", "one"], "container"),
    (["-c", FACTS, "one"], "container"),
    (["facts_script.py", "one"], "container"),
    (["../elsewhere/linked.py"], "container"),  # path0 is the real file's directory
    (["-u", "-B", "-m", "facts_module"], "container"),
    (["-s", "-P", "-c", FACTS], "container"),
    (["-Bu", "--", "facts_script.py"], "container"),
    (["-c", FACTS], "c_utf8_locale"),
    (["-m", "facts_module"], "settings"),
    (["-m", "facts_module"], "sitecustomize"),
    (["facts_script.py"], "sitecustomize"),
    (["-c", FACTS], "io_encoding_only"),
]


@pytest.mark.parametrize("args, case", CASES, ids=[f"{' '.join(a)[:30]} ({c})" for a, c in CASES])
def test_a_forked_child_starts_as_a_fresh_interpreter(zygote, run, tree, args, case):
    env, cwd = environment(tree, case), tree / "work"
    code, out, err, process = run(forked(zygote, args, env, cwd))
    assert (code, err) == (0, b""), err.decode()
    assert process.exec_reason is None  # this really was a fork
    expected_code, expected_out, expected_err = run(fresh(args, env, cwd))
    assert (expected_code, expected_err) == (0, b""), expected_err.decode()
    assert json.loads(out) == json.loads(expected_out)


def test_sitecustomize_on_pythonpath_runs_before_path0_is_added(zygote, run, tree):
    env = environment(tree, "sitecustomize")
    code, out, _, _ = run(forked(zygote, ["-m", "facts_module"], env, tree / "work"))
    facts = json.loads(out)
    assert code == 0 and facts["customized"] == ["sitecustomize"]
    assert json.loads(facts["env"]["SITE_SAW_PATH"]) == facts["path"][1:]  # everything but path0


@pytest.mark.parametrize("args, env_extra, expected", [
    (["-X", "dev", "-c", "import sys; print(sys.flags.dev_mode)"], {}, b"True\n"),
    (["-O", "-c", "print(__debug__)"], {}, b"False\n"),
    (["-c", "print(__debug__)"], {"PYTHONOPTIMIZE": "1"}, b"False\n"),
    (["-c", "print(hash('fixed'))"], {"PYTHONHASHSEED": "0"}, None),  # compared with a fresh one below
    (["-I", "-c", "import sys; print(sys.flags.isolated)"], {}, b"1\n"),
    (["-W", "error", "-c", "import warnings; print(warnings.filters[0][0])"], {}, b"error\n"),
    (["missing_script.py"], {}, None),  # the interpreter's own "can't open file" message, exit 2
    (["-c", "import sys; print(sys.flags.utf8_mode)"], {"PYTHONUTF8": "1"}, b"1\n"),
    (["-c", FACTS], {"LANG": ""}, None),  # the C locale: coerced to C.UTF-8, in UTF-8 mode
    (["-c", FACTS], {"LC_ALL": "POSIX", "PYTHONUTF8": "0"}, None),  # ASCII: another file system encoding
    (["-c", "import aiohttp.helpers; print(aiohttp.helpers.NO_EXTENSIONS)"], {"AIOHTTP_NO_EXTENSIONS": "1"},
     b"True\n"),  # read by aiohttp when it is imported: the zygote read it unset
])
def test_what_a_fork_cannot_reproduce_runs_in_the_real_interpreter(zygote, run, tree, args, env_extra, expected):
    env, cwd = base_env(**env_extra), tree / "work"
    code, out, err, process = run(forked(zygote, args, env, cwd))
    assert process.exec_reason, "the child should have exec'd the real interpreter"
    assert (code, out, err) == run(fresh(args, env, cwd))
    if expected is not None:
        assert out == expected


def test_the_interactive_interpreter_runs_for_dash_i(zygote, run, tree):
    env, cwd = base_env(), tree / "work"
    code, out, err, process = run(forked(zygote, ["-i", "-c", "x = 20"], env, cwd, stdin=b"print(x + 1)\n"))
    assert process.exec_reason and (code, out) == (0, b"21\n")
    assert (code, out, err) == run(fresh(["-i", "-c", "x = 20"], env, cwd, stdin=b"print(x + 1)\n"))


def test_a_preloaded_module_shadowed_in_the_working_directory_is_the_shadow(zygote, run, tmp_path):
    (tmp_path / "redis.py").write_text("NAME = 'the learner s redis.py'\n")
    args, env = ["-c", "import redis; print(redis.NAME)"], base_env()
    code, out, err, process = run(forked(zygote, args, env, tmp_path))
    assert (code, out, err) == (0, b"the learner s redis.py\n", b"")
    assert "redis" in process.exec_reason


def test_std_streams_follow_unbuffered_mode(zygote, run, tree):
    program = ["-c", "import sys; print(type(sys.stdout.buffer).__name__, sys.stdout.write_through)"]
    assert run(forked(zygote, ["-u", *program], base_env(), tree))[1] == b"FileIO True\n"
    assert run(forked(zygote, program, base_env(PYTHONUNBUFFERED="1"), tree))[1] == b"FileIO True\n"
    assert run(forked(zygote, program, base_env(), tree))[1] == b"BufferedWriter False\n"
