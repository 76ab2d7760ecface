"""The opinion buttons (which survive restarts), the opinion form, and an opinion's message in the thread."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.i18n import t
from bot.opinions import MAX_CHARS, MIN_CHARS, unmask_links
from bot.text import EMBED_AUTHOR_MAX, INPUT_LABEL_MAX, INPUT_PLACEHOLDER_MAX, MODAL_TITLE_MAX, shorten
from cogs.components import TribuneButton, TribuneModal
from db.articles import Article
from db.opinions import Opinion

if TYPE_CHECKING:
    from bot.client import Tribune

OPINION_COLOUR = discord.Colour(0x57F287)
HIDDEN_COLOUR = discord.Colour(0x4E5058)


class OpinionButton(TribuneButton, template=r"tribune:opinion:(?P<article>\d+)"):
    """💬 Donner mon avis: opens the modal, pre-filled with the member's current opinion."""

    action, emoji, style, fallback_label = "opinion", "💬", discord.ButtonStyle.success, "Donner mon avis"

    def __init__(self, article_id: int, label: str = "Donner mon avis") -> None:
        super().__init__(article_id, label=label)
        self.article_id = article_id

    async def clicked(self, interaction: discord.Interaction[Tribune]) -> None:
        await interaction.client.opinions.open_modal(interaction, self.article_id)


class UsefulButton(TribuneButton, template=r"tribune:useful:(?P<opinion>\d+)"):
    """👍 Utile (n): one mark per member, never on one's own opinion."""

    action, emoji, fallback_label = "useful", "👍", "Utile"

    def __init__(self, opinion_id: int, label: str = "Utile", *, disabled: bool = False) -> None:
        super().__init__(opinion_id, label=label, disabled=disabled)
        self.opinion_id = opinion_id

    async def clicked(self, interaction: discord.Interaction[Tribune]) -> None:
        await interaction.client.opinions.toggle_useful(interaction, self.opinion_id)


class DeleteOwnButton(TribuneButton, template=r"tribune:opinion-delete:(?P<opinion>\d+)"):
    """On the private confirmation: the author deletes their own opinion."""

    action, emoji, style, fallback_label = "opinion-delete", "🗑️", discord.ButtonStyle.danger, "Supprimer mon avis"

    def __init__(self, opinion_id: int, label: str = "Supprimer mon avis") -> None:
        super().__init__(opinion_id, label=label)
        self.opinion_id = opinion_id

    async def clicked(self, interaction: discord.Interaction[Tribune]) -> None:
        await interaction.client.opinions.delete_own(interaction, self.opinion_id)


DYNAMIC_ITEMS = (OpinionButton, UsefulButton, DeleteOwnButton)


class OpinionModal(TribuneModal):
    """One paragraph, 10–1,500 characters, titled with the article's open question."""

    def __init__(self, article: Article, current: str | None, language: str) -> None:
        super().__init__(title=shorten(article.opinion_prompt, MODAL_TITLE_MAX), timeout=1800)
        self.article = article
        self.text: discord.ui.TextInput[OpinionModal] = discord.ui.TextInput(
            label=shorten(t("opinion.input_label", language), INPUT_LABEL_MAX),
            placeholder=shorten(article.opinion_prompt, INPUT_PLACEHOLDER_MAX),
            style=discord.TextStyle.paragraph,
            min_length=MIN_CHARS,
            max_length=MAX_CHARS,
            default=current,
        )
        self.add_item(self.text)

    async def submitted(self, interaction: discord.Interaction[Tribune]) -> None:
        await interaction.client.opinions.submit(interaction, self.article, self.text.value)


def opinion_embed(
    opinion: Opinion, author: discord.abc.User | None, stance: tuple[str, ...] | None, language: str
) -> discord.Embed:
    """An opinion in the thread: its author, its text (links unmasked), the author's answers on a public poll."""
    if opinion.hidden:
        return discord.Embed(description=t("opinion.hidden_public", language), colour=HIDDEN_COLOUR)
    embed = discord.Embed(description=unmask_links(opinion.text), colour=OPINION_COLOUR)
    if author is not None:
        embed.set_author(name=shorten(author.display_name, EMBED_AUTHOR_MAX), icon_url=author.display_avatar.url)
    else:
        embed.set_author(name=f"#{opinion.member_id}")
    if stance:
        embed.add_field(name=t("opinion.stance", language, answers=", ".join(stance)), value="\u200b", inline=False)
    footer = t("opinion.footer_edited" if opinion.edited else "opinion.footer", language, opinion=opinion.id)
    embed.set_footer(text=footer)
    return embed


def opinion_view(opinion: Opinion, language: str) -> discord.ui.View | None:
    """👍 Utile (n) under a visible opinion; nothing under a hidden one."""
    if opinion.hidden:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(UsefulButton(opinion.id, t("opinion.useful", language, count=opinion.useful)))
    return view
