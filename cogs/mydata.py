"""`/mydata export` and `/mydata delete`: the commands over `bot.mydata`, a `MemberDataService`."""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.i18n import t
from bot.outgoing import edit_original, edit_response, reply
from cogs.common import member_language
from cogs.components import TribuneView

if TYPE_CHECKING:
    from bot.client import Tribune


class DeleteConfirmation(TribuneView):
    """A last confirmation before everything goes (short-lived: an in-memory view is right)."""

    def __init__(self, language: str) -> None:
        super().__init__(timeout=120)
        self.confirm.label = t("mydata.delete_confirm_button", language)
        self.cancel.label = t("common.cancel", language)

    @discord.ui.button(style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction[Tribune], button: discord.ui.Button[Any]) -> None:
        self.stop()
        await edit_response(interaction, content=t("mydata.deleting", member_language(interaction)), view=None)
        counts = await interaction.client.mydata.delete_member_data(interaction.guild_id or 0, interaction.user.id)
        await edit_original(interaction, content=t("mydata.deleted", member_language(interaction), **counts))

    @discord.ui.button(style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction[Tribune], button: discord.ui.Button[Any]) -> None:
        self.stop()
        await edit_response(interaction, content=t("common.cancelled", member_language(interaction)), view=None)


@app_commands.guild_only()
class MyDataCog(commands.GroupCog, name="MyDataCog", group_name="mydata", group_description="Your data on this server"):
    """Export or delete what Tribune stores about you on this server."""

    def __init__(self, bot: Tribune) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="export", description="Download everything Tribune stores about you on this server")
    async def export(self, interaction: discord.Interaction[Tribune]) -> None:
        """Download everything Tribune stores about you on this server."""
        language = member_language(interaction)
        data = await self.bot.mydata.export_data(interaction.guild_id or 0, interaction.user.id)
        payload = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
        await reply(
            interaction,
            t("mydata.exported", language),
            file=discord.File(io.BytesIO(payload), filename="mes-donnees-tribune.json"),
            ephemeral=True,
        )

    @app_commands.command(name="delete", description="Delete your votes, opinions and useful marks on this server")
    async def delete(self, interaction: discord.Interaction[Tribune]) -> None:
        """Delete your votes, opinions and useful marks on this server."""
        language = member_language(interaction)
        await reply(
            interaction, t("mydata.delete_confirm", language), view=DeleteConfirmation(language), ephemeral=True
        )


async def setup(bot: Tribune) -> None:
    await bot.add_cog(MyDataCog(bot))
