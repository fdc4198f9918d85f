"""The load client's command line: the sandbox's random token (secrets.token_urlsafe may start it with "-") goes
through the environment, so argparse never mistakes it for an option and `ps` never shows it."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def load_module(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_a_token_that_looks_like_an_option_reaches_the_client_through_its_environment(tmp_path):
    bench = load_module("sandbox_benchmark")
    token = "-Ab3_dash-first"
    command, env = bench.load_command("https://127.0.0.1:1/api/v1", tmp_path / "ca.crt", token, bench.QUICK)
    assert token not in command and env[bench.load_client.TOKEN_VARIABLE] == token
    parsed = bench.load_client.build_parser().parse_args(command[2:])  # argv after python and the script
    assert (parsed.url, parsed.connections) == ("https://127.0.0.1:1/api/v1", bench.QUICK.connections)
