"""Who may see a poll's counts, and when: the one rule every path (message, 📊, digest, chart) asks.

A poll has a results mode: `live` (everyone, always), `after_vote` (a member once they voted; the public
only the number of voters until the close), `after_close` (nobody before the close) and `moderators`
(moderators only, until one of them publishes the results). Moderators may always look; a published poll
shows its results to everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from bot.polls.tally import Tally

RESULTS_MODES = ("live", "after_vote", "after_close", "moderators")
DEFAULT_RESULTS_MODE = "live"
# How each mode is named in Discord's choice lists (the French names are in the command catalog).
RESULTS_MODE_NAMES = {
    "live": "live",
    "after_vote": "after voting",
    "after_close": "at the close",
    "moderators": "moderators only",
}


class Shown(Enum):
    """What a viewer may see of a poll's results."""

    FULL = "full"  # counts, percentages, chart
    VOTERS = "voters"  # the number of voters only
    NOTHING = "nothing"


@dataclass(frozen=True)
class Audience:
    """Who looks: the public (a message, the digest), a member privately, or a moderator."""

    moderator: bool = False
    voted: bool = False


PUBLIC = Audience()


def results_shown(mode: str, *, closed: bool, published: bool, audience: Audience = PUBLIC) -> Shown:
    """What `audience` may see of a poll in `mode`, open or `closed`, its results `published` or not."""
    if mode not in RESULTS_MODES:
        raise ValueError(f"unknown results mode: {mode!r}")
    if mode == "live" or published or audience.moderator:
        return Shown.FULL
    if mode == "after_vote":
        return Shown.FULL if closed or audience.voted else Shown.VOTERS
    if mode == "after_close":
        return Shown.FULL if closed else Shown.NOTHING
    return Shown.NOTHING  # moderators: until published


def counts_visible(mode: str, *, closed: bool, published: bool, audience: Audience = PUBLIC) -> bool:
    """True when `audience` may see the counts themselves (not only the number of voters)."""
    return results_shown(mode, closed=closed, published=published, audience=audience) is Shown.FULL


def visible_tally(
    tally: Tally,
    *,
    status: str,
    closes_at: datetime,
    now: datetime,
    mode: str = "live",
    published: bool = False,
) -> Tally | None:
    """The tally the public (a web page, a public message) may see now, or None when the mode hides it.

    Same shape as main's placeholder of this name (the web results page calls it), with the poll's mode added.
    A poll past its deadline counts as closed even before the loop has closed it in the store.
    """
    closed = status != "open" or now >= closes_at
    return tally if counts_visible(mode, closed=closed, published=published) else None
