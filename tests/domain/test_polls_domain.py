"""Pure poll logic: vote decisions, voter pseudonyms, tallies, bars, durations and number formats."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.errors import UserFacingError
from bot.i18n.formatting import format_date, format_percent
from bot.polls.durations import parse_duration, parse_poll_duration
from bot.polls.tally import bar, compute_tally, render_tally
from bot.polls.voting import decide_vote, voter_key
from db.polls import PollOption

SCALE = [
    PollOption(0, "Oui", 100.0),
    PollOption(1, "Plutôt oui", 200 / 3),
    PollOption(2, "Plutôt non", 100 / 3),
    PollOption(3, "Non", 0.0),
    PollOption(4, "Sans avis", None),
]


def test_single_choice_click_records_replaces_and_withdraws() -> None:
    first = decide_vote(frozenset(), 1, multiple=False)
    assert first.add == 1 and first.remove == frozenset()
    change = decide_vote(frozenset({1}), 3, multiple=False)
    assert change.add == 3 and change.remove == {1}
    again = decide_vote(frozenset({3}), 3, multiple=False)
    assert again.withdrawn and again.remove == {3}


def test_multiple_choice_click_toggles_only_that_answer() -> None:
    assert decide_vote(frozenset({0, 2}), 1, multiple=True).remove == frozenset()
    toggle_off = decide_vote(frozenset({0, 2}), 2, multiple=True)
    assert toggle_off.withdrawn and toggle_off.remove == {2}


def test_voter_key_hides_members_of_anonymous_polls_only() -> None:
    secret = b"k" * 32
    assert voter_key(secret, 5, 123456789, anonymous=False) == "123456789"
    hashed = voter_key(secret, 5, 123456789, anonymous=True)
    assert "123456789" not in hashed and len(hashed) == 64
    assert hashed == voter_key(secret, 5, 123456789, anonymous=True)  # stable: one vote per member
    assert hashed != voter_key(secret, 6, 123456789, anonymous=True)  # not linkable across polls
    assert hashed != voter_key(b"other", 5, 123456789, anonymous=True)  # useless without the key
    # HMAC-SHA256 of "poll:member", hex: the keys already stored stay their members' whatever computes them.
    assert hashed == hmac.new(secret, b"5:123456789", hashlib.sha256).hexdigest()
    with pytest.raises(ValueError):
        voter_key(b"", 5, 1, anonymous=True)


def test_tally_percentages_leader_and_mean_score_without_no_opinion() -> None:
    tally = compute_tally(SCALE, {0: 3, 1: 1, 3: 2, 4: 2}, voters=8)
    assert [a.count for a in tally.answers] == [3, 1, 0, 2, 2]
    assert [round(a.percent, 1) for a in tally.answers] == [37.5, 12.5, 0.0, 25.0, 25.0]
    assert [a.label for a in tally.leading] == ["Oui"]
    # (3×100 + 1×66.7 + 2×0) / 6 scored votes; "Sans avis" counted in percentages, not in the score
    assert tally.mean_score == pytest.approx((300 + 200 / 3) / 6)


def test_empty_and_unscored_tallies() -> None:
    empty = compute_tally(SCALE, {}, voters=0)
    assert empty.mean_score is None and empty.leading == () and all(a.percent == 0 for a in empty.answers)
    choice = compute_tally([PollOption(0, "Android"), PollOption(1, "iOS")], {0: 1, 1: 1}, voters=2)
    assert choice.mean_score is None and len(choice.leading) == 2


def test_bars() -> None:
    assert bar(0) == "▱" * 10
    assert bar(30) == "▰▰▰▱▱▱▱▱▱▱"
    assert bar(100) == "▰" * 10
    assert bar(0.5) == "▰" + "▱" * 9  # a vote is always visible


def test_rendered_tally_in_french_and_english() -> None:
    tally = compute_tally(SCALE, {0: 5, 1: 3}, voters=8)
    french = render_tally(tally, "fr")
    assert "Oui" in french and "62,5\u202f%" in french and "8 votants" in french
    assert "Score" in french
    english = render_tally(tally, "en")
    assert "62.5%" in english and "8 voters" in english


@pytest.mark.parametrize(
    "text,expected",
    [
        ("3d", timedelta(days=3)),
        ("12h", timedelta(hours=12)),
        ("1w", timedelta(weeks=1)),
        ("2j", timedelta(days=2)),
        ("1 sem", timedelta(weeks=1)),
        ("90m", timedelta(minutes=90)),
        ("1d12h", timedelta(days=1, hours=12)),
        (" 1D 6H ", timedelta(days=1, hours=6)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "3", "3x", "h3", "3d-", "0h"])
def test_unreadable_durations(text: str) -> None:
    with pytest.raises(UserFacingError) as error:
        parse_duration(text)
    assert error.value.key == "duration.invalid"


@pytest.mark.parametrize("text", ["30m", "33d", "5w"])
def test_poll_durations_stay_between_one_hour_and_32_days(text: str) -> None:
    with pytest.raises(UserFacingError) as error:
        parse_poll_duration(text)
    assert error.value.key == "duration.out_of_range"
    assert parse_poll_duration("1h") == timedelta(hours=1)
    assert parse_poll_duration("32d") == timedelta(days=32)


def test_formats_per_language() -> None:
    assert format_percent(62.5, "fr") == "62,5\u202f%"
    assert format_percent(62.5, "en") == "62.5%"
    assert format_percent(50.0, "fr") == "50\u202f%"
    assert format_date(date(2026, 11, 26), "fr") == "26 nov. 2026"
    assert format_date(datetime(2026, 3, 1, tzinfo=UTC), "fr") == "1er mars 2026"
    assert format_date(date(2026, 11, 26), "en") == "Nov 26, 2026"
