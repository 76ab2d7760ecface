"""The store reads behind the digest and "Ce que disent les membres": queries, then the domain's pure builders.

Part of the shell: the domain (`bot.digest.build`, `bot.digest.arguments`) never opens the store itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime

import aiosqlite

from bot.digest.arguments import Argument
from bot.digest.build import (
    ARGUMENT_POLLS,
    OPINIONS_PER_POLL,
    Digest,
    NameResolver,
    author_ids,
    build_digest,
    debate_arguments,
    public_tally,
    rank_key,
    results_hidden,
)
from bot.digest.schedule import digest_period
from db.debate import DebateQueries, PollDebate
from db.digests import DigestQueries, DigestRecord, DigestStore, PeriodActivity, PollActivity
from db.guild_settings import GuildSettings


async def prepare_digest(
    conn: aiosqlite.Connection,
    settings: GuildSettings,
    scheduled_utc: datetime,
    names: Mapping[int, str] | NameResolver,
    previous: DigestRecord | None = None,
    *,
    lookup_previous: bool = True,
) -> Digest:
    """Query the store and build the digest scheduled at `scheduled_utc`: the one call the digest service makes.

    `names` is either the display names already known, or an async resolver called once with the ids of
    the members who may be quoted. Without `previous`, the latest posted digest before this week is used
    (pass `lookup_previous=False` to compare with nothing).
    """
    period = digest_period(scheduled_utc, settings.timezone, settings.digest_hour)
    queries = DigestQueries(conn)
    guild = settings.guild_id
    polls = tuple(await queries.active_polls(guild, period.start, period.end))
    # The argument groups need only the polls: their grouping (CPU, on a thread) overlaps the week's counts
    # below, which SQLite computes with the GIL released (the digest's longest queries).
    debates = await _argument_debates(conn, polls)
    arguments = asyncio.ensure_future(asyncio.to_thread(_group_debates, debates, settings.language))
    try:
        # The week's vote total must not reveal the votes of polls whose counts are hidden.
        hidden = [poll.id for poll in polls if results_hidden(poll)]
        activity = PeriodActivity(
            polls=polls,
            votes=await queries.votes_in_period(polls, period.start, period.end, exclude=hidden),
            opinions=await queries.opinions_created(guild, period.start, period.end),
            top_opinions=await queries.top_opinions(
                guild, {p.article_id for p in polls if p.article_id is not None}, OPINIONS_PER_POLL
            ),
        )
        resolved = names if isinstance(names, Mapping) else await names(author_ids(activity))
        if previous is None and lookup_previous:
            previous = await DigestStore(conn).previous(guild, period.week)
        groups = await arguments
    finally:
        if not arguments.done():
            arguments.cancel()
    return build_digest(activity, period, settings, resolved, previous, groups)


async def _argument_debates(conn: aiosqlite.Connection, polls: Sequence[PollActivity]) -> list[PollDebate]:
    """The debates of the polls whose section quotes their article, for the ARGUMENT_POLLS first."""
    ranked = sorted(polls, key=lambda poll: rank_key(poll, public_tally(poll)))
    chosen: list[int] = []
    articles: set[int] = set()
    for poll in ranked:
        if poll.article_id is not None and poll.article_id not in articles and len(chosen) < ARGUMENT_POLLS:
            articles.add(poll.article_id)
            chosen.append(poll.id)
    queries = DebateQueries(conn)
    debates = [await queries.for_poll(poll_id) for poll_id in chosen]
    return [debate for debate in debates if debate is not None and debate.opinions]


def _group_debates(debates: Sequence[PollDebate], language: str) -> dict[int, tuple[Argument, ...]]:
    """Group every debate's opinions into arguments (pure CPU: run it off the event loop)."""
    return {debate.poll_id: debate_arguments(debate, language) for debate in debates}


async def poll_arguments(conn: aiosqlite.Connection, poll_id: int, language: str) -> tuple[Argument, ...]:
    """Read a poll's visible opinions and group them ("Ce que disent les membres"); () without any."""
    debate = await DebateQueries(conn).for_poll(poll_id)
    if debate is None or not debate.opinions:
        return ()
    # Up to 10,000 opinions take a fifth of a second: off the event loop, so votes keep flowing meanwhile.
    return await asyncio.to_thread(debate_arguments, debate, language)
