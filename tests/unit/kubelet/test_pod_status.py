"""The pod's status from the kubelet's container records: getPhase's cases, the conditions and their transition
times, and the IPs a finished pod keeps."""
from __future__ import annotations

import pytest

from sandbox.kubelet.container_record import ContainerRecord, Terminated
from sandbox.kubelet.pod_status import PodView, phase, pod_status
from sandbox.simulation import images

NOW = 1_800_000_000.0


def record(name: str, role: str = "app", state: str = "waiting", exit_code: int = 0, restarted: bool = False,
           ready: bool = False) -> ContainerRecord:
    r = ContainerRecord(name, role, {"name": name}, images.parse("python:3.11"))
    if restarted:
        r.run(NOW - 30)
        r.stop(Terminated(1, "Error", NOW - 30, NOW - 20))
        r.wait("CrashLoopBackOff", "back-off 10s restarting failed container")
    if state == "running":
        r.run(NOW - 10)
        r.started, r.ready = True, ready
    elif state == "terminated":
        r.run(NOW - 10)
        r.stop(Terminated(exit_code, "Completed" if exit_code == 0 else "Error", NOW - 10, NOW - 5))
    return r


def view(policy: str = "Always") -> PodView:
    return PodView("uid-1", 1, policy, "172.18.0.3", "10.244.1.7", NOW - 40, NOW - 41, "Burstable")


@pytest.mark.parametrize("records, policy, expected", [
    ([record("a")], "Always", "Pending"),                                         # not started yet
    ([record("a", state="running")], "Always", "Running"),
    ([record("a", restarted=True)], "Always", "Running"),                          # CrashLoopBackOff counts as stopped
    ([record("a", state="terminated")], "Never", "Succeeded"),
    ([record("a", state="terminated", exit_code=3)], "Never", "Failed"),
    ([record("a", state="terminated", exit_code=3)], "OnFailure", "Running"),      # it will be restarted
    ([record("a", state="terminated"), record("b", state="running")], "Never", "Running"),
    ([record("i", "init", "terminated", exit_code=1), record("a")], "Never", "Failed"),
    ([record("i", "init", "running"), record("a")], "Always", "Pending"),           # still initializing
    ([record("s", "sidecar", "running"), record("a", state="running")], "Always", "Running"),
])
def test_phase_follows_get_phase(records, policy, expected):
    assert phase(records, view(policy)) == expected


def test_ready_conditions_name_the_unready_containers_and_keep_their_transition_times():
    records = [record("api", state="running", ready=True), record("sidecar", state="running")]
    status = pod_status(records, view(), {}, NOW)
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["Ready"]["status"] == "False"
    assert conditions["Ready"]["message"] == "containers with unready status: [sidecar]"
    assert conditions["Initialized"]["status"] == "True"
    records[1].ready = True
    later = pod_status(records, view(), status, NOW + 60)
    ready = {c["type"]: c for c in later["conditions"]}
    assert ready["Ready"]["status"] == "True" and ready["Ready"]["lastTransitionTime"] != \
        conditions["Ready"]["lastTransitionTime"]
    assert ready["Initialized"]["lastTransitionTime"] == conditions["Initialized"]["lastTransitionTime"]


def test_a_finished_pod_is_not_ready_and_keeps_its_ip():
    v = view("Never")
    v.sandbox_ready_at = None
    status = pod_status([record("job", state="terminated")], v, {"podIP": "10.244.1.7"}, NOW)
    conditions = {c["type"]: c for c in status["conditions"]}
    assert status["phase"] == "Succeeded" and status["podIP"] == "10.244.1.7"
    assert conditions["Ready"]["reason"] == "PodCompleted"
    assert conditions["PodReadyToStartContainers"]["status"] == "False"


def test_container_status_renders_the_last_state_and_the_image_once_started():
    r = record("a", restarted=True)
    out = r.status("uid-1")
    assert out["state"] == {"waiting": {"reason": "CrashLoopBackOff",
                                        "message": "back-off 10s restarting failed container"}}
    assert out["lastState"]["terminated"]["exitCode"] == 1 and out["restartCount"] == 0
    assert out["image"] == "docker.io/library/python:3.11" and out["containerID"].startswith("containerd://")
    r.run(NOW)
    assert r.status("uid-1")["restartCount"] == 1
    fresh = record("b").status("uid-1")
    assert fresh["image"] == "python:3.11" and "lastState" not in fresh and fresh["imageID"] == ""
