"""`/digest preview` and `/digest post` (the weekly digest itself is `bot.digest`, a `DigestService`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserFacingError
from bot.i18n import t
from bot.outgoing import reply
from bot.services.digest import DIGEST_PERMISSIONS
from cogs.common import audit, member_language, moderator_only, require_permissions

if TYPE_CHECKING:
    from bot.client import Tribune


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class DigestCog(
    commands.GroupCog, name="DigestCog", group_name="digest", group_description="Weekly digest (moderators)"
):
    """The digest of the last 7 days, privately or posted now."""

    def __init__(self, bot: Tribune) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="preview", description="See privately the digest that would be posted now")
    @moderator_only
    async def preview(self, interaction: discord.Interaction[Tribune]) -> None:
        """See privately the digest that would be posted now."""
        assert interaction.guild is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        _, messages, chart = await self.bot.digest.digest_now(interaction.guild)
        if not messages:
            await reply(interaction, t("digest.preview_nothing", member_language(interaction)), ephemeral=True)
            return
        for message in messages:
            await reply(interaction, ephemeral=True, **self.bot.digest.message_kwargs(message, chart))

    @app_commands.command(
        name="post", description="Post the digest of the last 7 days now (the weekly one still comes)"
    )
    @moderator_only
    async def post(self, interaction: discord.Interaction[Tribune]) -> None:
        """Post the digest of the last 7 days now (the weekly one still comes)."""
        assert interaction.guild is not None
        language = member_language(interaction)
        settings = await self.bot.digest.settings_of(interaction.guild.id)
        channel = self.bot.digest.digest_channel(interaction.guild, settings) or interaction.channel
        if not isinstance(channel, discord.TextChannel):
            raise UserFacingError("digest.no_channel")
        require_permissions(channel, DIGEST_PERMISSIONS, language)
        await interaction.response.defer(ephemeral=True, thinking=True)
        digest, messages, chart = await self.bot.digest.digest_now(interaction.guild)
        if not messages:
            await reply(interaction, t("digest.preview_nothing", language), ephemeral=True)
            return
        ids = await self.bot.digest.send(channel, messages, chart)
        await audit(interaction, "digest.post", f"channel:{channel.id}", week=digest.week, messages=len(ids))
        await reply(interaction, t("digest.posted", language, channel=channel.mention), ephemeral=True)


async def setup(bot: Tribune) -> None:
    await bot.add_cog(DigestCog(bot))
