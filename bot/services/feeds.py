"""Feeds as a feature: the loop that checks each followed RSS/Atom feed and posts each new item exactly once.

Discord-aware but without commands: the bot builds it in `setup_hook` (`bot.feeds`); one pass is `poll_feeds()`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import discord
from discord.ext import tasks

from bot.articles.errors import ArticleError
from bot.articles.extract import Article as ExtractedArticle
from bot.articles.extract import extract_text
from bot.articles.feeds import FeedEntry, parse_feed
from bot.articles.preview import Overrides
from bot.errors import UserFacingError
from db.feeds import Feed, FeedStore
from db.guild_settings import GuildSettingsStore

if TYPE_CHECKING:
    from bot.client import Tribune

log = logging.getLogger(__name__)

FEED_INTERVAL_SECONDS = 900
MAX_BACKOFF = timedelta(hours=6)
MAX_ITEMS_PER_CHECK = 5  # a feed that suddenly lists 50 items must not flood the channel
FEED_LOOP_SECONDS = 60.0


def next_check_after_failure(now: datetime, interval_seconds: int, failures: int) -> datetime:
    """Exponential back-off from the feed's interval, capped at six hours."""
    delay = timedelta(seconds=interval_seconds * 2 ** max(0, failures))
    return now + min(delay, MAX_BACKOFF)


def oldest_first(entries: list[FeedEntry]) -> list[FeedEntry]:
    """Feeds list newest first; post in publication order (undated items keep the feed's order)."""
    undated = datetime.min.replace(tzinfo=UTC)
    return sorted(reversed(entries), key=lambda e: e.published or undated)


class FeedService:
    """Follows feeds with conditional GETs, back-off on failure, and never posts an item twice."""

    def __init__(self, bot: Tribune) -> None:
        self.bot = bot
        self.check_runs = 0  # completed passes of the feed loop (tests wait on it instead of sleeping)

    async def start(self) -> None:
        self.feed_loop.start()

    async def stop(self) -> None:
        self.feed_loop.cancel()

    @tasks.loop(seconds=FEED_LOOP_SECONDS)
    async def feed_loop(self) -> None:
        await self.poll_feeds()

    @feed_loop.before_loop
    async def _before_poll(self) -> None:
        await self.bot.wait_until_ready()
        await self.bot.articles.resolve_unposted()  # an item whose post a crash interrupted is settled first

    @feed_loop.error
    async def _poll_error(self, error: BaseException) -> None:
        log.exception("The feed loop failed; it restarts", exc_info=error)
        self.feed_loop.restart()

    async def poll_feeds(self) -> int:
        """Check every feed whose time has come; returns how many articles were posted."""
        # Taken in the store: no other process checks these feeds until the lease ends (a crash frees them).
        lease = int(FEED_LOOP_SECONDS + 2 * self.bot.settings.fetch_timeout)
        async with self.bot.db.transaction() as conn:
            due = await FeedStore(conn).claim_due(self.bot.now(), lease, shards=self.bot.owned_shards())
        posted = 0
        for feed in due:
            posted += await self.check_feed(feed)
        self.check_runs += 1
        return posted

    async def check_feed(self, feed: Feed) -> int:
        now = self.bot.now()
        try:
            result = await self.bot.articles.fetcher.fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified)
            if result.not_modified:
                async with self.bot.db.transaction() as conn:
                    await FeedStore(conn).record_success(
                        feed.id, now + timedelta(seconds=feed.interval_seconds), feed.etag, feed.last_modified
                    )
                return 0
            parsed = await asyncio.to_thread(parse_feed, result.text, base_url=result.final_url)
        except ArticleError as exc:
            async with self.bot.db.transaction() as conn:
                await FeedStore(conn).record_failure(
                    feed.id, next_check_after_failure(now, feed.interval_seconds, feed.failures + 1), exc.key
                )
            log.info("Feed %s failed (%s); backing off", feed.id, exc.key)
            return 0
        async with self.bot.db.read() as conn:
            seen = await FeedStore(conn).seen(feed.id, [e.guid for e in parsed.entries])
        fresh = [e for e in oldest_first(parsed.entries) if e.guid not in seen][:MAX_ITEMS_PER_CHECK]
        posted = 0
        for entry in fresh:
            if await self.post_entry(feed, entry):
                posted += 1
        async with self.bot.db.transaction() as conn:
            await FeedStore(conn).record_success(
                feed.id, now + timedelta(seconds=feed.interval_seconds), result.etag, result.last_modified, parsed.title
            )
        return posted

    async def entry_article(self, entry: FeedEntry) -> ExtractedArticle:
        """The item's page through the guarded fetcher; its feed summary when the page cannot be read."""
        if entry.link:
            try:
                return await self.bot.articles.fetch_article(entry.link)
            except ArticleError as exc:
                log.info("Feed item %s: page unreadable (%s), using the feed summary", entry.link, exc.key)
        text = entry.summary or entry.title or ""
        return extract_text(text, title=entry.title, url=entry.link)

    async def post_entry(self, feed: Feed, entry: FeedEntry) -> bool:
        """Post one item and remember it; an item already posted (same URL or text) is only remembered."""
        channel = self.bot.get_channel(feed.channel_id)
        if not isinstance(channel, discord.TextChannel):
            log.warning("Feed %s: channel %s is gone", feed.id, feed.channel_id)
            return False
        posted = False
        try:
            article = await self.entry_article(entry)
            async with self.bot.db.read() as conn:
                settings = await GuildSettingsStore(conn).get(feed.guild_id)
            prepared = await self.bot.articles.prepare(article, entry.link, Overrides(), settings)
            await self.bot.articles.publish(
                channel, prepared, self.bot.user.id if self.bot.user else 0, feed_id=feed.id
            )
            posted = True
        except UserFacingError as exc:
            # Duplicates and unusable items are not retried forever: they are marked seen below.
            log.info("Feed %s item %s not posted: %s", feed.id, entry.guid, exc.key)
        except discord.HTTPException:
            log.warning("Feed %s item %s: Discord refused the post; will retry", feed.id, entry.guid, exc_info=True)
            return False
        async with self.bot.db.transaction() as conn:
            await FeedStore(conn).mark_seen(feed.id, entry.guid, self.bot.now())
        return posted
