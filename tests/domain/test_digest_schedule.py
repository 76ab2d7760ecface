"""When digests fall: wall-clock schedules across daylight-saving changes, ISO weeks, catch-up after downtime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.digest.schedule import (
    catch_up_decision,
    digest_period,
    latest_schedule,
    next_schedule,
    period_for,
    scheduled_at,
    week_key,
    zone,
)

PARIS = "Europe/Paris"
HOUR = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_default_schedule_is_monday_nine_paris_time() -> None:
    now = utc(2026, 11, 26, 9, 0)  # a Thursday; Paris is UTC+1 in winter
    assert latest_schedule(now, 0, 9, PARIS) == utc(2026, 11, 23, 8, 0)
    assert next_schedule(now, 0, 9, PARIS) == utc(2026, 11, 30, 8, 0)


def test_at_the_scheduled_instant_it_is_the_latest_and_the_next_is_a_week_later() -> None:
    scheduled = utc(2026, 11, 30, 8, 0)
    assert latest_schedule(scheduled, 0, 9, PARIS) == scheduled
    assert latest_schedule(scheduled - timedelta(seconds=1), 0, 9, PARIS) == utc(2026, 11, 23, 8, 0)
    assert next_schedule(scheduled, 0, 9, PARIS) == utc(2026, 12, 7, 8, 0)
    assert next_schedule(scheduled - timedelta(seconds=1), 0, 9, PARIS) == scheduled


def test_spring_forward_week_lasts_167_hours_and_nine_stays_nine() -> None:
    # Last Sunday of March 2026 is the 29th: Paris goes from UTC+1 to UTC+2.
    scheduled = latest_schedule(utc(2026, 3, 30, 12, 0), 0, 9, PARIS)
    assert scheduled == utc(2026, 3, 30, 7, 0)
    assert scheduled.astimezone(ZoneInfo(PARIS)).hour == 9
    start, end = period_for(scheduled, PARIS)
    assert start == utc(2026, 3, 23, 8, 0) and start.astimezone(ZoneInfo(PARIS)).hour == 9
    assert end == scheduled
    assert end - start == 167 * HOUR


def test_fall_back_week_lasts_169_hours_and_nine_stays_nine() -> None:
    # Last Sunday of October 2026 is the 25th: Paris goes from UTC+2 back to UTC+1.
    scheduled = next_schedule(utc(2026, 10, 24, 0, 0), 0, 9, PARIS)
    assert scheduled == utc(2026, 10, 26, 8, 0)
    start, end = period_for(scheduled, PARIS)
    assert start == utc(2026, 10, 19, 7, 0)
    assert start.astimezone(ZoneInfo(PARIS)).hour == end.astimezone(ZoneInfo(PARIS)).hour == 9
    assert end - start == 169 * HOUR


def test_a_digest_on_the_change_day_itself() -> None:
    sunday_nine = next_schedule(utc(2026, 3, 28, 0, 0), 6, 9, PARIS)
    assert sunday_nine == utc(2026, 3, 29, 7, 0)  # already summer time at 9:00
    start, end = period_for(sunday_nine, PARIS)
    assert end - start == 167 * HOUR


def test_skipped_and_repeated_local_hours_resolve_predictably() -> None:
    # 2:00 does not exist on 29 March in Paris: it lands at 3:00 summer time (01:00 UTC).
    assert scheduled_at(datetime(2026, 3, 29).date(), 2, PARIS) == utc(2026, 3, 29, 1, 0)
    # 2:00 happens twice on 25 October: the first one (summer time, 00:00 UTC) is used.
    assert scheduled_at(datetime(2026, 10, 25).date(), 2, PARIS) == utc(2026, 10, 25, 0, 0)


@pytest.mark.parametrize("tz", [PARIS, "America/New_York", "Australia/Sydney", "UTC"])
@pytest.mark.parametrize("weekday", [0, 6])
@pytest.mark.parametrize("hour", [0, 2, 3, 9, 23])
def test_consecutive_periods_tile_without_gap_or_overlap(tz: str, weekday: int, hour: int) -> None:
    """Over a year and more (both changes, New Year), each period starts where the previous one ended."""
    previous = latest_schedule(utc(2026, 1, 5, 12, 0), weekday, hour, tz)
    weeks = {week_key(previous, tz)}
    for _ in range(60):
        scheduled = next_schedule(previous, weekday, hour, tz)
        assert latest_schedule(scheduled, weekday, hour, tz) == scheduled
        start, end = period_for(scheduled, tz, hour)
        assert (start, end) == (previous, scheduled)
        assert end - start in (167 * HOUR, 168 * HOUR, 169 * HOUR)
        local = scheduled.astimezone(ZoneInfo(tz))
        assert local.weekday() == weekday
        assert local.hour == hour or (hour == 2 and local.hour == 3)  # only a skipped hour moves
        weeks.add(week_key(scheduled, tz))
        previous = scheduled
    assert len(weeks) == 61  # one distinct ISO week per digest: UNIQUE(guild_id, week) holds


def test_latest_and_next_bracket_now_in_another_zone() -> None:
    tz = "America/New_York"  # changes on 8 March 2026, three weeks before Europe
    for hours in range(0, 24 * 21, 5):
        now = utc(2026, 2, 25, 0, 0) + hours * HOUR
        latest, upcoming = latest_schedule(now, 0, 9, tz), next_schedule(now, 0, 9, tz)
        assert latest <= now < upcoming
        assert upcoming - latest in (167 * HOUR, 168 * HOUR)
        assert latest.astimezone(ZoneInfo(tz)).hour == 9 == upcoming.astimezone(ZoneInfo(tz)).hour


def test_week_keys_follow_iso_weeks_across_new_year() -> None:
    # 2026 starts on a Thursday, so it has an ISO week 53: Monday 28 Dec 2026 – Sunday 3 Jan 2027.
    assert week_key(scheduled_at(datetime(2026, 12, 28).date(), 9, PARIS), PARIS) == "2026-W53"
    assert week_key(scheduled_at(datetime(2027, 1, 1).date(), 9, PARIS), PARIS) == "2026-W53"  # a Friday
    assert week_key(scheduled_at(datetime(2027, 1, 4).date(), 9, PARIS), PARIS) == "2027-W01"
    # Monday 30 Dec 2024 already belongs to 2025's first week.
    assert week_key(scheduled_at(datetime(2024, 12, 30).date(), 9, PARIS), PARIS) == "2025-W01"
    assert week_key(utc(2026, 11, 23, 8, 0), PARIS) == "2026-W48"


def test_week_key_uses_the_local_date_not_the_utc_one() -> None:
    # Monday 4 Jan 2027 at 00:00 in Paris is still Sunday 3 Jan in UTC (week 53 there).
    scheduled = latest_schedule(utc(2027, 1, 4, 12, 0), 0, 0, PARIS)
    assert scheduled == utc(2027, 1, 3, 23, 0)
    assert week_key(scheduled, PARIS) == "2027-W01"
    assert week_key(scheduled, "UTC") == "2026-W53"
    period = digest_period(scheduled, PARIS, 0)
    assert (period.week, period.start, period.end) == ("2027-W01", utc(2026, 12, 27, 23, 0), scheduled)


def test_catch_up_posts_when_less_than_a_day_late_and_skips_otherwise() -> None:
    scheduled = utc(2026, 11, 30, 8, 0)
    assert catch_up_decision(scheduled, scheduled) == "post"
    assert catch_up_decision(scheduled + timedelta(hours=23, minutes=59, seconds=59), scheduled) == "post"
    assert catch_up_decision(scheduled + timedelta(hours=24), scheduled) == "skip"
    assert catch_up_decision(scheduled + timedelta(days=3), scheduled) == "skip"
    with pytest.raises(ValueError, match="future"):
        catch_up_decision(scheduled - timedelta(minutes=1), scheduled)


def test_bad_input_is_refused_and_unknown_zones_fall_back_to_paris() -> None:
    with pytest.raises(ValueError, match="naive"):
        latest_schedule(datetime(2026, 11, 26, 9, 0), 0, 9, PARIS)
    with pytest.raises(ValueError, match="weekday"):
        next_schedule(utc(2026, 11, 26, 9, 0), 7, 9, PARIS)
    with pytest.raises(ValueError, match="hour"):
        next_schedule(utc(2026, 11, 26, 9, 0), 0, 24, PARIS)
    assert zone("Mars/Olympus_Mons") == ZoneInfo(PARIS)
    assert latest_schedule(utc(2026, 11, 26, 9, 0), 0, 9, "Mars/Olympus_Mons") == utc(2026, 11, 23, 8, 0)
