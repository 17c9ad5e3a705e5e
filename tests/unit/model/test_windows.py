"""Maintenance windows: cron fields as cron(5) reads them, in the window's time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from i4qew.model.waves import Share, Window, duration_minutes
from i4qew.model.windows import CronError, is_open, next_open, parse_cron, window_problem

WEEKNIGHTS = Window("0 22 * * 1-5", 240, "Europe/Berlin")  # 22:00-02:00 Berlin, Monday to Friday starts


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(("when", "open_"), [
    ("2026-12-07T20:59", False),  # Monday 21:59 Berlin (UTC+1)
    ("2026-12-07T21:00", True),  # Monday 22:00 Berlin: opens
    ("2026-12-08T00:59", True),  # Tuesday 01:59: the Monday window is still open
    ("2026-12-08T01:00", False),  # four hours later: closed
    ("2026-12-12T21:30", False),  # Saturday: no window starts
    ("2026-12-12T00:30", True),  # Saturday 01:30 Berlin: Friday's window, still open
    ("2026-07-06T20:30", True),  # summer time (UTC+2): Monday 22:30 Berlin
    ("2026-07-06T19:59", False),
])
def test_a_window_is_open_from_its_start_for_its_duration_in_its_zone(when: str, open_: bool) -> None:
    assert is_open(WEEKNIGHTS, at(when)) is open_


def test_the_next_opening_is_the_next_start_in_the_zone() -> None:
    assert next_open(WEEKNIGHTS, at("2026-12-12T10:00")) == datetime(2026, 12, 14, 21, 0, tzinfo=UTC)
    assert next_open(Window("0 3 30 2 *", 60, "UTC"), at("2026-01-01T00:00")) is None  # 30 February


def test_day_of_month_and_day_of_week_both_restricted_match_either() -> None:
    cron = parse_cron("0 0 1 * 0")  # the 1st, and every Sunday
    assert cron.day_matches(datetime(2026, 12, 1).date())  # a Tuesday, the 1st
    assert cron.day_matches(datetime(2026, 12, 6).date())  # a Sunday
    assert not cron.day_matches(datetime(2026, 12, 2).date())
    assert parse_cron("0 0 * * 7").weekdays == frozenset({0})  # 7 is Sunday too


@pytest.mark.parametrize(("cron", "message"), [
    ("0 22 * *", "4 fields; a cron expression has five: minute hour day-of-month month day-of-week"),
    ("0 24 * * *", "hour: '24' is outside 0-23"),
    ("*/0 * * * *", "minute: step must be at least 1"),
    ("5-1 * * * *", "minute: '5-1' is outside 0-59"),
    ("0 mon * * *", "hour: 'mon' is not a number, a range a-b or *"),
])
def test_bad_cron_fields_are_explained(cron: str, message: str) -> None:
    with pytest.raises(CronError, match="^" + message.replace("*", r"\*").replace("(", r"\(") + "$"):
        parse_cron(cron)


def test_window_problems_name_the_zone() -> None:
    assert window_problem(Window("0 22 * * *", 60, "Europe/Bologna")) == "unknown time zone 'Europe/Bologna'"
    assert window_problem(WEEKNIGHTS) is None


def test_durations_and_shares() -> None:
    assert duration_minutes("1d12h30m") == 2190
    assert [Share(None, 25).of(n) for n in (0, 1, 4, 5)] == [0, 1, 1, 2]  # rounded up, as OCM's groups
    assert Share(3, None).of(2) == 2
    assert Share(None, 7).of(100) == 8  # OCM's float arithmetic: ceil(0.07 * 100) = ceil(7.000000000000001)
