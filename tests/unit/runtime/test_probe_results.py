"""A probe's state over its runs, as the kubelet's prober worker keeps it: initial results, thresholds, periods
and initial delays, startup gating, holding after a verdict, and the events with their wording."""
import pytest

from sandbox.runtime.probe_results import LIVENESS, READINESS, STARTUP, ProbeTiming, ProbeWorker, \
    container_ready, container_started
from sandbox.runtime.probes import FAILURE, SUCCESS, UNKNOWN, WARNING, ProbeResult

OK, BAD = ProbeResult(SUCCESS, "ok"), ProbeResult(FAILURE, "HTTP probe failed with statuscode: 503")


def test_timing_defaults():
    assert ProbeTiming.of({}) == ProbeTiming(0.0, 10.0, 1.0, 1, 3)
    assert ProbeTiming.of({"initialDelaySeconds": 5, "periodSeconds": 2, "timeoutSeconds": 3, "successThreshold": 2,
                           "failureThreshold": 4}) == ProbeTiming(5.0, 2.0, 3.0, 2, 4)


@pytest.mark.parametrize("kind, initial", [(READINESS, FAILURE), (LIVENESS, SUCCESS), (STARTUP, UNKNOWN)])
def test_initial_results(kind, initial):
    worker = ProbeWorker(kind, {}, "api")
    worker.start(100.0)
    assert worker.result == initial


def test_initial_delay_then_every_period():
    worker = ProbeWorker(READINESS, {"initialDelaySeconds": 5, "periodSeconds": 10}, "api")
    assert not worker.due(0.0, started=True)  # no instance yet
    worker.start(100.0)
    assert not worker.due(104.9, started=True) and worker.due(105.0, started=True)
    worker.record(OK, 105.0)
    assert worker.next_at == 115.0 and not worker.due(110.0, started=True)


@pytest.mark.parametrize("started, first_run", [(100.0, 100.0), (100.2, 101.0), (100.999, 101.0)])
def test_readiness_first_runs_when_the_kubelets_relist_has_seen_the_container(started, first_run):
    """The pod sync after the PLEG relist (every second) asks for readiness: the app gets until then to bind."""
    readiness, liveness = ProbeWorker(READINESS, {"periodSeconds": 5}, "api"), ProbeWorker(LIVENESS, {}, "api")
    readiness.start(started)
    liveness.start(started)
    assert readiness.next_at == first_run and liveness.next_at == started
    assert not readiness.due(first_run - 0.001, started=True) and readiness.due(first_run, started=True)


def test_readiness_waits_for_its_initial_delay_past_the_relist():
    readiness = ProbeWorker(READINESS, {"initialDelaySeconds": 3}, "api")
    readiness.start(100.4)
    assert readiness.next_at == 103.4


@pytest.mark.parametrize("runs, results", [
    ([OK], [SUCCESS]),
    ([BAD, OK, OK, BAD, BAD, BAD], [FAILURE, FAILURE, SUCCESS, SUCCESS, SUCCESS, FAILURE]),  # success 2, failure 3
])
def test_readiness_follows_its_thresholds(runs, results):
    spec = {"successThreshold": 2, "failureThreshold": 3} if len(runs) > 1 else {}
    worker = ProbeWorker(READINESS, spec, "api")
    worker.start(0.0)
    seen = [worker.record(run, float(i)).result for i, run in enumerate(runs)]
    assert seen == results


def test_each_failed_run_is_an_unhealthy_event_and_the_third_kills():
    worker = ProbeWorker(LIVENESS, {"failureThreshold": 3}, "orders-api")
    worker.start(0.0)
    verdicts = [worker.record(BAD, t) for t in (0.0, 10.0, 20.0)]
    assert [v.result for v in verdicts] == [SUCCESS, SUCCESS, FAILURE]
    assert [e.message for v in verdicts for e in v.events] == ["Liveness probe failed: HTTP probe failed with "
                                                               "statuscode: 503"] * 3
    assert {(e.type, e.reason) for v in verdicts for e in v.events} == {("Warning", "Unhealthy")}
    assert verdicts[-1].kill == "Container orders-api failed liveness probe, will be restarted"
    assert verdicts[-1].changed and not worker.due(1000.0, started=True)  # held until the next instance
    worker.start(30.0)
    assert worker.result == SUCCESS and worker.due(30.0, started=True)


def test_the_kill_message_without_a_restart():
    worker = ProbeWorker(LIVENESS, {"failureThreshold": 1}, "api")
    worker.start(0.0)
    assert worker.record(BAD, 0.0, restart=False).kill == "Container api failed liveness probe"


def test_startup_gates_the_others_and_its_failure_kills():
    startup, liveness = ProbeWorker(STARTUP, {"failureThreshold": 2, "periodSeconds": 1}, "api"), \
        ProbeWorker(LIVENESS, {}, "api")
    for worker in (startup, liveness):
        worker.start(0.0)
    started = container_started(True, startup)
    assert not started and startup.due(0.0, started=started) and not liveness.due(0.0, started=started)
    startup.record(BAD, 0.0)
    verdict = startup.record(BAD, 1.0)
    assert verdict.kill == "Container api failed startup probe, will be restarted"
    assert [e.message for e in verdict.events] == ["Startup probe failed: HTTP probe failed with statuscode: 503"]
    startup.start(5.0)
    assert startup.record(OK, 5.0).result == SUCCESS
    started = container_started(True, startup)
    assert started and not startup.due(100.0, started=started) and liveness.due(100.0, started=started)


def test_errors_are_reported_and_not_counted_warnings_count_as_success():
    worker = ProbeWorker(READINESS, {"failureThreshold": 1}, "api")
    worker.start(0.0)
    errored = worker.record(ProbeResult(UNKNOWN, error='strconv.Atoi: parsing "web": invalid syntax'), 0.0)
    assert (errored.result, errored.changed) == (FAILURE, False)
    assert [(e.reason, e.message) for e in errored.events] == [
        ("Unhealthy", 'Readiness probe errored: strconv.Atoi: parsing "web": invalid syntax')]
    warned = worker.record(ProbeResult(WARNING, "Probe terminated redirects, Response body: "), 10.0)
    assert (warned.result, warned.changed) == (SUCCESS, True)
    assert [(e.type, e.reason, e.message) for e in warned.events] == [
        ("Warning", "ProbeWarning", "Readiness probe warning: Probe terminated redirects, Response body: ")]


def test_ready_needs_running_started_and_a_passing_readiness_probe():
    readiness = ProbeWorker(READINESS, {}, "api")
    readiness.start(0.0)
    assert container_ready(True, True, None)
    assert not container_ready(True, True, readiness)
    readiness.record(OK, 0.0)
    assert container_ready(True, True, readiness) and not container_ready(True, False, readiness)
    readiness.stopped()
    assert not container_ready(False, False, readiness) and readiness.result == FAILURE


def test_a_terminating_pod_stops_liveness_quietly():
    liveness, readiness = ProbeWorker(LIVENESS, {}, "api"), ProbeWorker(READINESS, {}, "api")
    for worker in (liveness, readiness):
        worker.start(0.0)
        worker.terminating()
    assert liveness.result == SUCCESS and not liveness.due(50.0, started=True)
    assert readiness.due(50.0, started=True)  # readiness goes on, so endpoints see the pod go unready
