"""Round trips and constraints of the articles, opinions, digests, feeds, audit and settings stores."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from db.articles import ArticleStore, DuplicateArticle, NewArticle
from db.audit import AuditStore
from db.database import Database
from db.digests import DigestStore
from db.feeds import FeedStore
from db.guild_settings import GuildSettings, GuildSettingsStore
from db.opinions import OpinionStore
from tests.conftest import NOW

HASH_A = "a" * 64
HASH_B = "b" * 64


def new_article(**overrides: object) -> NewArticle:
    values: dict[str, object] = dict(
        guild_id=1,
        content_hash=HASH_A,
        title="Trainium 2",
        summary="Amazon présente Trainium 2.",
        opinion_prompt="Quel est votre avis sur le sujet ?",
        posted_by=42,
        created_at=NOW,
        url="https://example.org/trainium2",
        keywords=["Amazon", "Trainium"],
        questions=[{"text": "Crédible ?", "kind": "closed"}],
    )
    values.update(overrides)
    return NewArticle(**values)  # type: ignore[arg-type]


async def create_article(db: Database, **overrides: object) -> int:
    async with db.transaction() as conn:
        return (await ArticleStore(conn).create(new_article(**overrides))).id


async def test_article_round_trip_and_duplicates_by_url_or_text(db: Database) -> None:
    article_id = await create_article(db)
    async with db.transaction() as conn:
        store = ArticleStore(conn)
        await store.set_message(article_id, channel_id=5, message_id=6)
        await store.set_thread(article_id, 7)
        with pytest.raises(DuplicateArticle) as same_url:
            await store.create(new_article(content_hash=HASH_B))
        assert same_url.value.existing.id == article_id
        with pytest.raises(DuplicateArticle):
            await store.create(new_article(url="https://example.org/other"))  # same text
        other_guild = await store.create(new_article(guild_id=2))  # another server may post it too
        pasted = await store.create(new_article(url=None, content_hash=HASH_B))
    async with db.read() as conn:
        stored = await ArticleStore(conn).get(article_id)
        assert stored is not None
        assert stored.keywords == ["Amazon", "Trainium"]
        assert stored.questions == [{"text": "Crédible ?", "kind": "closed"}]
        assert (stored.channel_id, stored.message_id, stored.thread_id) == (5, 6, 7)
        assert (await ArticleStore(conn).by_message(6)).id == article_id  # type: ignore[union-attr]
    assert other_guild.guild_id == 2 and pasted.url is None


async def test_an_article_written_before_its_post_is_listed_until_its_message_is_recorded(db: Database) -> None:
    pending = await create_article(db, channel_id=5, post_token="tokenaaaaa")
    await create_article(db, url="https://example.org/old", content_hash=HASH_B)  # before 002: no token
    async with db.read() as conn:
        [unposted] = await ArticleStore(conn).unposted()
    assert (unposted.id, unposted.channel_id, unposted.post_token) == (pending, 5, "tokenaaaaa")
    async with db.transaction() as conn:
        await ArticleStore(conn).set_message(pending, channel_id=5, message_id=6)
        assert await ArticleStore(conn).unposted() == []


async def test_unique_constraints_hold_even_without_the_duplicate_check(db: Database) -> None:
    await create_article(db)
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO articles (guild_id, url, content_hash, title, summary, opinion_prompt, posted_by, "
                "created_at) VALUES (1, 'https://example.org/trainium2', ?, 't', 's', 'o', 1, 0)",
                (HASH_B,),
            )


async def test_one_opinion_per_member_and_article_edited_in_place(db: Database) -> None:
    article_id = await create_article(db)
    async with db.transaction() as conn:
        first = await OpinionStore(conn).upsert(1, article_id, 100, "Première version de mon avis.", NOW)
    later = NOW + timedelta(minutes=5)
    async with db.transaction() as conn:
        second = await OpinionStore(conn).upsert(1, article_id, 100, "Deuxième version, plus nuancée.", later)
    assert second.id == first.id
    assert second.text == "Deuxième version, plus nuancée."
    assert second.created_at == NOW and second.updated_at == later and second.edited
    async with db.read() as conn:
        assert len(await OpinionStore(conn).for_article(article_id)) == 1


async def test_opinion_length_limits_are_constraints(db: Database) -> None:
    article_id = await create_article(db)
    for text in ("9 chars !", "x" * 1501):
        with pytest.raises(sqlite3.IntegrityError):
            async with db.transaction() as conn:
                await OpinionStore(conn).upsert(1, article_id, 100, text, NOW)
    async with db.transaction() as conn:  # the limits themselves are accepted
        await OpinionStore(conn).upsert(1, article_id, 100, "x" * 10, NOW)
        await OpinionStore(conn).upsert(1, article_id, 200, "x" * 1500, NOW)


async def test_useful_marks_toggle_one_per_member_never_on_own_opinion(db: Database) -> None:
    article_id = await create_article(db)
    async with db.transaction() as conn:
        store = OpinionStore(conn)
        mine = await store.upsert(1, article_id, 100, "Un avis argumenté et utile.", NOW)
        theirs = await store.upsert(1, article_id, 200, "Un autre avis, plus court.", NOW + timedelta(seconds=1))
        assert await store.toggle_mark(mine.id, 200, NOW) is True
        assert await store.toggle_mark(mine.id, 300, NOW) is True
        assert await store.toggle_mark(theirs.id, 300, NOW) is True
        assert await store.toggle_mark(theirs.id, 300, NOW) is False  # second click removes it
    with pytest.raises(sqlite3.IntegrityError, match="own opinion"):
        async with db.transaction() as conn:
            await OpinionStore(conn).toggle_mark(mine.id, 100, NOW)
    async with db.read() as conn:
        store = OpinionStore(conn)
        assert (await store.get(mine.id)).useful == 2  # type: ignore[union-attr]
        assert (await store.get(theirs.id)).useful == 0  # type: ignore[union-attr]
        assert [o.id for o in await store.most_useful(article_id)] == [mine.id, theirs.id]
        assert set(await store.render_pending()) == {mine.id, theirs.id}


async def test_hidden_opinions_are_left_out_of_the_best_ones(db: Database) -> None:
    article_id = await create_article(db)
    async with db.transaction() as conn:
        store = OpinionStore(conn)
        a = await store.upsert(1, article_id, 100, "Avis A, très apprécié.", NOW)
        b = await store.upsert(1, article_id, 200, "Avis B, apprécié aussi.", NOW + timedelta(seconds=1))
        c = await store.upsert(1, article_id, 300, "Avis C, le plus récent.", NOW + timedelta(seconds=2))
        await store.toggle_mark(a.id, 200, NOW)
        assert await store.set_hidden(a.id, True, 9, NOW, reason="hors sujet")
        assert not await store.set_hidden(a.id, True, 9, NOW)
    async with db.read() as conn:
        store = OpinionStore(conn)
        assert [o.id for o in await store.most_useful(article_id)] == [b.id, c.id]  # tie → earliest
        hidden = await store.get(a.id)
        assert hidden is not None and hidden.hidden and hidden.hidden_reason == "hors sujet"
    async with db.transaction() as conn:
        assert await OpinionStore(conn).set_hidden(a.id, False, 9, NOW)
        assert [o.id for o in await OpinionStore(conn).most_useful(article_id)] == [a.id, b.id]


async def test_digest_slot_is_claimed_once_per_server_and_week(db: Database) -> None:
    start, end = NOW - timedelta(days=7), NOW
    async with db.transaction() as conn:
        store = DigestStore(conn)
        claim = await store.claim(1, "2026-W48", start, end, 5, NOW)
        assert claim is not None and claim.status == "claimed"
        assert await store.claim(1, "2026-W48", start, end, 5, NOW) is None
        assert await store.claim(2, "2026-W48", start, end, 5, NOW) is not None
    async with db.read() as conn:
        assert [c.guild_id for c in await DigestStore(conn).unresolved_claims()] == [1, 2]
    async with db.transaction() as conn:
        await DigestStore(conn).mark_posted(claim.id, 5, [123, 124], {"votes": 10}, NOW)
    async with db.read() as conn:
        store = DigestStore(conn)
        posted = await store.get(1, "2026-W48")
        assert posted is not None and posted.status == "posted" and posted.message_ids == [123, 124]
        assert (await store.previous(1, "2026-W49")).totals == {"votes": 10}  # type: ignore[union-attr]
        assert [c.guild_id for c in await store.unresolved_claims()] == [2]
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as conn:
            await DigestStore(conn).claim(1, "week 48", start, end, 5, NOW)


async def test_feed_items_are_seen_once(db: Database) -> None:
    async with db.transaction() as conn:
        store = FeedStore(conn)
        feed = await store.add(1, 10, "https://example.org/feed.xml", 42, NOW)
        assert feed is not None
        assert await store.add(1, 10, "https://example.org/feed.xml", 42, NOW) is None
        assert await store.mark_seen(feed.id, "guid-1", NOW)
        assert not await store.mark_seen(feed.id, "guid-1", NOW)
        assert await store.seen(feed.id, ["guid-1", "guid-2"]) == {"guid-1"}
        await store.record_failure(feed.id, NOW + timedelta(minutes=30), "timeout")
    async with db.read() as conn:
        store = FeedStore(conn)
        failed = await store.get(feed.id)
        assert failed is not None and failed.failures == 1 and failed.last_error == "timeout"
        assert await store.due(NOW) == []
        assert [f.id for f in await store.due(NOW + timedelta(hours=1))] == [feed.id]
    async with db.transaction() as conn:
        await FeedStore(conn).record_success(feed.id, NOW + timedelta(minutes=15), '"etag"', "Thu, 26 Nov", "Le flux")
        assert await FeedStore(conn).remove(1, feed.id)
    async with db.read() as conn:
        assert await FeedStore(conn).for_guild(1) == []
        async with conn.execute("SELECT count(*) FROM feed_items") as cur:
            assert (await cur.fetchone())[0] == 0  # cascaded


async def test_audit_log_newest_first_and_by_member(db: Database) -> None:
    async with db.transaction() as conn:
        store = AuditStore(conn)
        for i in range(5):
            await store.record(1, 100 + i % 2, "poll.close", NOW + timedelta(seconds=i), target=f"poll:{i}")
        await store.record(2, 100, "settings.language", NOW, details={"language": "en"})
    async with db.read() as conn:
        store = AuditStore(conn)
        latest = await store.latest(1, limit=3)
        assert [e.target for e in latest] == ["poll:4", "poll:3", "poll:2"]
        assert [e.target for e in await store.latest(1, actor_id=101)] == ["poll:3", "poll:1"]
        assert await store.count(1) == 5 and await store.count(1, actor_id=100) == 3
        assert (await store.latest(2))[0].details == {"language": "en"}


async def test_guild_settings_defaults_then_round_trip(db: Database) -> None:
    async with db.read() as conn:
        assert await GuildSettingsStore(conn).get(1) == GuildSettings(guild_id=1)
    async with db.transaction() as conn:
        updated = await GuildSettingsStore(conn).update(1, NOW, language="en", digest_hour=18, digest_enabled=False)
    assert updated.language == "en" and updated.timezone == "Europe/Paris"
    async with db.read() as conn:
        stored = await GuildSettingsStore(conn).get(1)
    assert stored == updated and stored.digest_enabled is False
    for bad in ({"language": "de"}, {"digest_hour": 24}, {"poll_duration_seconds": 60}):
        with pytest.raises(sqlite3.IntegrityError):
            async with db.transaction() as conn:
                await GuildSettingsStore(conn).update(1, NOW, **bad)
    with pytest.raises(ValueError):
        async with db.transaction() as conn:
            await GuildSettingsStore(conn).update(1, NOW, colour=3)
