"""`/feed …`: following RSS/Atom feeds (the loop that posts their items is `bot.feeds`, a `FeedService`)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.articles.feeds import parse_feed
from bot.errors import UserFacingError
from bot.i18n import t
from bot.outgoing import reply
from bot.services.articles import POST_PERMISSIONS
from bot.services.feeds import FEED_INTERVAL_SECONDS
from bot.text import CHOICE_NAME_MAX, CHOICES_MAX, EMBED_DESCRIPTION_MAX, shorten
from cogs.common import announce, member_language, moderator_only, record_audit, require_permissions
from db.feeds import FeedStore
from db.guild_settings import GuildSettingsStore

if TYPE_CHECKING:
    from bot.client import Tribune


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class FeedsCog(commands.GroupCog, name="FeedsCog", group_name="feed", group_description="RSS/Atom feeds (moderators)"):
    """Follows feeds with conditional GETs, back-off on failure, and never posts an item twice."""

    def __init__(self, bot: Tribune) -> None:
        self.bot = bot
        super().__init__()

    # --- commands ------------------------------------------------------------------------------------------

    @app_commands.command(name="add", description="Follow an RSS/Atom feed: its new items are posted as articles")
    @app_commands.describe(url="The feed's address", channel="Where to post (default: the articles channel, else here)")
    @moderator_only
    async def add(
        self, interaction: discord.Interaction[Tribune], url: str, channel: discord.TextChannel | None = None
    ) -> None:
        """Follow an RSS/Atom feed: its new items are posted as articles."""
        language = member_language(interaction)
        async with self.bot.db.read() as conn:
            settings = await GuildSettingsStore(conn).get(interaction.guild_id or 0)
        target = self.bot.articles.target_channel(interaction, channel.id if channel else None, settings)
        require_permissions(target, POST_PERMISSIONS, language)
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await self.bot.articles.fetcher.fetch(url.strip())
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

    async def feed_autocomplete(
        self, interaction: discord.Interaction[Tribune], current: str
    ) -> list[app_commands.Choice[int]]:
        async with self.bot.db.read() as conn:
            feeds = await FeedStore(conn).for_guild(interaction.guild_id or 0)
        needle = current.lower().strip()
        return [
            app_commands.Choice(name=shorten(f"#{f.id} · {f.title or f.url}", CHOICE_NAME_MAX), value=f.id)
            for f in feeds
            if needle in (f.title or "").lower() or needle in f.url.lower() or needle == str(f.id)
        ][:CHOICES_MAX]

    @app_commands.command(name="list", description="Feeds followed on this server")
    @moderator_only
    async def list_feeds(self, interaction: discord.Interaction[Tribune]) -> None:
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
        embed = discord.Embed(
            title=t("feed.list_title", language), description=shorten("\n".join(lines), EMBED_DESCRIPTION_MAX)
        )
        await reply(interaction, embed=embed, ephemeral=True)

    @app_commands.command(name="remove", description="Stop following a feed")
    @app_commands.describe(feed="The feed")
    @app_commands.autocomplete(feed=feed_autocomplete)
    @moderator_only
    async def remove(self, interaction: discord.Interaction[Tribune], feed: int) -> None:
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
