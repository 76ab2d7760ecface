"""`/article post` and `/article preview`: the commands of the articles feature (`bot.articles`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.articles.extract import Article as ExtractedArticle
from bot.articles.extract import extract_text
from bot.articles.preview import Overrides
from bot.articles.questions import parse_answers
from bot.errors import UserFacingError
from bot.i18n import t
from bot.outgoing import edit_original, edit_response, reply, send_modal
from bot.polls.durations import parse_poll_duration
from bot.services.articles import Prepared
from bot.text import EMBED_TITLE_MAX, INPUT_VALUE_MAX
from cogs.common import audit, member_language, moderator_only, settings_of
from cogs.components import TribuneModal, TribuneView

if TYPE_CHECKING:
    from bot.client import Tribune

# /article post and /article preview take the same options.
SOURCE_OPTIONS = {
    "url": "The article's address",
    "file": "Or an attached .txt, .md or .html file (without either: paste the text)",
    "question": "Poll question instead of the detected one",
    "answers": "Poll answers separated by ;",
    "duration": "How long the poll stays open: 12h, 3d, 1w",
    "channel": "Where to post (default: the articles channel, else here)",
}


class PasteModal(TribuneModal):
    """Title and text of an article pasted by the moderator (Discord allows 4,000 characters)."""

    def __init__(
        self, cog: ArticlesCog, language: str, overrides: Overrides, channel_id: int | None, preview: bool
    ) -> None:
        super().__init__(title=t("article.paste_title", language), timeout=900)
        self.cog, self.overrides, self.channel_id, self.preview = cog, overrides, channel_id, preview
        self.article_title: discord.ui.TextInput[PasteModal] = discord.ui.TextInput(
            label=t("article.paste_field_title", language), max_length=EMBED_TITLE_MAX
        )
        self.text: discord.ui.TextInput[PasteModal] = discord.ui.TextInput(
            label=t("article.paste_field_text", language),
            style=discord.TextStyle.paragraph,
            min_length=50,
            max_length=INPUT_VALUE_MAX,
        )
        self.add_item(self.article_title)
        self.add_item(self.text)

    async def submitted(self, interaction: discord.Interaction[Tribune]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        article = extract_text(self.text.value, title=self.article_title.value.strip())
        await self.cog.handle(interaction, article, None, self.overrides, self.channel_id, self.preview)


class PreviewView(TribuneView):
    """**Publier** / **Annuler** under a private preview (short-lived: an in-memory view is right)."""

    def __init__(self, cog: ArticlesCog, prepared: Prepared, channel_id: int, language: str) -> None:
        super().__init__(timeout=900)
        self.cog, self.prepared, self.channel_id = cog, prepared, channel_id
        self.publish.label = t("article.publish", language)
        self.cancel.label = t("common.cancel", language)

    @discord.ui.button(style=discord.ButtonStyle.success)
    async def publish(self, interaction: discord.Interaction[Tribune], button: discord.ui.Button[Any]) -> None:
        self.stop()
        await edit_response(interaction, content=t("article.publishing", member_language(interaction)), view=None)
        message = await self.cog.publish_from(interaction, self.prepared, self.channel_id)
        await edit_original(
            interaction, content=t("article.posted", member_language(interaction), link=message.jump_url), embeds=[]
        )

    @discord.ui.button(style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction[Tribune], button: discord.ui.Button[Any]) -> None:
        self.stop()
        await edit_response(
            interaction, content=t("common.cancelled", member_language(interaction)), embeds=[], view=None
        )


@app_commands.guild_only()
class ArticlesCog(
    commands.GroupCog, name="ArticlesCog", group_name="article", group_description="Post articles (moderators)"
):
    """`/article post` and `/article preview`: from a URL, a file or pasted text to a posted debate."""

    def __init__(self, bot: Tribune) -> None:
        self.bot = bot
        super().__init__()

    async def handle(
        self,
        interaction: discord.Interaction[Tribune],
        article: ExtractedArticle,
        url: str | None,
        overrides: Overrides,
        channel_id: int | None,
        preview: bool,
    ) -> None:
        """After the (deferred) interaction brought an article: preview it or post it."""
        language = member_language(interaction)
        settings = await settings_of(interaction)
        channel = self.bot.articles.target_channel(interaction, channel_id, settings)
        prepared = await self.bot.articles.prepare(article, url, overrides, settings)
        await self.bot.articles.refuse_duplicate(
            interaction.guild_id or 0, prepared.url, prepared.analysis.content_hash
        )
        if preview:
            embeds = self.bot.articles.preview_embeds(prepared, settings.language)
            await reply(
                interaction,
                t("article.preview_intro", language, channel=channel.mention),
                embeds=embeds,
                view=PreviewView(self, prepared, channel.id, language),
                ephemeral=True,
            )
            return
        message = await self.publish_from(interaction, prepared, channel.id)
        await reply(interaction, t("article.posted", language, link=message.jump_url), ephemeral=True)

    async def publish_from(
        self, interaction: discord.Interaction[Tribune], prepared: Prepared, channel_id: int
    ) -> discord.Message:
        channel = interaction.guild.get_channel(channel_id) if interaction.guild else None
        if not isinstance(channel, discord.TextChannel):
            raise UserFacingError("article.channel_invalid")
        message = await self.bot.articles.publish(channel, prepared, interaction.user.id)
        article_id = await self.bot.articles.article_id_of(message.id)
        await audit(interaction, "article.post", f"article:{article_id}", title=prepared.analysis.article.title or "")
        return message

    # --- commands -----------------------------------------------------------------------------------------

    async def run(
        self,
        interaction: discord.Interaction[Tribune],
        *,
        url: str | None,
        file: discord.Attachment | None,
        overrides: Overrides,
        channel: discord.TextChannel | None,
        preview: bool,
    ) -> None:
        language = member_language(interaction)
        if overrides.duration:
            parse_poll_duration(overrides.duration)  # refuse a bad duration before any work
        if overrides.answers:
            parse_answers(overrides.answers)
        if url is None and file is None:
            settings = await settings_of(interaction)
            self.bot.articles.target_channel(interaction, channel.id if channel else None, settings)  # refuse early
            await send_modal(
                interaction, PasteModal(self, language, overrides, channel.id if channel else None, preview)
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        if url:
            article = await self.bot.articles.fetch_article(url)
        else:
            assert file is not None
            article = await self.bot.articles.read_attachment(file)
        await self.handle(interaction, article, url, overrides, channel.id if channel else None, preview)

    @app_commands.command(
        name="post", description="Post an article with its summary, poll and debate thread (moderators)"
    )
    @app_commands.describe(**SOURCE_OPTIONS)
    @moderator_only
    async def post(
        self,
        interaction: discord.Interaction[Tribune],
        url: str | None = None,
        file: discord.Attachment | None = None,
        question: app_commands.Range[str, 1, 300] | None = None,
        answers: str | None = None,
        duration: str | None = None,
        channel: discord.TextChannel | None = None,
    ) -> None:
        """Post an article with its summary, poll and debate thread (moderators)."""
        await self.run(
            interaction,
            url=url,
            file=file,
            overrides=Overrides(question, answers, duration),
            channel=channel,
            preview=False,
        )

    @app_commands.command(name="preview", description="Preview exactly what would be posted, then publish (moderators)")
    @app_commands.describe(**SOURCE_OPTIONS)
    @moderator_only
    async def preview(
        self,
        interaction: discord.Interaction[Tribune],
        url: str | None = None,
        file: discord.Attachment | None = None,
        question: app_commands.Range[str, 1, 300] | None = None,
        answers: str | None = None,
        duration: str | None = None,
        channel: discord.TextChannel | None = None,
    ) -> None:
        """Preview exactly what would be posted, then publish (moderators)."""
        await self.run(
            interaction,
            url=url,
            file=file,
            overrides=Overrides(question, answers, duration),
            channel=channel,
            preview=True,
        )


async def setup(bot: Tribune) -> None:
    await bot.add_cog(ArticlesCog(bot))
