"""Maintenance windows: five cron fields, a duration and an IANA time zone.

A window is open at `t` when a cron start `s` (in the window's time zone) has
`s <= t < s + duration`. Cron as cron(5) reads it: numbers, `*`, ranges `a-b`,
steps `/n`, lists `a,b`; day-of-week 0-7 (0 and 7 are Sunday); when both
day-of-month and day-of-week are restricted, a day matching either one counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from i4qew.model.waves import Window

_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))


class CronError(ValueError):
    pass


@dataclass(frozen=True)
class Cron:
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool  # day of month is `*`
    any_weekday: bool  # day of week is `*`

    def day_matches(self, d: date) -> bool:
        if d.month not in self.months:
            return False
        dom, dow = d.day in self.days, d.isoweekday() % 7 in self.weekdays
        if self.any_day or self.any_weekday:
            return dom and dow
        return dom or dow


def _field(text: str, name: str, low: int, high: int) -> set[int]:
    out: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        if step_text and not step_text.isdigit():
            raise CronError(f"{name}: step {step_text!r} is not a number")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise CronError(f"{name}: step must be at least 1")
        if body == "*":
            lo, hi = low, high
        else:
            a, _, b = body.partition("-")
            if not a.isdigit() or (b and not b.isdigit()):
                raise CronError(f"{name}: {part!r} is not a number, a range a-b or *")
            lo, hi = int(a), int(b) if b else (high if step_text else int(a))
            if not (low <= lo <= high and low <= hi <= high) or lo > hi:
                raise CronError(f"{name}: {part!r} is outside {low}-{high}")
        out.update(range(lo, hi + 1, step))
    return out


def parse_cron(text: str) -> Cron:
    parts = text.split()
    if len(parts) != 5:
        raise CronError(f"{len(parts)} fields; a cron expression has five: minute hour day-of-month month day-of-week")
    values = [_field(p, name, lo, hi) for p, (name, lo, hi) in zip(parts, _FIELDS, strict=True)]
    weekdays = frozenset(d % 7 for d in values[4])
    return Cron(tuple(sorted(values[0])), tuple(sorted(values[1])), frozenset(values[2]), frozenset(values[3]),
                weekdays, parts[2] == "*", parts[4] == "*")


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        hint = "" if available_timezones() else " (this machine has no time zone database: install tzdata)"
        raise CronError(f"unknown time zone {name!r}{hint}") from exc


def window_problem(w: Window) -> str | None:
    try:
        parse_cron(w.cron)
        zone(w.time_zone)
    except CronError as exc:
        return str(exc)
    return None


def _starts(cron: Cron, tz: ZoneInfo, first: date, last: date) -> Iterator[datetime]:
    day = first
    while day <= last:
        if cron.day_matches(day):
            for h in cron.hours:
                for m in cron.minutes:
                    yield datetime.combine(day, time(h, m), tz)
        day += timedelta(days=1)


def is_open(w: Window, at: datetime) -> bool:
    cron, tz = parse_cron(w.cron), zone(w.time_zone)
    local = at.astimezone(tz)
    length = timedelta(minutes=w.minutes)
    return any(s <= local < s + length for s in _starts(cron, tz, (local - length).date(), local.date()))


def next_open(w: Window, at: datetime, horizon_days: int = 400) -> datetime | None:
    """The next start at or after `at` (None: none within the horizon, e.g. 30 February)."""
    cron, tz = parse_cron(w.cron), zone(w.time_zone)
    local = at.astimezone(tz)
    for s in _starts(cron, tz, local.date(), local.date() + timedelta(days=horizon_days)):
        if s >= local:
            return s
    return None
