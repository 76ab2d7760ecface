"""The digest's aggregates on a real SQLite file: which polls, which votes, which opinions, and the glue."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import aiosqlite
import pytest

from bot.digest.render import render_digest
from bot.digest.schedule import digest_period, latest_schedule
from bot.services.digest_reads import prepare_digest
from db.articles import ArticleStore, NewArticle
from db.database import Database
from db.digests import DigestQueries, DigestStore
from db.guild_settings import GuildSettings
from db.opinions import OpinionStore
from db.polls import NewPoll, PollOption, PollStore

GUILD = 1
OTHER_GUILD = 2
END = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Monday 9:00 in Paris
START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
SCALE = [
    PollOption(0, "Oui", 100.0),
    PollOption(1, "Plutôt oui", 66.7),
    PollOption(2, "Plutôt non", 33.3),
    PollOption(3, "Non", 0.0),
    PollOption(4, "Sans avis", None),
]


async def create_article(conn: aiosqlite.Connection, guild_id: int = GUILD, key: str = "a") -> int:
    article = await ArticleStore(conn).create(
        NewArticle(
            guild_id=guild_id,
            content_hash=key * 64,
            title=f"Article {key}",
            summary="Résumé.",
            opinion_prompt="Votre avis ?",
            posted_by=42,
            created_at=START - 3 * DAY,
            url=f"https://example.org/{key}",
        )
    )
    return article.id


async def create_poll(
    conn: aiosqlite.Connection,
    created_at: datetime,
    *,
    guild_id: int = GUILD,
    article_id: int | None = None,
    multiple: bool = False,
    question: str = "Crédible ?",
    votes: Iterable[tuple[str, int, datetime]] = (),
    closed_at: datetime | None = None,
    deleted_at: datetime | None = None,
) -> int:
    store = PollStore(conn)
    poll = await store.create(
        NewPoll(
            guild_id=guild_id,
            question=question,
            kind="scale",
            options=SCALE,
            created_by=42,
            created_at=created_at,
            closes_at=created_at + 7 * DAY,
            multiple=multiple,
            article_id=article_id,
        )
    )
    for voter, position, when in votes:
        await store.add_vote(poll.id, voter, position, when)
    if closed_at is not None:
        assert await store.close(poll.id, closed_at)
    if deleted_at is not None:
        assert await store.mark_deleted(poll.id, deleted_at)
    return poll.id


async def test_only_polls_active_in_the_period_are_reported(db: Database) -> None:
    async with db.transaction() as conn:
        closed_in = await create_poll(conn, START - 2 * DAY, closed_at=START + DAY, question="Clos pendant")
        still_open = await create_poll(conn, START + HOUR, question="Encore ouvert")
        closed_after_end = await create_poll(conn, START + DAY, closed_at=END + 2 * HOUR, question="Clos après")
        closed_at_start = await create_poll(conn, START - 3 * DAY, closed_at=START, question="Clos au début")
        await create_poll(conn, START - 10 * DAY, closed_at=START - HOUR, question="Clos avant")
        await create_poll(conn, START + HOUR, deleted_at=START + 2 * HOUR, question="Supprimé")
        await create_poll(conn, START - 10 * DAY, closed_at=START + HOUR, deleted_at=START + 2 * DAY)
        await create_poll(conn, END, question="Créé à la fin")
        await create_poll(conn, END + HOUR, question="Créé après")
        await create_poll(conn, START + HOUR, guild_id=OTHER_GUILD, question="Autre serveur")
    async with db.read() as conn:
        polls = await DigestQueries(conn).active_polls(GUILD, START, END)
    assert [p.id for p in polls] == sorted([closed_in, still_open, closed_after_end, closed_at_start])
    assert {p.question for p in polls} == {"Clos pendant", "Encore ouvert", "Clos après", "Clos au début"}
    assert [o.label for o in polls[0].options] == ["Oui", "Plutôt oui", "Plutôt non", "Non", "Sans avis"]
    assert polls[0].options[4].score is None


async def test_counts_per_answer_and_distinct_voters(db: Database) -> None:
    async with db.transaction() as conn:
        single = await create_poll(
            conn,
            START - DAY,
            # Votes before the period still belong to the poll's results.
            votes=[("a", 0, START - HOUR), ("b", 0, START + HOUR), ("c", 3, START + 2 * HOUR), ("d", 4, END - HOUR)],
        )
        multiple = await create_poll(
            conn,
            START + HOUR,
            multiple=True,
            votes=[("a", 0, START + 2 * HOUR), ("a", 1, START + 2 * HOUR), ("b", 1, START + 3 * HOUR)],
        )
        empty = await create_poll(conn, START + HOUR)
    async with db.read() as conn:
        polls = {p.id: p for p in await DigestQueries(conn).active_polls(GUILD, START, END)}
    assert polls[single].per_option == {0: 2, 3: 1, 4: 1} and polls[single].voters == 4
    assert polls[multiple].per_option == {0: 1, 1: 2} and polls[multiple].voters == 2  # "a" counted once
    assert polls[multiple].multiple and not polls[single].multiple
    assert polls[empty].per_option == {} and polls[empty].voters == 0


async def test_votes_and_opinions_are_counted_only_inside_the_period(db: Database) -> None:
    async with db.transaction() as conn:
        article = await create_article(conn)
        other_article = await create_article(conn, OTHER_GUILD, "b")
        await create_poll(
            conn,
            START - 2 * DAY,
            votes=[("a", 0, START - DAY), ("b", 1, START), ("c", 1, START + DAY), ("d", 2, END - HOUR)],
        )
        await create_poll(
            conn,
            START + HOUR,
            multiple=True,
            votes=[("a", 0, START + 2 * HOUR), ("a", 1, START + 2 * HOUR), ("b", 1, END), ("c", 1, END + HOUR)],
        )
        await create_poll(conn, START + HOUR, votes=[("x", 0, START + 2 * HOUR)], deleted_at=START + DAY)
        await create_poll(conn, START + HOUR, guild_id=OTHER_GUILD, votes=[("x", 0, START + 2 * HOUR)])
        opinions = OpinionStore(conn)
        await opinions.upsert(GUILD, article, 10, "Avis écrit avant la période.", START - HOUR)
        await opinions.upsert(GUILD, article, 11, "Avis écrit au début exact.", START)
        await opinions.upsert(GUILD, article, 12, "Avis écrit pendant la période.", START + DAY)
        hidden = await opinions.upsert(GUILD, article, 13, "Avis masqué par la modération.", START + DAY)
        await opinions.set_hidden(hidden.id, True, moderator_id=99, now=START + 2 * DAY)
        await opinions.upsert(GUILD, article, 14, "Avis écrit à la fin exacte.", END)
        await opinions.upsert(OTHER_GUILD, other_article, 15, "Avis d'un autre serveur.", START + DAY)
    async with db.read() as conn:
        queries = DigestQueries(conn)
        # In [START, END): b@START, c, d, and a×2 on the multiple poll; not before, at END, after,
        # on the deleted poll or on the other server.
        assert await queries.votes_cast(GUILD, START, END) == 5
        assert await queries.opinions_created(GUILD, START, END) == 2
        activity = await queries.activity(GUILD, START, END)
    assert activity.votes == 5 and activity.opinions == 2 and len(activity.polls) == 2


async def test_the_two_most_useful_visible_opinions_of_each_article(db: Database) -> None:
    async with db.transaction() as conn:
        first = await create_article(conn, key="a")
        second = await create_article(conn, key="b")
        lonely = await create_article(conn, key="c")
        opinions = OpinionStore(conn)

        async def opinion(article: int, member: int, when: datetime, marks: int) -> int:
            created = await opinions.upsert(GUILD, article, member, f"Avis du membre {member} sur le sujet.", when)
            for marker in range(marks):
                await opinions.toggle_mark(created.id, 500 + marker, when + HOUR)
            return created.id

        tie_late = await opinion(first, 1, START + 2 * HOUR, marks=2)
        hidden = await opinion(first, 2, START + 3 * HOUR, marks=5)
        tie_early = await opinion(first, 3, START + HOUR, marks=2)
        await opinion(first, 4, START, marks=1)
        await opinion(first, 5, START - DAY, marks=0)
        await opinions.set_hidden(hidden, True, moderator_id=99, now=START + DAY)
        best_second = await opinion(second, 6, START + 5 * HOUR, marks=3)
        runner_up_second = await opinion(second, 7, START + 4 * HOUR, marks=0)
        await opinions.set_message(best_second, thread_id=70, message_id=71)
        await opinion(lonely, 8, START, marks=1)
        await opinions.set_hidden((await opinions.of_member(lonely, 8)).id, True, 99, START)  # type: ignore[union-attr]
    async with db.read() as conn:
        top = await DigestQueries(conn).top_opinions(GUILD, [first, second, lonely])
    assert [o.id for o in top[first]] == [tie_early, tie_late]  # hidden excluded; a tie goes to the earliest
    assert [o.useful for o in top[first]] == [2, 2] and [o.rank for o in top[first]] == [1, 2]
    assert [o.id for o in top[second]] == [best_second, runner_up_second]
    assert (top[second][0].thread_id, top[second][0].message_id, top[second][0].member_id) == (70, 71, 6)
    assert lonely not in top  # its only opinion is hidden
    async with db.read() as conn:
        assert await DigestQueries(conn).top_opinions(GUILD, []) == {}
        assert await DigestQueries(conn).top_opinions(OTHER_GUILD, [first]) == {}


async def test_prepare_digest_end_to_end_and_next_week_compares_with_stored_totals(db: Database) -> None:
    settings = GuildSettings(guild_id=GUILD)
    scheduled = latest_schedule(END + HOUR, settings.digest_weekday, settings.digest_hour, settings.timezone)
    assert scheduled == END
    async with db.transaction() as conn:
        article = await create_article(conn)
        poll_id = await create_poll(
            conn,
            START + HOUR,
            article_id=article,
            votes=[("a", 0, START + 2 * HOUR), ("b", 0, START + 3 * HOUR), ("c", 3, START + 4 * HOUR)],
        )
        await PollStore(conn).set_message(poll_id, channel_id=20, message_id=21)
        created = await OpinionStore(conn).upsert(GUILD, article, 77, "Un avis très pertinent sur l'annonce.", START)
        await OpinionStore(conn).toggle_mark(created.id, 78, START + HOUR)
        # Last week's posted digest, with the totals this code stores.
        last_week = digest_period(scheduled - 7 * DAY, settings.timezone, settings.digest_hour)
        claimed = await DigestStore(conn).claim(GUILD, last_week.week, last_week.start, last_week.end, 5, START)
        assert claimed is not None
        totals = {"version": 1, "polls": 3, "votes": 2, "participations": 3, "opinions": 1, "scale_mean": 40.0}
        await DigestStore(conn).mark_posted(claimed.id, 5, [6], totals, START)

    asked: list[frozenset[int]] = []

    async def resolve(ids: frozenset[int]) -> dict[int, str]:
        asked.append(ids)
        return {77: "Camille"}

    async with db.read() as conn:
        digest = await prepare_digest(conn, settings, scheduled, resolve)
        again = await prepare_digest(conn, settings, scheduled, {77: "Camille"})
    assert asked == [frozenset({77})]
    assert digest == again  # preview and post see the same digest
    assert (digest.week, digest.period_start, digest.period_end) == ("2026-W49", START, END)
    section = digest.sections[0]
    assert section.url == f"https://discord.com/channels/{GUILD}/20/21"
    assert section.tally.voters == 3 and section.mean_score == 200 / 3
    assert section.mean_delta == 200 / 3 - 40.0
    assert [(o.author_name, o.useful) for o in section.opinions] == [("Camille", 1)]
    assert digest.previous_week == last_week.week == "2026-W48"
    assert digest.deltas == {"polls": -2, "votes": 1, "participations": 0, "opinions": 0}
    assert render_digest(digest)[0].embeds[0].description.startswith("Du 23 nov. 2026 au 30 nov. 2026")  # type: ignore[union-attr]

    # Posted, its totals are what next week compares with.
    async with db.transaction() as conn:
        claimed = await DigestStore(conn).claim(GUILD, digest.week, START, END, 5, END)
        assert claimed is not None
        await DigestStore(conn).mark_posted(claimed.id, 5, [7], digest.totals_json(), END)
    async with db.read() as conn:
        following = await prepare_digest(conn, settings, END + 7 * DAY, {})
        unchanged = await prepare_digest(conn, settings, END + 7 * DAY, {}, lookup_previous=False)
    assert following.previous_totals == digest.totals
    # The same poll, still open: its mean against last week's stored (rounded) average shows no change.
    assert following.sections[0].mean_delta == pytest.approx(0, abs=0.01)
    assert "**66,7**/100 (= par rapport" in (render_digest(following)[0].embeds[1].description or "")
    assert unchanged.previous_totals is None and unchanged.deltas == {}


async def test_the_week_total_leaves_out_votes_of_polls_whose_counts_are_hidden(db: Database) -> None:
    async with db.transaction() as conn:
        shown = await create_poll(conn, START + HOUR, votes=[("a", 0, START + 2 * HOUR)])
        hidden = await create_poll(conn, START + HOUR, votes=[("a", 1, START + 2 * HOUR), ("b", 1, START + DAY)])
        await PollStore(conn).set_results_visibility(hidden, "after_close")
    settings = GuildSettings(guild_id=GUILD)
    async with db.read() as conn:
        queries = DigestQueries(conn)
        assert await queries.votes_cast(GUILD, START, END) == 3
        assert await queries.votes_cast(GUILD, START, END, exclude=[hidden]) == 1
        polls = await queries.active_polls(GUILD, START, END)  # the digest's way: from the polls' own counts
        assert await queries.votes_in_period(polls, START, END) == 3
        assert await queries.votes_in_period(polls, START, END, exclude=[hidden]) == 1
        digest = await prepare_digest(conn, settings, END, {}, lookup_previous=False)
    assert digest.totals.votes == 1 and digest.totals.participations == 1
    by_id = {section.poll_id: section for section in digest.sections}
    assert by_id[hidden].results_hidden and not by_id[shown].results_hidden
