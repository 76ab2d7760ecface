"""The weekly digest as data: which polls, their results, the opinions quoted, the totals and their change.

`build_digest` is pure: it turns the store's aggregates (`db.digests.PeriodActivity`), the member names the
caller resolved and the previous digest into a `Digest`. The store's value types are read by shape and named
for the type checker only: the domain never imports `db` (the reads are `bot.services.digest_reads`).
Rendering lives in `bot.digest.render`.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.digest.arguments import Argument, OpinionText, find_arguments, stance_of
from bot.digest.schedule import DigestPeriod
from bot.polls.tally import AnswerResult, Tally, compute_tally
from bot.polls.visibility import counts_visible
from bot.text import message_url

if TYPE_CHECKING:
    from db.debate import PollDebate
    from db.digests import DigestRecord, PeriodActivity, PollActivity, TopOpinion
    from db.guild_settings import GuildSettings

TOTALS_VERSION = 1
COUNT_KEYS = ("polls", "votes", "participations", "opinions")
OPINIONS_PER_POLL = 2
# "Ce que disent les membres" under the most followed polls only: each takes a few milliseconds per hundred
# opinions, and a long digest is read from the top.
ARGUMENT_POLLS = 10

NameResolver = Callable[[frozenset[int]], Awaitable[Mapping[int, str]]]


@dataclass(frozen=True)
class QuotedOpinion:
    """An opinion quoted under a poll; the text is whole (whitespace collapsed): render shortens it."""

    id: int
    member_id: int
    author_name: str | None  # display name, None when the caller could not resolve it (render mentions)
    text: str
    useful: int
    url: str | None


@dataclass(frozen=True)
class PollSection:
    """One poll of the digest."""

    poll_id: int
    question: str
    kind: str
    status: str  # 'open' | 'closed'
    multiple: bool
    anonymous: bool
    url: str | None
    tally: Tally
    mean_score: float | None  # scale polls with votes only
    mean_delta: float | None  # versus the previous digest's average scale score
    opinions: tuple[QuotedOpinion, ...]
    arguments: tuple[Argument, ...] = ()  # "Ce que disent les membres", under the poll that quotes the article
    results_hidden: bool = False  # its results mode hides the counts from the public: the tally is empty
    mode: str = "buttons"  # 'buttons' | 'native' (Discord's poll): the digest says which

    @property
    def leading(self) -> tuple[AnswerResult, ...]:
        """The answer(s) ahead; several on a tie, none without votes."""
        return self.tally.leading


@dataclass(frozen=True)
class Totals:
    """The week's figures, stored in `digests.totals` so the next digest can compare."""

    polls: int
    votes: int
    participations: int  # sum of each poll's distinct voters: anonymous voters cannot be linked across polls
    opinions: int
    scale_mean: float | None = None  # average of the scale polls' mean scores

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict for `DigestStore.mark_posted`."""
        return {
            "version": TOTALS_VERSION,
            "polls": self.polls,
            "votes": self.votes,
            "participations": self.participations,
            "opinions": self.opinions,
            "scale_mean": self.scale_mean,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Totals | None:
        """Read stored totals back; None when they are missing or not usable (an older or empty row)."""
        counts = [data.get(key) for key in COUNT_KEYS]
        whole = [value for value in counts if isinstance(value, int) and not isinstance(value, bool)]
        if len(whole) != len(counts):
            return None
        mean = data.get("scale_mean")
        usable = isinstance(mean, int | float) and not isinstance(mean, bool) and math.isfinite(mean)
        return cls(*whole, scale_mean=float(mean) if usable and isinstance(mean, int | float) else None)

    def count(self, key: str) -> int:
        """One of the COUNT_KEYS figures by name."""
        return int(getattr(self, key))


@dataclass(frozen=True)
class Digest:
    """Everything a weekly digest shows, in the server's language and time zone."""

    guild_id: int
    language: str
    timezone: str
    week: str
    period_start: datetime
    period_end: datetime  # the scheduled instant
    sections: tuple[PollSection, ...]  # most voted first
    totals: Totals
    previous_totals: Totals | None
    previous_week: str | None
    empty_notice: bool  # post a short notice on an empty week (guild_settings.digest_empty_notice)

    @property
    def empty(self) -> bool:
        """A week without debate: no poll active, no vote cast, no opinion written."""
        return not self.sections and self.totals.votes == 0 and self.totals.opinions == 0

    @property
    def deltas(self) -> dict[str, int]:
        """Change of each count since the previous digest; empty when there is none to compare with."""
        if self.previous_totals is None:
            return {}
        return {key: self.totals.count(key) - self.previous_totals.count(key) for key in COUNT_KEYS}

    def totals_json(self) -> dict[str, Any]:
        """What to store in `digests.totals` once posted."""
        return self.totals.to_json()


