"""$(VAR) expansion as the kubelet's forked expansion package does it, and the command line containerd builds
from the image's ENTRYPOINT/CMD and the container's command/args."""
import pytest

from sandbox.runtime.commands import NoCommandError, command_line, expand_command, expand_static, \
    start_error_message
from sandbox.runtime.expansion import expand, lookup_in

VARS = {"VAR_A": "A", "VAR_B": "B", "VAR_C": "C", "VAR_REF": "$(VAR_A)", "VAR_EMPTY": ""}


@pytest.mark.parametrize("text, expected", [
    ("$(VAR_A)", "A"),
    ("$(VAR_A)-$(VAR_A)", "A-A"),
    ("___$(VAR_B)___", "___B___"),
    ("$(VAR_A)_$(VAR_B)_$(VAR_C)", "A_B_C"),
    ("$$(VAR_B)_$(VAR_A)", "$(VAR_B)_A"),  # $$ escapes the operator
    ("$$(VAR_A)_$$(VAR_B)", "$(VAR_A)_$(VAR_B)"),
    ("f000-$$VAR_A", "f000-$VAR_A"),
    ("foo\\$(VAR_C)bar", "foo\\Cbar"),  # a backslash escapes nothing
    ("$(VAR_A$(VAR_B))", "$(VAR_A$(VAR_B))"),  # no nesting: the name runs to the first ')'
    ("$(VAR_A$(VAR_B)", "$(VAR_A$(VAR_B)"),
    ("$(VAR_REF)", "$(VAR_A)"),  # a value is not expanded again
    ("foo$(VAR_EMPTY)bar", "foobar"),
    ("foo$(VAR_Awhoops!", "foo$(VAR_Awhoops!"),  # unterminated: kept
    ("$VAR_A)", "$VAR_A)"),
    ("${VAR_A}", "${VAR_A}"),  # shell syntax means nothing here
    ("$(VAR_B)_______$(A", "B_______$(A"),
    ("$(VAR_C)_______$(", "C_______$("),
    ("$(VAR_A)foobarzab$", "Afoobarzab$"),  # a trailing operator stays
    ("--$($($($($--", "--$($($($($--"),
    ("$(foo$$var)", "$(foo$$var)"),
    ("$(UNKNOWN) and $()", "$(UNKNOWN) and $()"),
    ("\n", "\n"),
])
def test_expansion_follows_the_kubelet(text, expected):
    assert expand(text, lookup_in(VARS)) == expected


def test_the_first_context_that_knows_a_name_wins():
    assert expand("$(X)", lookup_in({"X": "declared"}, {"X": "service"})) == "declared"
    assert expand("$(Y)", lookup_in({"X": "declared"}, {"Y": "service"})) == "service"


def test_command_and_args_expand_with_the_environment():
    container = {"command": ["python", "-m", "$(MODULE)"], "args": ["--port=$(PORT)", "$$(PORT)", "$(NOPE)"]}
    command, args = expand_command(container, [("MODULE", "app.api"), ("PORT", "80"), ("PORT", "81")])
    assert command == ["python", "-m", "app.api"]
    assert args == ["--port=81", "$(PORT)", "$(NOPE)"]  # the last of a repeated name wins


def test_an_exec_probe_sees_only_literal_values():
    env = [{"name": "A", "value": "1"}, {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}]
    assert expand_static(["echo", "$(A)", "$(IP)", "$(HOME)"], env) == ["echo", "1", "", "$(HOME)"]


@pytest.mark.parametrize("entrypoint, cmd, command, args, argv", [
    (["docker-entrypoint.sh"], ["redis-server"], [], [], ["docker-entrypoint.sh", "redis-server"]),
    (["docker-entrypoint.sh"], ["redis-server"], [], ["--port", "6380"], ["docker-entrypoint.sh", "--port", "6380"]),
    (["docker-entrypoint.sh"], ["redis-server"], ["redis-server"], [], ["redis-server"]),  # CMD dropped
    (["docker-entrypoint.sh"], ["redis-server"], ["sh", "-c"], ["echo hi"], ["sh", "-c", "echo hi"]),
    ([""], ["python3"], [], [], ["python3"]),  # ENTRYPOINT [""] resets it
    (None, ["python3"], [], ["-V"], ["-V"]),
])
def test_the_command_line_as_containerd_builds_it(entrypoint, cmd, command, args, argv):
    assert command_line(entrypoint=entrypoint, cmd=cmd, command=command, args=args) == argv


def test_nothing_to_run_is_an_error():
    with pytest.raises(NoCommandError, match="^no command specified$"):
        command_line(entrypoint=None, cmd=None, command=[], args=[])


@pytest.mark.parametrize("executable, problem, tail", [
    ("nosuch", "not found", 'exec: "nosuch": executable file not found in $PATH'),
    ("/app", "missing", 'exec: "/app": stat /app: no such file or directory'),
    ("/app", "denied", 'exec: "/app": permission denied'),
])
def test_start_errors_read_as_runc_reports_them(executable, problem, tail):
    message = start_error_message(executable, problem)
    assert message.startswith("failed to create containerd task: failed to create shim task: OCI runtime create "
                              "failed: runc create failed: unable to start container process: error during "
                              "container init: ")
    assert message.endswith(tail)
