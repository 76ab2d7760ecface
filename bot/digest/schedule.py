"""When each server's weekly digest falls: pure functions of UTC instants, a weekday, an hour and a time zone.

Schedules are wall-clock times in the server's zone ("Monday 9:00 Europe/Paris"): `zoneinfo` turns each
one into its own UTC instant, so 9:00 stays 9:00 across daylight-saving changes and a week may last 167 or
169 hours. Every function returns aware UTC datetimes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

log = logging.getLogger(__name__)

DEFAULT_TIMEZONE = "Europe/Paris"
CATCH_UP_WINDOW = timedelta(hours=24)
PERIOD_DAYS = 7

CatchUp = Literal["post", "skip"]


@dataclass(frozen=True)
class DigestPeriod:
    """One digest's slot: its week key and the [start, end) period it reports, in UTC."""

    week: str
    start: datetime
    end: datetime  # the scheduled instant


def zone(tz: str | tzinfo) -> tzinfo:
    """The time zone for a name; an unknown name falls back to Europe/Paris rather than losing the digest."""
    if isinstance(tz, tzinfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("Unknown time zone %r: using %s for the digest", tz, DEFAULT_TIMEZONE)
        return ZoneInfo(DEFAULT_TIMEZONE)


def _check(weekday: int, hour: int) -> None:
    if not 0 <= weekday <= 6:
        raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {weekday}")
    if not 0 <= hour <= 23:
        raise ValueError(f"hour must be 0 to 23, not {hour}")


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous: pass an aware datetime")


def scheduled_at(day: date, hour: int, tz: str | tzinfo) -> datetime:
    """The UTC instant of `hour`:00 local time on `day`.

    A local time skipped by a spring-forward change (2:30 in Paris on the last Sunday of March) lands one
    hour later in wall time; a repeated one (autumn) is its first occurrence — PEP 495's `fold=0`.
    """
    return datetime.combine(day, time(hour), tzinfo=zone(tz)).astimezone(UTC)


def latest_schedule(now_utc: datetime, weekday: int, hour: int, tz: str | tzinfo) -> datetime:
    """The most recent scheduled instant at or before `now_utc`."""
    _check(weekday, hour)
    _require_aware(now_utc)
    local_day = now_utc.astimezone(zone(tz)).date()
    day = local_day - timedelta(days=(local_day.weekday() - weekday) % 7)
    candidate = scheduled_at(day, hour, tz)
    if candidate > now_utc:
        candidate = scheduled_at(day - timedelta(days=7), hour, tz)
    return candidate


def next_schedule(now_utc: datetime, weekday: int, hour: int, tz: str | tzinfo) -> datetime:
    """The first scheduled instant strictly after `now_utc` (when the scheduler should wake up)."""
    _check(weekday, hour)
    _require_aware(now_utc)
    local_day = now_utc.astimezone(zone(tz)).date()
    day = local_day + timedelta(days=(weekday - local_day.weekday()) % 7)
    candidate = scheduled_at(day, hour, tz)
    if candidate <= now_utc:
        candidate = scheduled_at(day + timedelta(days=7), hour, tz)
    return candidate


def period_for(scheduled_utc: datetime, tz: str | tzinfo, hour: int | None = None) -> tuple[datetime, datetime]:
    """(start, end) in UTC: the 7 local days ending at the scheduled instant, as a half-open [start, end).

    Both ends are the same wall-clock time, so a week crossing a daylight-saving change lasts 167 or 169
    hours. Pass the configured `hour` when it may fall in a skipped hour, so that consecutive periods tile
    exactly (the scheduled instant alone cannot tell 3:00 from a shifted 2:00).
    """
    _require_aware(scheduled_utc)
    local = scheduled_utc.astimezone(zone(tz))
    start = scheduled_at(local.date() - timedelta(days=PERIOD_DAYS), local.hour if hour is None else hour, tz)
    return start, scheduled_utc.astimezone(UTC)


def week_key(scheduled_utc: datetime, tz: str | tzinfo) -> str:
    """The ISO year-week of the scheduled local time, e.g. `2026-W48` (the digests table's key)."""
    _require_aware(scheduled_utc)
    iso = scheduled_utc.astimezone(zone(tz)).isocalendar()
    return f"{iso.year:04d}-W{iso.week:02d}"


def catch_up_decision(now: datetime, scheduled: datetime, window: timedelta = CATCH_UP_WINDOW) -> CatchUp:
    """At start-up: post a missed digest if it is less than 24 h late, otherwise skip it.

    A digest a day late would land in the middle of the next week's debates, which helps nobody.
    """
    _require_aware(now)
    _require_aware(scheduled)
    if scheduled > now:
        raise ValueError("the scheduled instant is in the future: nothing to catch up yet")
    return "post" if now - scheduled < window else "skip"


def digest_period(scheduled_utc: datetime, tz: str | tzinfo, hour: int | None = None) -> DigestPeriod:
    """The week key and period of the digest scheduled at `scheduled_utc`."""
    start, end = period_for(scheduled_utc, tz, hour)
    return DigestPeriod(week=week_key(scheduled_utc, tz), start=start, end=end)
