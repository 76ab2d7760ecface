"""The one rule of who sees a poll's counts, and the digest that follows it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.digest.build import build_digest
from bot.digest.render import chart_sections, render_digest
from bot.polls.tally import compute_tally
from bot.polls.visibility import (
    PUBLIC,
    RESULTS_MODES,
    Audience,
    Shown,
    counts_visible,
    results_shown,
    visible_tally,
)
from db.guild_settings import GuildSettings
from tests.domain.test_digest_render import CHOICE as CHOICE_OPTIONS
from tests.domain.test_digest_render import GUILD, PERIOD, activity, poll

VOTER = Audience(voted=True)
MODERATOR = Audience(moderator=True)

# (mode, closed, published, audience) → what is shown. Every mode, open and closed, for each audience.
TABLE = [
    ("live", False, False, PUBLIC, Shown.FULL),
    ("live", True, False, PUBLIC, Shown.FULL),
    ("after_vote", False, False, PUBLIC, Shown.VOTERS),
    ("after_vote", False, False, VOTER, Shown.FULL),
    ("after_vote", False, False, MODERATOR, Shown.FULL),
    ("after_vote", True, False, PUBLIC, Shown.FULL),
    ("after_close", False, False, PUBLIC, Shown.NOTHING),
    ("after_close", False, False, VOTER, Shown.NOTHING),
    ("after_close", False, False, MODERATOR, Shown.FULL),
    ("after_close", True, False, PUBLIC, Shown.FULL),
    ("moderators", False, False, PUBLIC, Shown.NOTHING),
    ("moderators", True, False, PUBLIC, Shown.NOTHING),
    ("moderators", True, False, VOTER, Shown.NOTHING),
    ("moderators", True, False, MODERATOR, Shown.FULL),
    ("moderators", True, True, PUBLIC, Shown.FULL),
    ("moderators", False, True, VOTER, Shown.FULL),
]


@pytest.mark.parametrize(("mode", "closed", "published", "audience", "expected"), TABLE)
def test_who_sees_what(mode: str, closed: bool, published: bool, audience: Audience, expected: Shown) -> None:
    assert results_shown(mode, closed=closed, published=published, audience=audience) is expected
    assert counts_visible(mode, closed=closed, published=published, audience=audience) is (expected is Shown.FULL)


def test_every_mode_shows_its_final_results_to_the_public_except_moderators() -> None:
    closed = {mode: counts_visible(mode, closed=True, published=False) for mode in RESULTS_MODES}
    assert closed == {"live": True, "after_vote": True, "after_close": True, "moderators": False}


def test_visible_tally_for_public_readers_follows_the_same_rule() -> None:
    tally = compute_tally(CHOICE_OPTIONS, {0: 2}, 2)
    start = PERIOD.start
    later = start + timedelta(days=1)
    assert visible_tally(tally, status="open", closes_at=later, now=start) is tally  # live by default
    assert visible_tally(tally, status="open", closes_at=later, now=start, mode="after_close") is None
    assert visible_tally(tally, status="open", closes_at=later, now=later, mode="after_close") is tally  # deadline
    assert visible_tally(tally, status="closed", closes_at=later, now=later, mode="moderators") is None
    assert visible_tally(tally, status="closed", closes_at=later, now=later, mode="moderators", published=True)


def test_an_unknown_mode_is_an_error_not_a_leak() -> None:
    with pytest.raises(ValueError, match="unknown results mode"):
        results_shown("everyone", closed=False, published=False)


def test_the_digest_hides_counts_the_public_may_not_see_and_shows_the_rest() -> None:
    settings = GuildSettings(guild_id=GUILD)
    hidden_open = replace(poll(1, {0: 7, 1: 2}, status="open"), results_visibility="after_close")
    hidden_closed = replace(poll(2, {0: 5}), results_visibility="moderators")
    shown = replace(poll(3, {1: 3}), results_visibility="after_vote")  # closed: final results are public
    published = replace(poll(4, {0: 1}), results_visibility="moderators", results_published=True)
    digest = build_digest(activity([hidden_open, hidden_closed, shown, published], votes=4), PERIOD, settings, {})

    by_id = {section.poll_id: section for section in digest.sections}
    assert by_id[1].results_hidden and by_id[1].tally.voters == 0 and by_id[1].tally.votes == 0
    assert by_id[2].results_hidden and by_id[2].tally.voters == 0
    assert not by_id[3].results_hidden and by_id[3].tally.voters == 3
    assert not by_id[4].results_hidden and by_id[4].tally.voters == 1
    assert digest.totals.participations == 4  # the hidden polls' 14 voters are not in the totals
    assert [section.poll_id for section in chart_sections(digest)] == [3, 4]

    text = "\n".join(embed.description or "" for page in render_digest(digest) for embed in page.embeds)
    assert text.count("Résultats masqués") == 2
    assert "7 votants" not in text and "5 votants" not in text and "3 votants" in text


def test_hidden_results_show_the_debate_as_themes_never_as_sides() -> None:
    from bot.digest.arguments import CONTRA, PRO, Argument

    settings = GuildSettings(guild_id=GUILD)
    hidden = replace(poll(1, {0: 7, 1: 2}, status="open", article_id=9), results_visibility="after_close")
    groups = {
        1: (
            Argument(PRO, ("client", "anthropic"), 7, "Un client de poids valide la puce.", 1, (1,)),
            Argument(CONTRA, ("cuda", "logiciel"), 2, "CUDA garde une avance énorme.", 2, (2,)),
        )
    }
    digest = build_digest(activity([hidden]), PERIOD, settings, {}, arguments=groups)
    [section] = digest.sections
    assert [group.side for group in section.arguments] == [None, None]
    text = "\n".join(embed.description or "" for page in render_digest(digest) for embed in page.embeds)
    assert "Ce que disent les membres" in text and "**Pour**" not in text and "**Contre**" not in text
