"""Small helpers shared by the repositories: time and row conversion."""

from __future__ import annotations

from datetime import UTC, datetime


def to_datetime(ts: int | None) -> datetime | None:
    """A stored Unix timestamp as an aware UTC datetime."""
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def at(ts: int) -> datetime:
    """A stored Unix timestamp of a NOT NULL column as an aware UTC datetime."""
    return datetime.fromtimestamp(ts, UTC)


def to_ts(moment: datetime) -> int:
    """An aware datetime as stored Unix seconds."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous: pass an aware datetime")
    return int(moment.timestamp())
