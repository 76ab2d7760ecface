"""The weekly digest as Discord-ready plain data: embeds within Discord's limits, split over messages.

Nothing here imports discord: the digest service turns each `EmbedData` into a `discord.Embed`
(`discord.Embed.from_dict(embed.to_dict())`) and attaches `chart_png(digest)` as `CHART_FILENAME` to the
message whose `attach_chart` is set. Rendering is deterministic, so `/digest preview` shows exactly what
`/digest post` posts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from bot.charts import BarGroup, bar_chart_png
from bot.digest.arguments import CONTRA, DIVIDED, PRO, Argument
from bot.digest.build import COUNT_KEYS, Digest, PollSection, QuotedOpinion
from bot.digest.schedule import zone
from bot.i18n import t, tn
from bot.i18n.formatting import format_date, format_number
from bot.polls.tally import render_answer_lines
from bot.text import discord_len, shorten

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
MAX_EMBEDS_PER_MESSAGE = 10
MAX_TOTAL_CHARS = 6000  # title + description + field names and values + footer, over all embeds of a message
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048

EMBED_COLOUR = 0x5865F2  # Discord blurple: readable on the dark and the light theme
CHART_FILENAME = "tribune-digest.png"
CHART_MAX_POLLS = 10  # more bar groups than that and the image becomes unreadable on a phone
QUOTE_LIMIT = 200
# When a poll does not fit one embed, its quotes get shorter, then go: the results are never cut.
QUOTE_FALLBACKS = (QUOTE_LIMIT, 120, 60, None)

_MARKDOWN = re.compile(r"([\\*_~`|\[\]])")


def escape_markdown(text: str) -> str:
    """Quote members' words as they wrote them: no accidental bold, spoiler or masked link."""
    return _MARKDOWN.sub(r"\\\1", text)


@dataclass(frozen=True)
class EmbedField:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True)
class EmbedData:
    """An embed as plain data."""

    title: str | None = None
    description: str | None = None
    url: str | None = None
    fields: tuple[EmbedField, ...] = ()
    footer: str | None = None
    colour: int = EMBED_COLOUR
    image_url: str | None = None

    def size(self) -> int:
        """The characters Discord counts towards the 6,000 of a message."""
        return (
            discord_len(self.title)
            + discord_len(self.description)
            + sum(discord_len(f.name) + discord_len(f.value) for f in self.fields)
            + discord_len(self.footer)
        )

    def problems(self) -> list[str]:
        """The limits this embed breaks; empty when Discord will accept it."""
        found = []
        if discord_len(self.title) > MAX_TITLE:
            found.append("title")
        if discord_len(self.description) > MAX_DESCRIPTION:
            found.append("description")
        if len(self.fields) > MAX_FIELDS:
            found.append("fields")
        for f in self.fields:
            if not 0 < discord_len(f.name) <= MAX_FIELD_NAME or not 0 < discord_len(f.value) <= MAX_FIELD_VALUE:
                found.append(f"field {f.name[:20]!r}")
        if discord_len(self.footer) > MAX_FOOTER:
            found.append("footer")
        if self.size() > MAX_TOTAL_CHARS:
            found.append("total")
        return found

    def to_dict(self) -> dict[str, Any]:
        """The Discord API shape, ready for `discord.Embed.from_dict`."""
        data: dict[str, Any] = {"type": "rich", "color": self.colour}
        if self.title:
            data["title"] = self.title
        if self.description:
            data["description"] = self.description
        if self.url:
            data["url"] = self.url
        if self.fields:
            data["fields"] = [{"name": f.name, "value": f.value, "inline": f.inline} for f in self.fields]
        if self.footer:
            data["footer"] = {"text": self.footer}
        if self.image_url:
            data["image"] = {"url": self.image_url}
        return data


@dataclass(frozen=True)
class DigestMessage:
    """One Discord message of the digest."""

    embeds: tuple[EmbedData, ...] = ()
    content: str | None = None
    attach_chart: bool = False  # attach chart_png(digest) as CHART_FILENAME to this message

    def size(self) -> int:
        """The characters of all its embeds, which Discord caps at 6,000 per message."""
        return sum(embed.size() for embed in self.embeds)


SIDE_KEYS = {PRO: "arguments.side.pro", CONTRA: "arguments.side.contra", DIVIDED: "arguments.side.divided"}

# --- pieces -----------------------------------------------------------------------------------------------


def _delta(change: float, language: str, decimals: int = 0) -> str:
    if round(change, decimals) == 0:
        return t("digest.delta.same", language)
    key = "digest.delta.up" if change > 0 else "digest.delta.down"
    return t(key, language, number=format_number(abs(change), language, decimals))


