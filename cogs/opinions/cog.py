"""`/opinion …`: moderating opinions (the feature itself is `bot.opinions`, an `OpinionService`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserFacingError
from bot.i18n import t
from bot.outgoing import reply
from bot.text import CHOICE_NAME_MAX, CHOICES_MAX, EMBED_DESCRIPTION_MAX, EMBED_TITLE_MAX, shorten
from cogs.common import announce, member_language, moderator_only, record_audit
from cogs.opinions.views import DYNAMIC_ITEMS
from db.articles import ArticleStore
from db.opinions import OpinionStore

if TYPE_CHECKING:
    from bot.client import Tribune

PAGE_SIZE = 10


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
class OpinionsCog(commands.GroupCog, name="OpinionsCog", group_name="opinion", group_description="Moderate opinions"):
    """Opinions in the debate thread, their useful marks, and their moderation."""

    def __init__(self, bot: Tribune) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)

    # --- moderation commands -----------------------------------------------------------------------------

    async def opinion_autocomplete(
        self, interaction: discord.Interaction[Tribune], current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        async with self.bot.db.read() as conn:
            found = await OpinionStore(conn).search(interaction.guild_id, current.strip(), limit=CHOICES_MAX)
        return [app_commands.Choice(name=shorten(f"#{o.id} · {o.text}", CHOICE_NAME_MAX), value=o.id) for o in found]

    async def article_autocomplete(
        self, interaction: discord.Interaction[Tribune], current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        async with self.bot.db.read() as conn:
            found = await ArticleStore(conn).search(interaction.guild_id, current.strip(), limit=CHOICES_MAX)
        return [
            app_commands.Choice(name=shorten(f"#{aid} · {title}", CHOICE_NAME_MAX), value=aid) for aid, title in found
        ]

    @app_commands.command(name="hide", description="Hide an opinion from the thread and the digests")
    @app_commands.describe(opinion="The opinion", reason="Why (visible to moderators only)")
    @app_commands.autocomplete(opinion=opinion_autocomplete)
    @moderator_only
    async def hide(
        self, interaction: discord.Interaction[Tribune], opinion: int, reason: app_commands.Range[str, 1, 300]
    ) -> None:
        """Hide an opinion from the thread and the digests."""
        language = member_language(interaction)
        target = await self.bot.opinions.opinion_of_guild(interaction, opinion)
        async with self.bot.db.transaction() as conn:
            if not await OpinionStore(conn).set_hidden(target.id, True, interaction.user.id, self.bot.now(), reason):
                raise UserFacingError("opinion.already_hidden", opinion=opinion)
            entry = await record_audit(conn, interaction, "opinion.hide", f"opinion:{opinion}", reason=reason)
        announce(interaction, entry)
        await reply(interaction, t("opinion.hidden_done", language, opinion=opinion), ephemeral=True)
        await self.bot.opinions.rerender(target.id)

    @app_commands.command(name="restore", description="Show a hidden opinion again")
    @app_commands.describe(opinion="The opinion")
    @app_commands.autocomplete(opinion=opinion_autocomplete)
    @moderator_only
    async def restore(self, interaction: discord.Interaction[Tribune], opinion: int) -> None:
        """Show a hidden opinion again."""
        language = member_language(interaction)
        target = await self.bot.opinions.opinion_of_guild(interaction, opinion)
        async with self.bot.db.transaction() as conn:
            if not await OpinionStore(conn).set_hidden(target.id, False, interaction.user.id, self.bot.now()):
                raise UserFacingError("opinion.not_hidden", opinion=opinion)
            entry = await record_audit(conn, interaction, "opinion.restore", f"opinion:{opinion}")
        announce(interaction, entry)
        await reply(interaction, t("opinion.restored", language, opinion=opinion), ephemeral=True)
        await self.bot.opinions.rerender(target.id)

    @app_commands.command(name="list", description="List an article's opinions, hidden ones included")
    @app_commands.describe(article="The article", page="Page number")
    @app_commands.autocomplete(article=article_autocomplete)
    @moderator_only
    async def list_opinions(
        self, interaction: discord.Interaction[Tribune], article: int, page: app_commands.Range[int, 1, 1000] = 1
    ) -> None:
        """List an article's opinions, hidden ones included."""
        language = member_language(interaction)
        async with self.bot.db.read() as conn:
            found = await ArticleStore(conn).get(article)
            if found is None or found.guild_id != interaction.guild_id:
                raise UserFacingError("opinion.article_missing")
            opinions = await OpinionStore(conn).for_article(article, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
            total = await OpinionStore(conn).count_for_article(article)
        lines = []
        for o in opinions:
            status = t("opinion.list_hidden", language, reason=o.hidden_reason or "—") if o.hidden else ""
            lines.append(
                t("opinion.list_line", language, opinion=o.id, member=f"<@{o.member_id}>", useful=o.useful,
                  text=shorten(o.text, 150), status=status)
            )  # fmt: skip
        embed = discord.Embed(
            title=shorten(t("opinion.list_title", language, title=found.title), EMBED_TITLE_MAX),
            description=shorten("\n".join(lines), EMBED_DESCRIPTION_MAX)
            if lines
            else t("opinion.list_empty", language),
        )
        embed.set_footer(text=t("audit.page", language, page=page, pages=max(1, -(-total // PAGE_SIZE))))
        await reply(interaction, embed=embed, ephemeral=True)
