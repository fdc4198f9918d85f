"""After a container stops: whether it starts again, CrashLoopBackOff's back-off and wording, the terminated
states, and the pod's phase as the kubelet's getPhase computes it."""
import pytest

from sandbox.runtime.restarts import BackOff, back_off_event_message, container_should_restart, \
    crash_loop_message, exit_code_of, pod_phase, should_restart, start_error_state, terminated_state

POD = {"metadata": {"name": "web-1", "namespace": "shop", "uid": "1234"}, "spec": {}}
RULES = {"restartPolicy": "Never", "restartPolicyRules": [
    {"action": "Restart", "exitCodes": {"operator": "In", "values": [42]}}]}


@pytest.mark.parametrize("pod_policy, container, exit_code, expected", [
    ("Always", {}, 0, True), ("Always", {}, 1, True),
    ("OnFailure", {}, 0, False), ("OnFailure", {}, 1, True),
    ("Never", {}, 1, False), (None, {}, 0, True),  # unset means Always
    ("Always", RULES, 42, True), ("Always", RULES, 1, False),  # the container's own policy and rules win
    ("Never", {"restartPolicy": "OnFailure"}, 3, True),
    ("Never", {"restartPolicy": "Never", "restartPolicyRules": [
        {"action": "Restart", "exitCodes": {"operator": "NotIn", "values": [0]}}]}, 0, False),
])
def test_container_should_restart(pod_policy, container, exit_code, expected):
    spec = {"restartPolicy": pod_policy} if pod_policy else {}
    assert container_should_restart(container, spec, exit_code) is expected


@pytest.mark.parametrize("pod_policy, container, init, exit_code, deleting, expected", [
    ("Always", {}, True, 0, False, False),  # an init container that succeeded is done
    ("Always", {}, True, 1, False, True),  # one that failed runs again...
    ("Never", {}, True, 1, False, False),  # ...unless nothing restarts in this pod
    ("Never", {"restartPolicy": "Always"}, True, 0, False, True),  # a sidecar always comes back
    ("Always", {}, False, 0, False, True),
    ("Always", {}, False, 1, True, False),  # a pod being deleted starts nothing
])
def test_should_restart(pod_policy, container, init, exit_code, deleting, expected):
    pod = {"metadata": {"deletionTimestamp": "2026-01-01T00:00:00Z"} if deleting else {},
           "spec": {"restartPolicy": pod_policy}}
    assert should_restart(container, pod, init=init, exit_code=exit_code) is expected


def test_crash_loop_back_off_doubles_to_five_minutes_and_is_forgotten():
    back_off = BackOff()
    assert back_off.restart_delay(finished_at=0.0, now=0.0) == 0.0  # the first restart is immediate
    assert back_off.current == 10.0
    assert back_off.restart_delay(finished_at=5.0, now=5.0) == 10.0  # held until t=15
    assert back_off.restart_delay(finished_at=5.0, now=12.0) == 3.0
    assert back_off.restart_delay(finished_at=5.0, now=15.0) == 0.0 and back_off.current == 20.0
    delays, finished = [], 15.0
    for _ in range(6):  # it crashes as soon as it starts
        wait = back_off.restart_delay(finished, finished)
        delays.append(wait)
        assert back_off.restart_delay(finished, finished + wait) == 0.0  # started at the end of the wait
        finished += wait
    assert delays == [20.0, 40.0, 80.0, 160.0, 300.0, 300.0]
    long_run = finished + 601.0  # this time it ran for more than ten minutes
    assert back_off.restart_delay(long_run, long_run) == 0.0 and back_off.current == 10.0


@pytest.mark.parametrize("seconds, shown", [(10, "10s"), (20, "20s"), (80, "1m20s"), (160, "2m40s"),
                                            (300, "5m0s")])
def test_the_kubelets_wording(seconds, shown):
    assert crash_loop_message(seconds, "api", POD) == f"back-off {shown} restarting failed container=api " \
                                                      f"pod=web-1_shop(1234)"
    assert back_off_event_message("api", POD) == "Back-off restarting failed container api in pod web-1_shop(1234)"