def _local_dates(digest: Digest) -> tuple[str, str]:
    tz = zone(digest.timezone)
    return (
        format_date(digest.period_start.astimezone(tz).date(), digest.language),
        format_date(digest.period_end.astimezone(tz).date(), digest.language),
    )


def chart_sections(digest: Digest) -> tuple[PollSection, ...]:
    """The polls drawn on the chart: the most voted ones with at least one vote, at most CHART_MAX_POLLS."""
    return tuple(section for section in digest.sections if section.tally.voters > 0)[:CHART_MAX_POLLS]


def _header(digest: Digest) -> EmbedData:
    lang = digest.language
    start, end = _local_dates(digest)
    lines = [t("digest.period", lang, start=start, end=end), "", t("digest.totals_heading", lang)]
    deltas = digest.deltas
    for key in COUNT_KEYS:
        count = digest.totals.count(key)
        text = tn(f"digest.totals.{key}", count, lang, number=format_number(count, lang))
        if deltas:
            text = t("digest.with_delta", lang, text=text, delta=_delta(deltas[key], lang))
        lines.append(text)
    lines.append("")
    if deltas and digest.previous_week:
        lines.append(t("digest.compared", lang, week=digest.previous_week))
    if digest.sections:
        lines.append(t("digest.participations_note", lang))
    else:
        lines.append(t("digest.no_polls", lang))
    charted = chart_sections(digest)
    if len(charted) < sum(1 for section in digest.sections if section.tally.voters > 0):
        lines.append(t("digest.chart_note", lang, number=format_number(len(charted), lang)))
    return EmbedData(
        title=t("digest.title", lang),
        description="\n".join(lines).strip(),
        image_url=f"attachment://{CHART_FILENAME}" if charted else None,
    )


def _opinion(opinion: QuotedOpinion, limit: int, language: str) -> str:
    author = escape_markdown(opinion.author_name) if opinion.author_name else f"<@{opinion.member_id}>"
    params = {
        "quote": escape_markdown(shorten(opinion.text, limit)),
        "author": author,
        "useful": format_number(opinion.useful, language),
    }
    if opinion.url:
        return t("digest.opinion_linked", language, url=opinion.url, **params)
    return t("digest.opinion", language, **params)


def _section_description(section: PollSection, language: str, quote_limit: int | None, full_question: bool) -> str:
    lines = []
    if full_question:
        lines += [f"**{section.question}**", ""]
    status = t(f"digest.poll.{'open' if section.status == 'open' else 'closed'}", language)
    if section.mode == "native":
        status += " · " + t("digest.poll.native", language)
    lines += [status, ""]
    tally = section.tally
    if section.results_hidden:
        lines.append(t("digest.results_hidden", language))
    elif tally.voters:
        lines += render_answer_lines(tally, language)
        lines.append("")
        lines.append(tn("tally.voters", tally.voters, language, voters=format_number(tally.voters, language)))
        leading = " / ".join(f"**{answer.label}**" for answer in section.leading)
        lines.append(tn("digest.leading", len(section.leading), language, answers=leading))
    else:
        lines.append(t("digest.no_votes", language))
    if section.mean_score is not None:
        score = format_number(section.mean_score, language, 1)
        if section.mean_delta is None:
            lines.append(t("digest.score", language, score=score))
        else:
            previous = format_number(section.mean_score - section.mean_delta, language, 1)
            change = _delta(section.mean_delta, language, 1)
            lines.append(t("digest.score_change", language, score=score, delta=change, previous=previous))
    if section.opinions and quote_limit is not None:
        lines += ["", t("digest.opinions_heading", language)]
        # A blank line between quotes: consecutive "> " lines would merge into one block quote.
        lines.append("\n\n".join(_opinion(opinion, quote_limit, language) for opinion in section.opinions))
    if section.arguments:
        lines += ["", *argument_lines(section.arguments, language, quote_limit)]
    return "\n".join(lines)


def _argument(argument: Argument, language: str, quote_limit: int | None) -> str:
    words = ", ".join(escape_markdown(word) for word in argument.words)
    count = format_number(argument.size, language)
    if argument.side is None:
        head = tn("arguments.theme", argument.size, language, words=words, number=count)
    else:
        # A choice poll's side is one of its answers, written by whoever made the poll.
        side = t(SIDE_KEYS[argument.side], language) if argument.side in SIDE_KEYS else escape_markdown(argument.side)
        head = tn("arguments.group", argument.size, language, side=side, words=words, number=count)
    if quote_limit is None:
        return head
    quote = escape_markdown(shorten(argument.quote, quote_limit))
    if argument.url:
        return f"{head}\n{t('arguments.quote_linked', language, quote=quote, url=argument.url)}"
    return f"{head}\n{t('arguments.quote', language, quote=quote)}"


