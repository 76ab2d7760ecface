"""The poll message: embeds and buttons, rebuilt from the store at every (coalesced) edit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import discord

from bot.i18n import t, tn
from bot.i18n.formatting import format_date, format_number
from bot.polls.tally import Tally, render_tally
from bot.polls.visibility import PUBLIC, Shown, results_shown
from bot.text import BUTTONS_PER_ROW, shorten
from cogs.polls.items import ResultsButton, VoteButton
from db.articles import Article
from db.polls import Poll

OPEN_COLOUR = discord.Colour(0x5865F2)
CLOSED_COLOUR = discord.Colour(0x4E5058)

# Discord's embed limits (the emulator enforces the same ones).
TITLE_MAX, DESCRIPTION_MAX, FIELD_NAME_MAX, FIELD_VALUE_MAX, FOOTER_MAX = 256, 4096, 256, 1024, 2048


def status_line(poll: Poll, language: str) -> str:
    """`Clôture <t:…:R>` for an open poll, `Sondage clos` for a closed one (Discord renders the time)."""
    if poll.status != "open":
        return t("poll.closed_banner", language)
    return t("poll.closes", language, when=f"<t:{int(poll.closes_at.timestamp())}:R>")


def poll_footer(poll: Poll, language: str) -> str:
    parts = [t("poll.anonymous" if poll.anonymous else "poll.public", language)]
    if poll.multiple:
        parts.append(t("poll.multiple", language))
    parts.append(f"#{poll.id}")
    return " · ".join(parts)


def article_embed(article: Article, language: str) -> discord.Embed:
    """The article card: linked title, source and date, summary, keywords."""
    embed = discord.Embed(
        title=shorten(article.title, TITLE_MAX),
        url=article.url or None,
        description=shorten(article.summary, 3000),
        colour=OPEN_COLOUR,
    )
    source = [part for part in (article.site_name, article.author) if part]
    if article.published_at:
        try:
            source.append(format_date(date.fromisoformat(article.published_at[:10]), language))
        except ValueError:
            source.append(article.published_at)
    if source:
        embed.set_author(name=shorten(" · ".join(source), 256))
    if article.image_url and article.image_url.startswith(("http://", "https://")):
        embed.set_thumbnail(url=article.image_url)
    # The open reader questions are the debate's prompt: shown on the post, asked again by 💬.
    debated = [q["text"] for q in article.questions or () if q.get("kind") == "open" and q.get("text")]
    if debated:
        value = shorten("\n".join(debated), FIELD_VALUE_MAX)
        embed.add_field(name=t("article.debate_field", language), value=value, inline=False)
    if article.keywords:
        embed.set_footer(text=shorten(" · ".join(article.keywords), FOOTER_MAX))
    return embed


def public_shown(poll: Poll) -> Shown:
    """What a public message (the poll's own, the final results) may show of this poll."""
    return results_shown(
        poll.results_visibility, closed=poll.status != "open", published=poll.results_published, audience=PUBLIC
    )


def results_block(poll: Poll, tally: Tally, language: str, shown: Shown) -> str:
    """The tally, or what stands in for it when the results mode hides it from this viewer."""
    if shown is Shown.FULL:
        return render_tally(tally, language)
    hidden = t(f"poll.hidden.{poll.results_visibility}", language)
    if shown is Shown.VOTERS:
        voters = tn("tally.voters", tally.voters, language, voters=format_number(tally.voters, language))
        return f"{voters}\n{hidden}"
    return hidden


def poll_embed(poll: Poll, tally: Tally, language: str, *, with_title: bool = True) -> discord.Embed:
    """The live results (one bar per answer, voters, mean score) as far as its mode lets the public see, and
    the deadline."""
    body = f"{results_block(poll, tally, language, public_shown(poll))}\n\n{status_line(poll, language)}"
    embed = discord.Embed(
        title=shorten(poll.question, TITLE_MAX) if with_title else None,
        description=shorten(body, DESCRIPTION_MAX),
        colour=OPEN_COLOUR if poll.status == "open" else CLOSED_COLOUR,
    )
    embed.set_footer(text=poll_footer(poll, language))
    return embed


def poll_view(poll: Poll, language: str, extra: Sequence[discord.ui.Item[Any]] = ()) -> discord.ui.View:
    """Answer buttons (disabled once closed), then the extra buttons and 📊 Résultats.

    Every item is a DynamicItem, so discord.py keeps no per-message View in memory.
    """
    view = discord.ui.View(timeout=None)
    closed = poll.status != "open"
    for index, option in enumerate(poll.options):
        button = VoteButton(poll.id, option.position, shorten(option.label, 80), disabled=closed)
        button.row = index // BUTTONS_PER_ROW
        view.add_item(button)
    last_row = (len(poll.options) - 1) // BUTTONS_PER_ROW + 1
    for item in extra:
        item.row = last_row
        view.add_item(item)
    results = ResultsButton(poll.id, t("poll.results_button", language))
    results.row = last_row
    view.add_item(results)
    return view


def poll_message(
    poll: Poll,
    tally: Tally,
    language: str,
    article: Article | None = None,
    extra: Sequence[discord.ui.Item[Any]] = (),
) -> tuple[list[discord.Embed], discord.ui.View]:
    """Embeds and buttons of a poll message (an article post carries its card first).

    A native poll is drawn by Discord: the message keeps the article card and the extra buttons and 📊 only.
    """
    if poll.mode == "native":
        view = discord.ui.View(timeout=None)
        for item in extra:
            view.add_item(item)
        view.add_item(ResultsButton(poll.id, t("poll.results_button", language)))
        return ([article_embed(article, language)] if article is not None else []), view
    if article is None:
        return [poll_embed(poll, tally, language)], poll_view(poll, language, extra)
    card = article_embed(article, language)
    results = poll_embed(poll, tally, language)
    return [card, results], poll_view(poll, language, extra)


def rows_of(answer_count: int) -> int:
    """Action rows a poll's answer buttons take."""
    return (answer_count - 1) // BUTTONS_PER_ROW + 1


def article_message(
    article: Article,
    polls: Sequence[tuple[Poll, Tally]],
    language: str,
    extra: Sequence[discord.ui.Item[Any]] = (),
) -> tuple[list[discord.Embed], discord.ui.View]:
    """An article post with several polls: the card, one results embed per poll, each poll's answers on its
    own row(s), then the extra buttons and one 📊 per poll on the last row."""
    embeds = [article_embed(article, language), *(poll_embed(poll, tally, language) for poll, tally in polls)]
    view = discord.ui.View(timeout=None)
    row = 0
    for poll, _ in polls:
        closed = poll.status != "open"
        for index, option in enumerate(poll.options):
            button = VoteButton(poll.id, option.position, shorten(option.label, 80), disabled=closed)
            button.row = row + index // BUTTONS_PER_ROW
            view.add_item(button)
        row += rows_of(len(poll.options))
    for item in extra:
        item.row = row
        view.add_item(item)
    for number, (poll, _) in enumerate(polls, start=1):
        results = ResultsButton(poll.id, t("poll.results_button_numbered", language, number=number))
        results.row = row
        view.add_item(results)
    return embeds, view
