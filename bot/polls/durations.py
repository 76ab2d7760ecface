"""Durations typed by moderators: `3d`, `12h`, `1w`, `1j`, `90m`, `1d12h`."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.errors import UserFacingError

MIN_POLL_DURATION = timedelta(hours=1)
MAX_POLL_DURATION = timedelta(days=32)

_UNITS = {
    "w": 7 * 86400, "sem": 7 * 86400,
    "d": 86400, "j": 86400,
    "h": 3600,
    "m": 60, "min": 60,
}  # fmt: skip
_PART = re.compile(r"(\d{1,4})\s*(sem|min|w|d|j|h|m)", re.IGNORECASE)


def parse_duration(text: str) -> timedelta:
    """Parse `3d`, `12h`, `1w`, `2j`, `1 sem`, `90m`, `1d12h`; raises UserFacingError when unreadable."""
    cleaned = text.strip().lower().replace(" ", "")
    if not cleaned:
        raise UserFacingError("duration.invalid", value=text)
    position, seconds = 0, 0
    for match in _PART.finditer(cleaned):
        if match.start() != position:
            raise UserFacingError("duration.invalid", value=text)
        seconds += int(match.group(1)) * _UNITS[match.group(2).lower()]
        position = match.end()
    if position != len(cleaned) or seconds == 0:
        raise UserFacingError("duration.invalid", value=text)
    return timedelta(seconds=seconds)


def parse_poll_duration(text: str) -> timedelta:
    """A poll duration between 1 hour and 32 days."""
    span = parse_duration(text)
    if not MIN_POLL_DURATION <= span <= MAX_POLL_DURATION:
        raise UserFacingError("duration.out_of_range", value=text)
    return span