def argument_lines(arguments: tuple[Argument, ...], language: str, quote_limit: int | None = QUOTE_LIMIT) -> list[str]:
    """The "Ce que disent les membres" block: heading, then each group (side, words, size) and its quote."""
    if not arguments:
        return []
    # A blank line between groups: consecutive "> " lines would merge into one block quote.
    return [t("arguments.heading", language), "\n\n".join(_argument(a, language, quote_limit) for a in arguments)]


def arguments_text(arguments: tuple[Argument, ...], language: str, budget: int) -> str:
    """The block within `budget` characters: quotes get shorter, then go, then the smallest groups go."""
    shown = arguments
    while shown:
        for limit in QUOTE_FALLBACKS:
            text = "\n".join(argument_lines(shown, language, limit))
            if discord_len(text) <= budget:
                return text
        shown = shown[:-1]
    return ""


def _fits(embed: EmbedData, reserve: int) -> bool:
    return not embed.problems() and embed.size() + reserve <= MAX_TOTAL_CHARS


def _section(section: PollSection, language: str, reserve: int) -> EmbedData:
    title = shorten(section.question, MAX_TITLE)
    full_question = title != section.question
    embed = EmbedData(title=title, url=section.url)
    for limit in QUOTE_FALLBACKS:
        candidate = replace(embed, description=_section_description(section, language, limit, full_question))
        if _fits(candidate, reserve):
            return candidate
    # Unreachable with the store's constraints (≤ 10 answers of ≤ 55 characters); stay valid regardless.
    text = _section_description(section, language, None, False)
    return replace(embed, description=shorten(text, min(MAX_DESCRIPTION, MAX_TOTAL_CHARS - reserve - MAX_TITLE)))


def _footer(digest: Digest, page: int, pages: int, marker: str | None = None) -> str:
    text = t("digest.footer", digest.language, week=digest.week, page=page, pages=pages)
    return f"{text} · {marker}" if marker else text


def _pack(embeds: list[EmbedData], reserve: int) -> list[list[EmbedData]]:
    """Greedy: whole embeds, in order, as many per message as the count and the 6,000 characters allow."""
    messages: list[list[EmbedData]] = []
    current: list[EmbedData] = []
    size = 0
    for embed in embeds:
        if current and (len(current) == MAX_EMBEDS_PER_MESSAGE or size + embed.size() + reserve > MAX_TOTAL_CHARS):
            messages.append(current)
            current, size = [], 0
        current.append(embed)
        size += embed.size()
    if current:
        messages.append(current)
    return messages


# --- public -----------------------------------------------------------------------------------------------


def empty_text(digest: Digest) -> str:
    """The short "no debate this week" message."""
    start, end = _local_dates(digest)
    return t("digest.empty", digest.language, start=start, end=end)


def render_digest(digest: Digest, marker: str | None = None) -> list[DigestMessage]:
    """The digest as messages to post in order; [] when the week was empty and the server wants nothing.

    `marker` ends every footer: the scheduled digest carries its claim's (see `bot.delivery`), a manual one none.
    """
    if digest.empty:
        # An embed rather than plain text: its footer names the week, which is how a restart recognises
        # a digest already posted before the crash.
        notice = EmbedData(description=empty_text(digest), footer=_footer(digest, 1, 1, marker))
        return [DigestMessage(embeds=(notice,))] if digest.empty_notice else []
    lang = digest.language
    # Room kept in every message for the page footer added once the number of pages is known.
    reserve = discord_len(_footer(digest, 999, 999, marker))
    embeds = [_header(digest), *(_section(section, lang, reserve) for section in digest.sections)]
    pages = _pack(embeds, reserve)
    messages = []
    for number, page in enumerate(pages, start=1):
        page[-1] = replace(page[-1], footer=_footer(digest, number, len(pages), marker))
        messages.append(DigestMessage(embeds=tuple(page), attach_chart=number == 1 and page[0].image_url is not None))
    return messages


def chart_png(digest: Digest) -> bytes | None:
    """The bar chart of the most voted polls (PNG), or None when no poll has a vote to draw."""
    groups = [
        BarGroup(title=section.question, bars=[(answer.label, answer.count) for answer in section.tally.answers])
        for section in chart_sections(digest)
    ]
    return bar_chart_png(groups, digest.language) if groups else None
