"""The poll message: its buttons (which survive restarts) and its embeds, drawn from cards at every edit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import discord

from bot.i18n import t, tn
from bot.i18n.formatting import format_date, format_number
from bot.polls.card import ArticleCard, PollCard
from bot.polls.tally import Tally, render_tally
from bot.polls.visibility import Shown
from bot.text import (
    BUTTONS_PER_ROW,
    EMBED_AUTHOR_MAX,
    EMBED_DESCRIPTION_MAX,
    EMBED_FIELD_VALUE_MAX,
    EMBED_FOOTER_MAX,
    EMBED_TITLE_MAX,
    shorten,
)
from cogs.components import TribuneButton

if TYPE_CHECKING:
    from bot.client import Tribune

OPEN_COLOUR = discord.Colour(0x5865F2)
CLOSED_COLOUR = discord.Colour(0x4E5058)
ARTICLE_SUMMARY_MAX = 3000  # leaves room for the polls' embeds within a message's 6,000 characters


class VoteButton(TribuneButton, template=r"tribune:vote:(?P<poll>\d+):(?P<option>\d)"):
    """One answer of one poll. A click records, changes or withdraws the member's vote."""

    action = "vote"

    def __init__(self, poll_id: int, position: int, label: str = "?", *, disabled: bool = False) -> None:
        super().__init__(poll_id, position, label=label, disabled=disabled)
        self.poll_id, self.position = poll_id, position

    async def clicked(self, interaction: discord.Interaction[Tribune]) -> None:
        await interaction.client.polls.vote(interaction, self.poll_id, self.position)


class ResultsButton(TribuneButton, template=r"tribune:results:(?P<poll>\d+)"):
    """📊 Résultats: the current results with a chart, privately, for anyone."""

    action, emoji, style, fallback_label = "results", "📊", discord.ButtonStyle.primary, "Résultats"

    def __init__(self, poll_id: int, label: str = "Résultats") -> None:
        super().__init__(poll_id, label=label)
        self.poll_id = poll_id

    async def clicked(self, interaction: discord.Interaction[Tribune]) -> None:
        await interaction.client.polls.send_results(interaction, self.poll_id)


DYNAMIC_ITEMS = (VoteButton, ResultsButton)


def status_line(card: PollCard, language: str) -> str:
    """`Clôture <t:…:R>` for an open poll, `Sondage clos` for a closed one (Discord renders the time)."""
    if card.closed:
        return t("poll.closed_banner", language)
    return t("poll.closes", language, when=f"<t:{int(card.closes_at.timestamp())}:R>")


def poll_footer(card: PollCard, language: str) -> str:
    parts = [t("poll.anonymous" if card.anonymous else "poll.public", language)]
    if card.multiple:
        parts.append(t("poll.multiple", language))
    parts.append(f"#{card.poll_id or 0}")
    return " · ".join(parts)


def article_embed(article: ArticleCard, language: str) -> discord.Embed:
    """The article card: linked title, source and date, summary, keywords."""
    embed = discord.Embed(
        title=shorten(article.title, EMBED_TITLE_MAX),
        url=article.url or None,
        description=shorten(article.summary, ARTICLE_SUMMARY_MAX),
        colour=OPEN_COLOUR,
    )
    source = list(article.source)
    if article.published_at:
        try:
            source.append(format_date(date.fromisoformat(article.published_at[:10]), language))
        except ValueError:
            source.append(article.published_at)
    if source:
        embed.set_author(name=shorten(" · ".join(source), EMBED_AUTHOR_MAX))
    if article.image_url and article.image_url.startswith(("http://", "https://")):
        embed.set_thumbnail(url=article.image_url)
    # The open reader questions are the debate's prompt: shown on the post, asked again by 💬.
    if article.debated:
        value = shorten("\n".join(article.debated), EMBED_FIELD_VALUE_MAX)
        embed.add_field(name=t("article.debate_field", language), value=value, inline=False)
    if article.keywords:
        embed.set_footer(text=shorten(" · ".join(article.keywords), EMBED_FOOTER_MAX))
    return embed


def results_block(card: PollCard, tally: Tally, language: str, shown: Shown) -> str:
    """The tally, or what stands in for it when the results mode hides it from this viewer."""
    if shown is Shown.FULL:
        return render_tally(tally, language)
    hidden = t(f"poll.hidden.{card.results_visibility}", language)
    if shown is Shown.VOTERS:
        voters = tn("tally.voters", tally.voters, language, voters=format_number(tally.voters, language))
        return f"{voters}\n{hidden}"
    return hidden


def poll_embed(card: PollCard, language: str) -> discord.Embed:
    """The live results (one bar per answer, voters, mean score) as far as its mode lets the public see, and
    the deadline."""
    body = f"{results_block(card, card.tally, language, card.public_shown)}\n\n{status_line(card, language)}"
    embed = discord.Embed(
        title=shorten(card.question, EMBED_TITLE_MAX),
        description=shorten(body, EMBED_DESCRIPTION_MAX),
        colour=CLOSED_COLOUR if card.closed else OPEN_COLOUR,
    )
    embed.set_footer(text=poll_footer(card, language))
    return embed


def rows_of(answer_count: int) -> int:
    """Action rows a poll's answer buttons take."""
    return (answer_count - 1) // BUTTONS_PER_ROW + 1


def message_embeds(polls: Sequence[PollCard], article: ArticleCard | None, language: str) -> list[discord.Embed]:
    """The embeds of a poll message: the article card first (an article post), then one per button poll.

    A native poll is drawn by Discord: it has no embed of its own.
    """
    embeds = [article_embed(article, language)] if article is not None else []
    return embeds + [poll_embed(card, language) for card in polls if not card.native]


def message_view(
    polls: Sequence[PollCard], language: str, extra: Sequence[discord.ui.Item[Any]] = ()
) -> discord.ui.View:
    """Each button poll's answers on its own row(s) (disabled once closed), then on the last row the extra
    buttons (💬 on an article's post) and one 📊 per poll, numbered when the message carries several.

    Every item is a DynamicItem, so discord.py keeps no per-message View in memory.
    """
    view = discord.ui.View(timeout=None)
    row = 0
    for card in polls:
        if card.native:
            continue
        assert card.poll_id is not None, "only a stored poll has buttons"
        for index, (position, label) in enumerate(card.answers):
            button = VoteButton(card.poll_id, position, label, disabled=card.closed)
            button.row = row + index // BUTTONS_PER_ROW
            view.add_item(button)
        row += rows_of(len(card.answers))
    items: list[discord.ui.Item[Any]] = list(extra)
    for number, card in enumerate(polls, start=1):
        assert card.poll_id is not None, "only a stored poll has buttons"
        label = (
            t("poll.results_button_numbered", language, number=number)
            if len(polls) > 1
            else t("poll.results_button", language)
        )
        items.append(ResultsButton(card.poll_id, label))
    for item in items:
        item.row = row
        view.add_item(item)
    return view
