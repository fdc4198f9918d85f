"""The CRI log format and PodLogOptions applied as the kubelet's ReadLogs applies them, option by option and
combined; and which instance a logs request reads, with the kubelet's refusals."""
from datetime import datetime, timezone

import pytest

from sandbox.registry.kubelet_connection import LogOptions, NodeError
from sandbox.machinery.timestamps import epoch_ns as parse_rfc3339
from sandbox.runtime.log_format import LogRecord, cri_line, parse_cri_line, render, \
    rfc3339_nano, rfc3339_nano_fixed
from sandbox.runtime.log_status import log_target

T0 = parse_rfc3339("2026-01-01T10:00:00Z")
S = 1_000_000_000


def rec(second, text, stream="stdout"):
    return LogRecord(T0 + second * S, stream, text.encode())


RECORDS = [rec(0, "one\n"), rec(10, "two\n", "stderr"), rec(20, "thr"), rec(21, "ee\n"), rec(30, "four\n")]
NOW = T0 + 40 * S


@pytest.mark.parametrize("time_ns, nano, fixed", [
    (T0, "2026-01-01T10:00:00Z", "2026-01-01T10:00:00.000000000Z"),
    (T0 + 120_000_000, "2026-01-01T10:00:00.12Z", "2026-01-01T10:00:00.120000000Z"),
    (T0 + 1, "2026-01-01T10:00:00.000000001Z", "2026-01-01T10:00:00.000000001Z"),
])
def test_timestamps(time_ns, nano, fixed):
    assert (rfc3339_nano(time_ns), rfc3339_nano_fixed(time_ns)) == (nano, fixed)
    assert parse_rfc3339(nano) == time_ns


def test_records_round_trip_through_the_file_format():
    assert cri_line(rec(0, "hello\n")) == b"2026-01-01T10:00:00Z stdout F hello\n"
    assert cri_line(rec(1, "no newline", "stderr")) == b"2026-01-01T10:00:01Z stderr P no newline\n"
    for record in RECORDS:
        assert parse_cri_line(cri_line(record)) == record
    assert parse_rfc3339("2026-01-01T11:00:00+01:00") == T0
    assert parse_cri_line(b"garbage\n") is None and parse_cri_line(b"2026-01-01T10:00:00Z stdin F x\n") is None


@pytest.mark.parametrize("options, expected", [
    (LogOptions(), b"one\ntwo\nthree\nfour\n"),
    (LogOptions(tail_lines=2), b"ee\nfour\n"),  # records, not lines: the tail starts inside "three"
    (LogOptions(tail_lines=0), b""),
    (LogOptions(since_seconds=20), b"three\nfour\n"),  # now is 10:00:40: records from 10:00:20 on
    (LogOptions(since_time=datetime(2026, 1, 1, 10, 0, 21, tzinfo=timezone.utc)), b"ee\nfour\n"),
    (LogOptions(since_seconds=30, since_time=datetime(2026, 1, 1, 10, 0, 25, tzinfo=timezone.utc)), b"four\n"),
    (LogOptions(tail_lines=4, since_seconds=19), b"ee\nfour\n"),  # tail first (two..four), then since (21 on)
    (LogOptions(stream="Stderr"), b"two\n"),
    (LogOptions(stream="Stdout"), b"one\nthree\nfour\n"),
    (LogOptions(limit_bytes=6), b"one\ntw"),  # cut mid-line
    (LogOptions(limit_bytes=6, stream="Stdout"), b"one\nth"),  # the other stream does not count
    (LogOptions(timestamps=True, tail_lines=3),
     b"2026-01-01T10:00:20.000000000Z thr" b"ee\n" b"2026-01-01T10:00:30.000000000Z four\n"),
    (LogOptions(timestamps=True, limit_bytes=10), b"2026-01-01"),
])
def test_options_and_their_combinations(options, expected):
    assert render(RECORDS, options, NOW) == expected


def pod(state, last=None, name="api", kind="containerStatuses"):
    status = {"name": name, "state": state, "containerID": "containerd://cur"}
    if last is not None:
        status["lastState"] = {"terminated": last}
    return {"metadata": {"name": "web-1"}, "status": {kind: [status]}}


RUNNING = {"running": {"startedAt": "2026-01-01T10:00:00Z"}}
DIED = {"exitCode": 1, "reason": "Error", "containerID": "containerd://old"}


@pytest.mark.parametrize("the_pod, previous, container_id, last_state", [
    (pod(RUNNING), False, "containerd://cur", False),
    (pod(RUNNING, DIED), True, "containerd://old", True),
    (pod({"waiting": {"reason": "CrashLoopBackOff"}}, DIED), False, "containerd://old", True),
    (pod({"terminated": {"exitCode": 0, "containerID": "containerd://done"}}, kind="initContainerStatuses"),
     False, "containerd://done", False),
    (pod({"terminated": {"exitCode": 128, "reason": "StartError"}}, DIED), False, "containerd://old", True),
])
def test_which_instance_a_request_reads(the_pod, previous, container_id, last_state):
    target = log_target(the_pod, "api", previous=previous)
    assert (target.container_id, target.last_state) == (container_id, last_state)


@pytest.mark.parametrize("the_pod, container, previous, message", [
    (pod(RUNNING), "api", True, 'previous terminated container "api" in pod "web-1" not found'),
    (pod({"waiting": {"reason": "ContainerCreating"}}), "api", False,
     'container "api" in pod "web-1" is waiting to start: ContainerCreating'),
    (pod({"waiting": {"reason": "ImagePullBackOff"}}), "api", False,
     'container "api" in pod "web-1" is waiting to start: trying and failing to pull image'),
    (pod({"waiting": {"reason": "ErrImagePull"}}), "api", False,
     'container "api" in pod "web-1" is waiting to start: image can\'t be pulled'),
    (pod({"waiting": {"reason": "CreateContainerConfigError"}}), "api", False,
     'container "api" in pod "web-1" is waiting to start: CreateContainerConfigError'),
    (pod({"terminated": {"exitCode": 128}}), "api", False, 'container "api" in pod "web-1" is terminated'),
    (pod({}), "api", False, 'container "api" in pod "web-1" is waiting to start - no logs yet'),
    (pod(RUNNING), "other", False, 'container "other" in pod "web-1" is not available'),
])
def test_the_kubelets_refusals(the_pod, container, previous, message):
    with pytest.raises(NodeError) as caught:
        log_target(the_pod, container, previous=previous)
    assert (caught.value.message, caught.value.code) == (message, 400)
