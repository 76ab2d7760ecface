"""The publishing store on a real SQLite file: opt-in, stable public ids, constraints."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from db.database import Database
from db.polls import PollStore
from db.public import PublicSettings, PublicStore
from tests.conftest import NOW
from tests.web.conftest import GUILD, seed_poll


async def test_publishing_is_off_until_a_server_turns_it_on(db: Database) -> None:
    async with db.transaction() as conn:
        store = PublicStore(conn)
        assert await store.settings(GUILD) == PublicSettings(GUILD)
        assert not (await store.settings(GUILD)).enabled
        await store.save_settings(PublicSettings(GUILD, True, True, ("https://a.example",)), NOW)
        await store.save_settings(PublicSettings(GUILD, True, False, ("https://b.example", "https://c.example")), NOW)
    async with db.read() as conn:
        saved = await PublicStore(conn).settings(GUILD)
        assert saved == PublicSettings(GUILD, True, False, ("https://b.example", "https://c.example"))
        assert await PublicStore(conn).settings(GUILD + 1) == PublicSettings(GUILD + 1)


async def test_a_public_id_is_given_once_and_resolves_only_for_its_kind(db: Database) -> None:
    seeded = await seed_poll(db, publish=False)
    async with db.transaction() as conn:
        store = PublicStore(conn)
        first = await store.publish("poll", seeded.poll_id, GUILD, "first-id-0123456789", NOW)
        second = await store.publish("poll", seeded.poll_id, GUILD, "other-id-0123456789", NOW + timedelta(hours=1))
        assert second == first and first.public_id == "first-id-0123456789"
        assert await store.resolve("first-id-0123456789", "poll") == first
        assert await store.resolve("first-id-0123456789", "article") is None
        assert await store.resolve("other-id-0123456789", "poll") is None
        assert not await store.is_live(first.public_id, "poll")  # the server has not opted in
        await store.save_settings(PublicSettings(GUILD, enabled=True), NOW)
        assert await store.is_live(first.public_id, "poll")
        assert await store.unpublish("poll", seeded.poll_id)
        assert not await store.unpublish("poll", seeded.poll_id)
        assert await store.resolve(first.public_id, "poll") is None


async def test_the_store_refuses_short_ids_and_unknown_kinds(db: Database) -> None:
    for public_id, kind in (("short", "poll"), ("long-enough-id-0123", "guild")):
        with pytest.raises(sqlite3.IntegrityError):
            async with db.transaction() as conn:
                await PublicStore(conn).publish(kind, 1, GUILD, public_id, NOW)


async def test_article_lists_its_published_polls_but_not_deleted_ones(db: Database) -> None:
    seeded = await seed_poll(db, {0: 1}, with_article=True)
    async with db.transaction() as conn:
        public, polls = PublicStore(conn), PollStore(conn)
        assert [link.public_id for link in await public.published_polls_of_article(seeded.article_id or 0)] == [
            seeded.public_id
        ]
        assert await public.last_vote_at(seeded.poll_id) == NOW + timedelta(minutes=1)
        await polls.mark_deleted(seeded.poll_id, NOW)
        assert await public.published_polls_of_article(seeded.article_id or 0) == []