def _quote(guild_id: int, opinion: TopOpinion, names: Mapping[int, str]) -> QuotedOpinion:
    name = names.get(opinion.member_id)
    return QuotedOpinion(
        id=opinion.id,
        member_id=opinion.member_id,
        author_name=name.strip() if name and name.strip() else None,
        text=" ".join(opinion.text.split()),  # quotes sit on one line
        useful=opinion.useful,
        url=message_url(guild_id, opinion.thread_id, opinion.message_id),
    )


def results_hidden(poll: PollActivity) -> bool:
    """The digest is public: it shows a poll's counts only where its results mode lets everyone see them."""
    return not counts_visible(poll.results_visibility, closed=poll.status != "open", published=poll.results_published)


def public_tally(poll: PollActivity) -> Tally:
    """The tally the public may see: empty while its results mode hides the counts."""
    if results_hidden(poll):
        return compute_tally(poll.options, {}, 0)  # nothing counted can leak through the tally, chart or totals
    return compute_tally(poll.options, poll.per_option, poll.voters)


def rank_key(poll: PollActivity, tally: Tally) -> tuple[int, int, datetime, int]:
    # Most voters first, then most answers; ties keep the older poll first, so the order never wavers.
    return (-tally.voters, -tally.votes, poll.created_at, poll.id)


def build_digest(
    activity: PeriodActivity,
    period: DigestPeriod,
    settings: GuildSettings,
    names: Mapping[int, str],
    previous: DigestRecord | None = None,
    arguments: Mapping[int, tuple[Argument, ...]] | None = None,
) -> Digest:
    """Turn one period's aggregates into a digest (pure: same input, same digest).

    `arguments` maps a poll id to its debate's argument groups (`bot.services.digest_reads.poll_arguments`).
    """
    previous_totals = Totals.from_json(previous.totals) if previous is not None else None
    previous_mean = previous_totals.scale_mean if previous_totals is not None else None
    tallies = {poll.id: public_tally(poll) for poll in activity.polls}
    ranked = sorted(activity.polls, key=lambda poll: rank_key(poll, tallies[poll.id]))

    sections: list[PollSection] = []
    quoted_articles: set[int] = set()
    for poll in ranked:
        tally = tallies[poll.id]
        mean = tally.mean_score if poll.kind == "scale" else None
        opinions: tuple[QuotedOpinion, ...] = ()
        groups: tuple[Argument, ...] = ()
        # Several polls may share an article: its opinions go under the most voted one, not repeated.
        if poll.article_id is not None and poll.article_id not in quoted_articles:
            quoted_articles.add(poll.article_id)
            top = activity.top_opinions.get(poll.article_id, ())[:OPINIONS_PER_POLL]
            opinions = tuple(_quote(settings.guild_id, opinion, names) for opinion in top)
            groups = (arguments or {}).get(poll.id, ())
            if results_hidden(poll):
                # Sides come from votes: while the counts are hidden, the groups are only themes.
                groups = tuple(replace(group, side=None) for group in groups)
        sections.append(
            PollSection(
                poll_id=poll.id,
                question=poll.question,
                kind=poll.kind,
                status=poll.status,
                multiple=poll.multiple,
                anonymous=poll.anonymous,
                url=message_url(settings.guild_id, poll.channel_id, poll.message_id),
                tally=tally,
                mean_score=mean,
                mean_delta=mean - previous_mean if mean is not None and previous_mean is not None else None,
                opinions=opinions,
                arguments=groups,
                results_hidden=results_hidden(poll),
                mode=poll.mode,
            )
        )

    means = [section.mean_score for section in sections if section.mean_score is not None]
    totals = Totals(
        polls=len(sections),
        votes=activity.votes,
        participations=sum(section.tally.voters for section in sections),
        opinions=activity.opinions,
        # Rounded so the stored figure and the one compared next week are the same number.
        scale_mean=round(sum(means) / len(means), 2) if means else None,
    )
    return Digest(
        guild_id=settings.guild_id,
        language=settings.language,
        timezone=settings.timezone,
        week=period.week,
        period_start=period.start,
        period_end=period.end,
        sections=tuple(sections),
        totals=totals,
        previous_totals=previous_totals,
        previous_week=previous.week if previous is not None and previous_totals is not None else None,
        empty_notice=settings.digest_empty_notice,
    )


def author_ids(activity: PeriodActivity) -> frozenset[int]:
    """The members whose opinions may be quoted: the ids whose display names the caller should resolve."""
    return frozenset(opinion.member_id for opinions in activity.top_opinions.values() for opinion in opinions)


def debate_arguments(debate: PollDebate, language: str) -> tuple[Argument, ...]:
    """The argument groups of one poll's debate; sides only where the store could link votes (public polls)."""
    opinions = [
        OpinionText(
            id=opinion.id,
            text=opinion.text,
            useful=opinion.useful,
            stance=None
            if debate.anonymous or opinion.positions is None
            else stance_of(debate.kind, debate.options, opinion.positions),
            member_id=opinion.member_id,
            url=message_url(debate.guild_id, opinion.thread_id, opinion.message_id),
        )
        for opinion in debate.opinions
    ]
    return find_arguments(opinions, language)
