"""Feeds end to end: a local news site with an RSS feed, the real bot, the emulator."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from db.feeds import FeedStore
from tests.conftest import FIXTURES, FakeClock
from tests.discord_emulator import DiscordEmulator

FEED = (FIXTURES / "articles" / "feed.xml").read_text(encoding="utf-8")
NEWEST_TWO = ("06-nebulo-games-annulation-rpg", "05-ai-act-premieres-interdictions")


@dataclass
class NewsSite:
    base: str = ""
    feed: str = ""
    feed_requests: int = 0
    not_modified: int = 0
    pages: list[str] = field(default_factory=list)


def without_items(feed: str, slugs: tuple[str, ...]) -> str:
    for slug in slugs:
        feed = re.sub(r"<item>(?:(?!</item>).)*?/" + re.escape(slug) + r"</link>.*?</item>\s*", "", feed, flags=re.S)
    return feed


@pytest.fixture
async def site() -> AsyncIterator[NewsSite]:
    state = NewsSite()
    app = web.Application()

    async def feed(request: web.Request) -> web.Response:
        state.feed_requests += 1
        body = state.feed.replace("https://example.news", state.base)
        etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            state.not_modified += 1
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(text=body, content_type="application/rss+xml", headers={"ETag": etag})

    async def page(request: web.Request) -> web.Response:
        slug = request.match_info["slug"]
        state.pages.append(slug)
        html = (FIXTURES / "articles" / slug / "article.html").read_bytes()
        return web.Response(body=html, content_type="text/html", charset="utf-8")

    app.router.add_get("/feed.xml", feed)
    app.router.add_get("/articles/{slug}", page)
    runner = web.AppRunner(app)
    await runner.setup()
    server = web.TCPSite(runner, "127.0.0.1", 0)
    await server.start()
    state.base = f"http://127.0.0.1:{server._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    yield state
    await runner.cleanup()


async def test_two_new_items_are_posted_once_and_old_ones_never(
    emulator: DiscordEmulator, run_tribune, site: NewsSite, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    site.feed = without_items(FEED, NEWEST_TWO)
    async with run_tribune(env={"TRIBUNE_FETCH_ALLOW": "127.0.0.1"}) as bot:
        add = await emulator.invoke(
            emulator.members["mod"], "feed add", url=f"{site.base}/feed.xml", options={"channel": "actualites"}
        )
        reply = await add.wait_reply(timeout=10)
        assert "Le Fil Tech" in reply.content and "actualites" not in reply.content  # the channel is a mention
        assert emulator.messages_in("actualites") == []  # existing items are not posted
        cog = bot.feeds

        assert await cog.poll_feeds() == 0  # not due yet: nothing fetched
        assert site.feed_requests == 1

        site.feed = FEED  # the site publishes two articles
        clock.advance(minutes=16)
        assert await cog.poll_feeds() == 2
        posts = [m for m in emulator.messages_in("actualites") if m.embeds]
        assert [p.embeds[0]["url"] for p in posts] == [f"{site.base}/articles/{slug}" for slug in reversed(NEWEST_TWO)]
        assert all(emulator.thread_of(p) is not None for p in posts)

        clock.advance(minutes=16)
        assert await cog.poll_feeds() == 0  # unchanged feed: a conditional GET answered 304
        assert site.not_modified == 1
        site.feed = FEED + "\n"  # changed bytes, same items
        clock.advance(minutes=16)
        assert await cog.poll_feeds() == 0
        assert len([m for m in emulator.messages_in("actualites") if m.embeds]) == 2
        assert sorted(site.pages) == sorted(NEWEST_TWO)


async def test_failing_feed_backs_off_and_list_shows_it(
    emulator: DiscordEmulator, run_tribune, site: NewsSite, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    site.feed = FEED
    async with run_tribune(env={"TRIBUNE_FETCH_ALLOW": "127.0.0.1"}) as bot:
        await (await emulator.invoke(emulator.members["mod"], "feed add", url=f"{site.base}/feed.xml")).wait_reply(
            timeout=10
        )
        site.feed = "<html>plus un flux</html>"
        clock.advance(minutes=16)
        await bot.feeds.poll_feeds()
        async with bot.db.read() as conn:
            [feed] = await FeedStore(conn).for_guild(emulator.guild.id)
        assert feed.failures == 1 and (feed.next_check_at - clock.now).total_seconds() >= 1800
        listing = await emulator.invoke(emulator.members["mod"], "feed list")
        assert "1 échec" in (await listing.wait_reply()).embeds[0]["description"]
        remove = await emulator.invoke(emulator.members["mod"], "feed remove", feed=feed.id)
        assert "n'est plus suivi" in (await remove.wait_reply()).content


async def test_a_page_that_is_not_a_feed_is_refused(emulator: DiscordEmulator, run_tribune, site: NewsSite) -> None:  # type: ignore[no-untyped-def]
    async with run_tribune(env={"TRIBUNE_FETCH_ALLOW": "127.0.0.1"}) as bot:
        add = await emulator.invoke(
            emulator.members["mod"], "feed add", url=f"{site.base}/articles/03-python-3-13-sortie"
        )
        reply = await add.wait_reply(timeout=10)
        assert add.ephemeral and "flux" in reply.content.lower()
        async with bot.db.read() as conn:
            assert await FeedStore(conn).for_guild(emulator.guild.id) == []
