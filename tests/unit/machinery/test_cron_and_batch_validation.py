"""Cron schedules (robfig/cron's parser and next times, on a zone's wall clock across DST) and batch/v1
validation worded as kube-apiserver words it."""
from __future__ import annotations

import datetime as dt

import pytest

from sandbox.machinery import batch_defaults, batch_validation, cron

UTC = dt.timezone.utc


def at(*args, tz=UTC) -> float:
    return dt.datetime(*args, tzinfo=tz).timestamp()


def local(t: float, tz) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, tz)


@pytest.mark.parametrize("spec, after, expected", [
    ("*/1 * * * *", at(2026, 3, 6, 10, 0, 30), at(2026, 3, 6, 10, 1)),
    ("*/15 9-17 * * mon-fri", at(2026, 3, 6, 17, 50), at(2026, 3, 9, 9, 0)),  # Friday evening -> Monday
    ("@hourly", at(2026, 3, 6, 10, 0), at(2026, 3, 6, 11, 0)),
    ("@daily", at(2026, 12, 31, 23, 59), at(2027, 1, 1, 0, 0)),
    ("0 0 13 * 5", at(2026, 3, 1), at(2026, 3, 6)),  # day of month OR day of week when neither is a star
    ("0 0 29 2 *", at(2026, 3, 1), at(2028, 2, 29)),
])
def test_next_after(spec, after, expected):
    assert cron.next_after(cron.parse(spec), after) == expected


def test_time_zone_and_daylight_saving():
    paris = cron.zone("Europe/Paris")
    nightly = cron.parse("0 3 * * *")
    assert local(cron.next_after(nightly, at(2026, 1, 10, 12), paris), paris) == dt.datetime(2026, 1, 11, 3, tzinfo=paris)
    ny = cron.zone("America/New_York")
    half_past_two = cron.parse("30 2 * * *")  # 2026-03-08 02:30 does not exist in New York
    first = cron.next_after(half_past_two, at(2026, 3, 7, 12, tz=ny), ny)
    assert local(first, ny).date() == dt.date(2026, 3, 7) or local(first, ny).date() == dt.date(2026, 3, 9)
    assert local(cron.next_after(half_past_two, at(2026, 3, 7, 3, tz=ny), ny), ny).date() == dt.date(2026, 3, 9)
    half_past_one = cron.parse("30 1 * * *")  # 2026-11-01 01:30 happens twice: both instants run
    a = cron.next_after(half_past_one, at(2026, 11, 1, 0, tz=ny), ny)
    b = cron.next_after(half_past_one, a, ny)
    assert b - a == 3600


@pytest.mark.parametrize("spec, message", [
    ("", "empty spec string"),
    ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
    ("60 * * * *", "end of range (60) above maximum (59): 60"),
    ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
    ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
    ("*/0 * * * *", "step of range should be a positive number: */0"),
    ("x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'),
    ("@fortnightly", "unrecognized descriptor: @fortnightly"),
])
def test_parse_errors_carry_robfig_crons_words(spec, message):
    with pytest.raises(cron.CronError) as e:
        cron.parse(spec)
    assert str(e.value) == message


def test_missed_counts_every_run_and_keeps_the_latest():
    count, latest = cron.missed(cron.parse("* * * * *"), at(2026, 1, 1, 0, 0), at(2026, 1, 1, 3, 0, 30))
    assert (count, latest) == (180, at(2026, 1, 1, 3, 0))


def _job(**spec) -> dict:
    body = {"metadata": {"name": "pi", "uid": "u1"},
            "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "perl"}], "restartPolicy": "Never",
                                           "dnsPolicy": "ClusterFirst"}}, **spec}}
    batch_defaults.generate_selector(body)
    batch_defaults.set_job_defaults(body)
    return body


def _messages(causes) -> list[str]:
    return [f"{c.field}: {c.message}" for c in causes]


def test_job_defaults_and_generated_labels():
    job = _job()
    spec = job["spec"]
    assert (spec["completions"], spec["parallelism"], spec["backoffLimit"], spec["completionMode"], spec["suspend"],
            spec["manualSelector"], spec["podReplacementPolicy"]) == (1, 1, 6, "NonIndexed", False, False,
                                                                     "TerminatingOrFailed")
    assert spec["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": "u1"}}
    assert job["metadata"]["labels"] == {"job-name": "pi", "batch.kubernetes.io/job-name": "pi",
                                         "controller-uid": "u1", "batch.kubernetes.io/controller-uid": "u1"}
    assert batch_validation.validate_job(job, None) == []


def test_job_validation_wording():
    job = _job(completionMode="Indexed", parallelism=2)
    job["spec"]["template"]["spec"]["restartPolicy"] = "Always"
    assert _messages(batch_validation.validate_job(job, None)) == [
        "spec.completions: Required value: when completion mode is Indexed",
        'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']
    old = _job()
    new = _job()
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "perl:5"
    assert _messages(batch_validation.validate_job(new, old))[0].endswith("field is immutable")


def test_cron_job_validation_wording():
    template = {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x"}],
                                               "restartPolicy": "OnFailure", "dnsPolicy": "ClusterFirst"}}}}
    body = {"metadata": {"name": "n" * 53}, "spec": {"schedule": "TZ=UTC 0 * * *", "timeZone": "Mars/Base",
                                                      "concurrencyPolicy": "Sometimes", "jobTemplate": template}}
    batch_defaults.set_cron_job_defaults(body)
    body["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0].update(
        imagePullPolicy="Always", terminationMessagePolicy="File")
    assert _messages(batch_validation.validate_cron_job(body, None)) == [
        'spec.schedule: Invalid value: "TZ=UTC 0 * * *": expected exactly 5 fields, found 4: [0 * * *]',
        'spec.schedule: Invalid value: "TZ=UTC 0 * * *": cannot use TZ or CRON_TZ in schedule, use timeZone '
        'field instead',
        'spec.timeZone: Invalid value: "Mars/Base": unknown time zone Mars/Base',
        'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
        f'metadata.name: Invalid value: "{"n" * 53}": must be no more than 52 characters']
