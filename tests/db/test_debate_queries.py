"""A poll's debate read from a real SQLite file: visible opinions only, votes linked on public polls only."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite

from bot.digest.arguments import CONTRA, PRO
from bot.digest.build import ARGUMENT_POLLS
from bot.polls.voting import voter_key
from bot.services.digest_reads import poll_arguments, prepare_digest
from db.database import Database
from db.debate import DebateQueries
from db.guild_settings import GuildSettings
from db.opinions import OpinionStore
from db.polls import NewPoll, PollOption, PollStore
from tests.conftest import TEST_SECRET
from tests.db.test_digest_queries import GUILD, OTHER_GUILD, create_article

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
MATRIX = [
    PollOption(0, "Crédible et pertinente"),
    PollOption(1, "Crédible, mais pas pertinente"),
    PollOption(2, "Pertinente, mais pas crédible"),
    PollOption(3, "Ni crédible ni pertinente"),
    PollOption(4, "Sans avis"),
]
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "opinions" / "trainium2.json"
SIDE_TO_POSITION = {"pour": 0, "contre": 3, "mixte": 1, None: 4}


async def create_poll(conn: aiosqlite.Connection, article_id: int, anonymous: bool) -> int:
    poll = await PollStore(conn).create(
        NewPoll(
            guild_id=GUILD,
            question="Pensez-vous que cette annonce est crédible ou pertinente ?",
            kind="matrix",
            options=MATRIX,
            created_by=42,
            created_at=NOW - timedelta(days=1),
            closes_at=NOW + timedelta(days=6),
            anonymous=anonymous,
            article_id=article_id,
        )
    )
    return poll.id


async def vote(conn: aiosqlite.Connection, poll_id: int, member_id: int, position: int, anonymous: bool) -> None:
    await PollStore(conn).add_vote(poll_id, voter_key(TEST_SECRET, poll_id, member_id, anonymous), position, NOW)


async def test_public_poll_links_each_opinion_to_its_authors_answers(db: Database) -> None:
    async with db.transaction() as conn:
        article = await create_article(conn)
        other = await create_article(conn, OTHER_GUILD, "b")
        poll = await create_poll(conn, article, anonymous=False)
        store = OpinionStore(conn)
        voted = await store.upsert(GUILD, article, 101, "Anthropic teste déjà les puces.", NOW)
        silent = await store.upsert(GUILD, article, 102, "Je n'ai pas voté mais j'ai un avis.", NOW)
        hidden = await store.upsert(GUILD, article, 103, "Un avis masqué par la modération.", NOW)
        await store.set_hidden(hidden.id, True, 1, NOW, "spam")
        await store.upsert(OTHER_GUILD, other, 101, "Un avis sur un autre serveur.", NOW)
        await store.toggle_mark(voted.id, 102, NOW)
        await vote(conn, poll, 101, 0, anonymous=False)
        await vote(conn, poll, 103, 3, anonymous=False)
    async with db.read() as conn:
        debate = await DebateQueries(conn).for_poll(poll)
    assert debate is not None and not debate.anonymous and debate.kind == "matrix"
    assert [(o.id, o.positions, o.useful) for o in debate.opinions] == [
        (voted.id, frozenset({0}), 1),
        (silent.id, frozenset(), 0),
    ]
    assert debate.options[0] == (0, "Crédible et pertinente", None)


async def test_anonymous_poll_never_reads_the_votes(db: Database) -> None:
    async with db.transaction() as conn:
        article = await create_article(conn)
        poll = await create_poll(conn, article, anonymous=True)
        await OpinionStore(conn).upsert(GUILD, article, 101, "Anthropic teste déjà les puces.", NOW)
        await vote(conn, poll, 101, 0, anonymous=True)
        # Even a row keyed like a public vote (which an anonymous poll never holds) is not linked.
        await conn.execute("INSERT INTO votes (poll_id, voter, position, voted_at) VALUES (?, '101', 3, 0)", (poll,))
    async with db.read() as conn:
        debate = await DebateQueries(conn).for_poll(poll)
    assert debate is not None and debate.anonymous
    assert [o.positions for o in debate.opinions] == [None]


async def test_deleted_opinions_and_deleted_polls_are_gone(db: Database) -> None:
    async with db.transaction() as conn:
        article = await create_article(conn)
        poll = await create_poll(conn, article, anonymous=False)
        gone = await OpinionStore(conn).upsert(GUILD, article, 101, "Cet avis sera supprimé par son auteur.", NOW)
        await OpinionStore(conn).upsert(GUILD, article, 102, "Cet avis reste.", NOW)
        await OpinionStore(conn).delete(gone.id)
    async with db.read() as conn:
        debate = await DebateQueries(conn).for_poll(poll)
        assert debate is not None and [o.member_id for o in debate.opinions] == [102]
    async with db.transaction() as conn:
        await PollStore(conn).mark_deleted(poll, NOW)
    async with db.read() as conn:
        assert await DebateQueries(conn).for_poll(poll) is None
        assert await DebateQueries(conn).for_poll(9999) is None


async def store_fixture_debate(db: Database, anonymous: bool) -> int:
    rows = json.loads(FIXTURE.read_text(encoding="utf-8"))["opinions"]
    async with db.transaction() as conn:
        article = await create_article(conn)
        poll = await create_poll(conn, article, anonymous=anonymous)
        for member, row in enumerate(rows, start=1000):
            await OpinionStore(conn).upsert(GUILD, article, member, row["text"], NOW)
            await vote(conn, poll, member, SIDE_TO_POSITION[row["side"]], anonymous)
    return poll


async def test_a_public_polls_arguments_take_sides_from_the_votes(db: Database) -> None:
    poll = await store_fixture_debate(db, anonymous=False)
    async with db.read() as conn:
        arguments = await poll_arguments(conn, poll, "fr")
    assert {a.side for a in arguments} == {PRO, CONTRA}
    cuda = next(a for a in arguments if "cuda" in a.words)
    assert cuda.side == CONTRA and cuda.size >= 5


async def test_an_anonymous_polls_arguments_are_themes_and_reach_the_digest(db: Database) -> None:
    poll = await store_fixture_debate(db, anonymous=True)
    async with db.read() as conn:
        arguments = await poll_arguments(conn, poll, "fr")
        digest = await prepare_digest(conn, GuildSettings(guild_id=GUILD), NOW + timedelta(days=3), {})
    assert arguments and all(a.side is None for a in arguments)
    (section,) = digest.sections
    assert section.poll_id == poll and section.arguments == arguments


async def test_the_digest_groups_the_debates_of_its_ten_most_followed_polls_only(db: Database) -> None:
    polls = []
    async with db.transaction() as conn:
        for number in range(ARGUMENT_POLLS + 1):
            article = await create_article(conn, key=chr(ord("c") + number))
            poll = await create_poll(conn, article, anonymous=False)
            polls.append(poll)
            for member in range(number + 1):  # the later polls are the more followed
                await vote(conn, poll, 500 + member, 0, anonymous=False)
            for member, text in enumerate(texts_about_batteries()):
                await OpinionStore(conn).upsert(GUILD, article, 700 + member, text, NOW)
    async with db.read() as conn:
        digest = await prepare_digest(conn, GuildSettings(guild_id=GUILD), NOW + timedelta(days=3), {})
    with_arguments = [section.poll_id for section in digest.sections if section.arguments]
    assert with_arguments == list(reversed(polls))[:ARGUMENT_POLLS]
    assert [section.poll_id for section in digest.sections][-1] == polls[0]


def texts_about_batteries() -> list[str]:
    return [
        "La batterie tient enfin toute la journée, c'est le vrai progrès.",
        "Une batterie qui tient la journée entière, voilà ce qui compte.",
        "Toute la journée sur une seule charge de batterie, enfin.",
    ]
