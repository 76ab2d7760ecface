"""`/feed …`: RSS/Atom subscriptions whose new items are posted as articles, each exactly once."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.articles.errors import ArticleError
from bot.articles.extract import Article as ExtractedArticle
from bot.articles.extract import extract_text
from bot.articles.feeds import FeedEntry, parse_feed
from bot.errors import UserFacingError
from bot.i18n import t
from bot.outgoing import reply
from bot.text import shorten
from cogs.articles import POST_PERMISSIONS, ArticlesCog, Overrides
from cogs.common import announce, member_language, moderator_only, record_audit, require_permissions
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


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class FeedsCog(commands.GroupCog, name="FeedsCog", group_name="feed", group_description="RSS/Atom feeds (moderators)"):
    """Follows feeds with conditional GETs, back-off on failure, and never posts an item twice."""

    def __init__(self, bot: Tribune) -> None:
        self.bot = bot
        self.check_runs = 0  # completed passes of the feed loop (tests wait on it instead of sleeping)
        super().__init__()

    @property
    def articles(self) -> ArticlesCog:
        cog = self.bot.get_cog("ArticlesCog")
        assert isinstance(cog, ArticlesCog), "the articles extension must be loaded before the feeds one"
        return cog

    async def cog_load(self) -> None:
        self.poll_feeds.start()

    async def cog_unload(self) -> None:
        self.poll_feeds.cancel()

    @tasks.loop(seconds=FEED_LOOP_SECONDS)
    async def poll_feeds(self) -> None:
        await self.check_due_feeds()

    @poll_feeds.before_loop
    async def _before_poll(self) -> None:
        await self.bot.wait_until_ready()
        await self.articles.resolve_unposted()  # an item whose post a crash interrupted is settled first

    @poll_feeds.error
    async def _poll_error(self, error: BaseException) -> None:
        log.exception("The feed loop failed; it restarts", exc_info=error)
        self.poll_feeds.restart()

    async def check_due_feeds(self) -> int:
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
            result = await self.articles.fetcher.fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified)
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
                return await self.articles.fetch_article(entry.link)
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
            prepared = await self.articles.prepare(article, entry.link, Overrides(), settings)
            await self.articles.publish(channel, prepared, self.bot.user.id if self.bot.user else 0, feed_id=feed.id)
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

    # --- commands ------------------------------------------------------------------------------------------

    @app_commands.command(name="add", description="Follow an RSS/Atom feed: its new items are posted as articles")
    @app_commands.describe(url="The feed's address", channel="Where to post (default: the articles channel, else here)")
    @moderator_only
    async def add(self, interaction: discord.Interaction, url: str, channel: discord.TextChannel | None = None) -> None:
        """Follow an RSS/Atom feed: its new items are posted as articles."""
        language = member_language(interaction)
        async with self.bot.db.read() as conn:
            settings = await GuildSettingsStore(conn).get(interaction.guild_id or 0)
        target = self.articles.target_channel(interaction, channel.id if channel else None, settings)
        require_permissions(target, POST_PERMISSIONS, language)
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.articles.fetcher.fetch(url.strip())
        parsed = await asyncio.to_thread(parse_feed, result.text, base_url=result.final_url)
        now = self.bot.now()
        async with self.bot.db.transaction() as conn:
            store = FeedStore(conn)
            feed = await store.add(
                interaction.guild_id or 0, target.id, url.strip(), interaction.user.id, now, FEED_INTERVAL_SECONDS
            )
            if feed is None:
                raise UserFacingError("feed.already_followed")
            # Items already in the feed are older than the subscription: they are never posted.
            for entry in parsed.entries:
                await store.mark_seen(feed.id, entry.guid, now)
            await store.record_success(
                feed.id, now + timedelta(seconds=FEED_INTERVAL_SECONDS), result.etag, result.last_modified, parsed.title
            )
            entry = await record_audit(conn, interaction, "feed.add", f"feed:{feed.id}", url=url.strip())
        announce(interaction, entry)
        await reply(
            interaction,
            t(
                "feed.added",
                language,
                title=shorten(parsed.title or url, 200),
                channel=target.mention,
                count=len(parsed.entries),
            ),
            ephemeral=True,
        )

    async def feed_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
        async with self.bot.db.read() as conn:
            feeds = await FeedStore(conn).for_guild(interaction.guild_id or 0)
        needle = current.lower().strip()
        return [
            app_commands.Choice(name=shorten(f"#{f.id} · {f.title or f.url}", 100), value=f.id)
            for f in feeds
            if needle in (f.title or "").lower() or needle in f.url.lower() or needle == str(f.id)
        ][:25]

    @app_commands.command(name="list", description="Feeds followed on this server")
    @moderator_only
    async def list_feeds(self, interaction: discord.Interaction) -> None:
        """Feeds followed on this server."""
        language = member_language(interaction)
        async with self.bot.db.read() as conn:
            feeds = await FeedStore(conn).for_guild(interaction.guild_id or 0)
        if not feeds:
            await reply(interaction, t("feed.none", language), ephemeral=True)
            return
        lines = []
        for f in feeds:
            state = t("feed.failing", language, count=f.failures, error=f.last_error or "?") if f.failures else ""
            lines.append(t("feed.line", language, feed=f.id, title=shorten(f.title or f.url, 80), url=f.url,
                           channel=f"<#{f.channel_id}>", state=state))  # fmt: skip
        embed = discord.Embed(title=t("feed.list_title", language), description=shorten("\n".join(lines), 4096))
        await reply(interaction, embed=embed, ephemeral=True)

    @app_commands.command(name="remove", description="Stop following a feed")
    @app_commands.describe(feed="The feed")
    @app_commands.autocomplete(feed=feed_autocomplete)
    @moderator_only
    async def remove(self, interaction: discord.Interaction, feed: int) -> None:
        """Stop following a feed."""
        language = member_language(interaction)
        async with self.bot.db.transaction() as conn:
            if not await FeedStore(conn).remove(interaction.guild_id or 0, feed):
                raise UserFacingError("feed.not_found", feed=feed)
            entry = await record_audit(conn, interaction, "feed.remove", f"feed:{feed}")
        announce(interaction, entry)
        await reply(interaction, t("feed.removed", language, feed=feed), ephemeral=True)


async def setup(bot: Tribune) -> None:
    await bot.add_cog(FeedsCog(bot))