@pytest.mark.parametrize("returncode, oom, exit_code, reason", [
    (0, False, 0, "Completed"), (3, False, 3, "Error"), (-15, False, 143, "Error"), (-9, False, 137, "Error"),
    (-9, True, 137, "OOMKilled"),
])
def test_terminated_states(returncode, oom, exit_code, reason):
    state = terminated_state(exit_code=exit_code_of(returncode), oom=oom, started_at="2026-01-01T10:00:00Z",
                             finished_at="2026-01-01T10:05:00Z", container_id="containerd://abc")
    assert (state["exitCode"], state["reason"]) == (exit_code, reason)
    assert state["containerID"] == "containerd://abc" and "message" not in state


def test_a_start_error():
    state = start_error_state('failed to create containerd task: ... exec: "nosuch": executable file not found '
                              'in $PATH', finished_at="2026-01-01T10:00:01Z", container_id="containerd://x")
    assert (state["exitCode"], state["reason"], state["startedAt"]) == (128, "StartError", "1970-01-01T00:00:00Z")


def status(name, state, last=None, started=None):
    s = {"name": name, "state": state}
    if last is not None:
        s["lastState"] = {"terminated": last}
    if started is not None:
        s["started"] = started
    return s


RUN, WAIT = {"running": {}}, {"waiting": {"reason": "ContainerCreating"}}
OK, FAIL = {"terminated": {"exitCode": 0}}, {"terminated": {"exitCode": 1}}
CRASHED = {"waiting": {"reason": "CrashLoopBackOff"}}


@pytest.mark.parametrize("policy, init, containers, phase", [
    ("Always", [], [status("a", WAIT)], "Pending"),
    ("Always", [], [status("a", RUN), status("b", WAIT)], "Pending"),
    ("Always", [], [status("a", RUN), status("b", OK)], "Running"),
    ("Always", [], [status("a", OK), status("b", FAIL)], "Running"),  # all on their way back
    ("Always", [], [status("a", CRASHED, {"exitCode": 1})], "Running"),
    ("OnFailure", [], [status("a", OK), status("b", OK)], "Succeeded"),
    ("OnFailure", [], [status("a", OK), status("b", FAIL)], "Running"),  # b restarts
    ("Never", [], [status("a", OK), status("b", FAIL)], "Failed"),
    ("Never", [], [status("a", OK)], "Succeeded"),
    ("Never", [status("init", FAIL)], [status("a", WAIT)], "Failed"),
    ("Always", [status("init", FAIL)], [status("a", WAIT)], "Pending"),  # the init container runs again
    ("Always", [status("init", RUN)], [status("a", WAIT)], "Pending"),
    ("Always", [status("side", RUN, started=False)], [status("a", WAIT)], "Pending"),
    ("Never", [status("side", RUN, started=True)], [status("a", OK)], "Running"),  # until the kubelet stops it
    ("Never", [status("side", OK)], [status("a", OK)], "Succeeded"),  # a stopped sidecar does not count
    ("Always", [], [], "Pending"),
])
def test_pod_phase(policy, init, containers, phase):
    spec = {"restartPolicy": policy, "containers": [{"name": s["name"]} for s in containers],
            "initContainers": [{"name": s["name"], **({"restartPolicy": "Always"} if s["name"] == "side" else {})}
                               for s in init]}
    pod = {"metadata": {}, "spec": spec, "status": {"containerStatuses": containers, "initContainerStatuses": init}}
    assert pod_phase(pod) == phase


def test_a_terminal_pod_settles_whatever_its_policy():
    pod = {"metadata": {}, "spec": {"restartPolicy": "Always", "containers": [{"name": "a"}]},
           "status": {"containerStatuses": [status("a", FAIL)]}}
    assert pod_phase(pod) == "Running" and pod_phase(pod, terminal=True) == "Failed"
