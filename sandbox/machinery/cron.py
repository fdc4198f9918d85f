"""Cron schedules as the CronJob controller reads them (github.com/robfig/cron/v3's ParseStandard, which
kube-apiserver's validation and the controller both call): five fields (minute, hour, day of month, month, day of
week) with `*`, `?`, lists, ranges, steps and month/day names, or a descriptor (@yearly, @annually, @monthly,
@weekly, @daily, @midnight, @hourly, @every <duration>). Parse errors carry the library's words, which
kube-apiserver quotes in its 422.

`next_after(schedule, t, zone)` is the first scheduled moment after `t` (epoch seconds), reading the fields on the
wall clock of `zone` (an IANA name; UTC when None, the controller manager's zone on kind). Each real minute is
matched on its local wall time, so a time that a DST spring-forward skips does not run that day, and one that the
fall-back repeats runs at both instants. Pure: no clock, no I/O."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_MONTHS = {name: i + 1 for i, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
_DAYS = {name: i for i, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
# (minimum, maximum, names) per field, in the standard order
_BOUNDS = ((0, 59, {}), (0, 23, {}), (1, 31, {}), (1, 12, _MONTHS), (0, 6, _DAYS))
_DESCRIPTORS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
                "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}


class CronError(ValueError):
    """A schedule the parser refuses; str() is robfig/cron's message."""


@dataclass(frozen=True)
class Schedule:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    days_star: bool = False  # a `*`/`?` day field: the other day field alone decides
    weekdays_star: bool = False
    every: float = 0.0  # @every <duration>: seconds between runs instead of the fields


def _int(text: str) -> int:
    if not re.fullmatch(r"[+-]?\d+", text):
        raise CronError(f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": invalid syntax')
    value = int(text)
    if value < 0:
        raise CronError(f"negative number ({value}) not allowed: {text}")
    return value


def _int_or_name(text: str, names: dict) -> int:
    return names[text.lower()] if text.lower() in names else _int(text)


def _range(expr: str, low: int, high: int, names: dict) -> tuple[set[int], bool]:
    """getRange: one comma-separated part -> its values, and whether it was a star."""
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    star = low_and_high[0] in ("*", "?")
    if star:
        start, end = low, high
    else:
        start = _int_or_name(low_and_high[0], names)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _int_or_name(low_and_high[1], names)
        else:
            raise CronError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _int(range_and_step[1])
        if len(low_and_high) == 1:  # "N/step" means "N-max/step"
            end = high
        if step > 1:
            star = False
    else:
        raise CronError(f"too many slashes: {expr}")
    if start < low:
        raise CronError(f"beginning of range ({start}) below minimum ({low}): {expr}")
    if end > high:
        raise CronError(f"end of range ({end}) above maximum ({high}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")
    return set(range(start, end + 1, step)), star


def _field(text: str, index: int) -> tuple[frozenset[int], bool]:
    low, high, names = _BOUNDS[index]
    values: set[int] = set()
    star = False
    for part in text.split(","):
        found, part_star = _range(part, low, high, names)
        values |= found
        star = star or part_star
    return frozenset(values), star


_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _go_duration(text: str) -> float:
    """time.ParseDuration for the positive durations @every takes ("1h30m", "90s")."""
    if not text or _DURATION.sub("", text):
        raise CronError(f'failed to parse duration @every {text}: time: invalid duration "{text}"')
    return sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION.findall(text))


def parse(spec: str) -> Schedule:
    """cron.ParseStandard(spec)."""
    text = spec.strip()
    if not text:
        raise CronError("empty spec string")
    if text.startswith(("TZ=", "CRON_TZ=")):  # a time zone prefix: the controller takes it, validation refuses it
        text = text.split(None, 1)[1] if len(text.split(None, 1)) > 1 else ""
    if text.startswith("@"):
        if text.startswith("@every "):
            seconds = _go_duration(text[len("@every "):].strip())
            if seconds <= 0:
                raise CronError(f"failed to parse duration {text}")
            return Schedule(frozenset(), frozenset(), frozenset(), frozenset(), frozenset(), every=max(seconds, 1.0))
        if text not in _DESCRIPTORS:
            raise CronError(f"unrecognized descriptor: {text}")
        text = _DESCRIPTORS[text]
    fields = text.split()
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
    parsed = [_field(f, i) for i, f in enumerate(fields)]
    return Schedule(parsed[0][0], parsed[1][0], parsed[2][0], parsed[3][0], parsed[4][0],
                    days_star=parsed[2][1], weekdays_star=parsed[4][1])


def zone(name: str | None) -> dt.tzinfo:
    """The location of a CronJob's spec.timeZone (UTC without one); ZoneInfoNotFoundError for an unknown name."""
    if not name:
        return dt.timezone.utc
    try:
        return ZoneInfo(name)
    except (ValueError, OSError) as e:
        raise ZoneInfoNotFoundError(name) from e


_SEARCH_MINUTES = 5 * 366 * 24 * 60  # robfig/cron gives up after five years (a 30 February never comes)


def next_after(schedule: Schedule, t: float, tz: dt.tzinfo | None = None) -> float | None:
    """The first scheduled moment strictly after t (epoch seconds), None when there is none within five years."""
    if schedule.every:
        return float(int(t) + int(schedule.every))  # robfig: the next whole second after t + the interval
    tz = tz or dt.timezone.utc
    minute = (int(t) // 60 + 1) * 60  # schedules fire on whole minutes
    end = minute + _SEARCH_MINUTES * 60
    while minute < end:
        local = dt.datetime.fromtimestamp(minute, tz)
        if local.month not in schedule.months or not _day_ok(schedule, local):
            # skip to (just before) the next local day; an hour short so that a 23-hour DST day is not overshot
            left = (24 * 60 - (local.hour * 60 + local.minute)) - 60
            minute += max(left, 1) * 60
            continue
        if local.hour not in schedule.hours:
            minute += max(60 - local.minute, 1) * 60
            continue
        if local.minute in schedule.minutes:
            return float(minute)
        minute += 60
    return None


def _day_ok(schedule: Schedule, local: dt.datetime) -> bool:
    day = local.day in schedule.days
    weekday = (local.isoweekday() % 7) in schedule.weekdays
    if schedule.days_star or schedule.weekdays_star:
        return day and weekday
    return day or weekday


def missed(schedule: Schedule, earliest: float, now: float, tz: dt.tzinfo | None = None,
           cap: int = 100_000) -> tuple[int, float | None]:
    """mostRecentScheduleTime: how many scheduled moments fell in (earliest, now], and the latest of them."""
    count, latest, t = 0, None, earliest
    while count < cap:
        nxt = next_after(schedule, t, tz)
        if nxt is None or nxt > now:
            break
        count, latest, t = count + 1, nxt, nxt
    return count, latest


def rfc3339_in(second: float, tz: dt.tzinfo | None) -> str:
    """time.Format(RFC3339) of a moment in a zone: "2026-03-06T10:00:00+01:00", "...Z" in UTC."""
    text = dt.datetime.fromtimestamp(int(second), tz or dt.timezone.utc).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") and tz in (None, dt.timezone.utc) else text


def rfc1123z(second: float) -> str:
    """time.Format(RFC1123Z) in UTC: "Fri, 06 Mar 2026 09:00:00 +0000"."""
    return dt.datetime.fromtimestamp(int(second), dt.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000")
