"""Which results of a poll may be shown, to anyone, anywhere (Discord or the web).

The one place a results-visibility rule plugs in: every poll is `live` today, so the counts are always
shown. When polls gain modes (hidden until closed, …) this function decides for every reader.
"""

from __future__ import annotations

from datetime import datetime

from bot.polls.tally import Tally


def visible_tally(tally: Tally, *, status: str, closes_at: datetime, now: datetime) -> Tally | None:
    """The tally readers may see now, or None when the poll's rule hides its counts."""
    return tally
