"""The "Ce que disent les membres" section in the digest and its stand-alone block, within Discord's limits."""

from __future__ import annotations

import re

from bot.digest.arguments import CONTRA, DIVIDED, PRO, Argument
from bot.digest.build import build_digest
from bot.digest.render import (
    MAX_TOTAL_CHARS,
    QUOTE_LIMIT,
    argument_lines,
    arguments_text,
    discord_len,
    render_digest,
)
from db.guild_settings import GuildSettings
from tests.domain.test_digest_render import GUILD, PERIOD, activity, all_embeds, heavy_poll, opinion, poll


def argument(side: str | None, words: tuple[str, ...], size: int, quote: str, url: str | None = None) -> Argument:
    return Argument(side=side, words=words, size=size, quote=quote, opinion_id=size, opinion_ids=(size,), url=url)


DEBATE = (
    argument(PRO, ("anthropic", "client"), 9, "Un vrai client qui teste les puces, pas une démo."),
    argument(
        CONTRA, ("cuda", "logiciel"), 7, "Tout le monde code avec CUDA.", url="https://discord.com/channels/1/2/3"
    ),
    argument(DIVIDED, ("prix",), 1, "Le prix suivra."),
)


def built(language: str, arguments: dict[int, tuple[Argument, ...]], polls: list | None = None):  # type: ignore[no-untyped-def]
    settings = GuildSettings(guild_id=GUILD, language=language)
    polls = polls if polls is not None else [poll(1, {0: 3, 1: 2}, article_id=10), poll(2, {0: 1}, article_id=10)]
    return build_digest(activity(polls, votes=6, opinions=17), PERIOD, settings, {}, None, arguments)


def test_the_section_shows_sides_words_sizes_and_quotes_in_french() -> None:
    digest = built("fr", {1: DEBATE, 2: DEBATE})
    assert digest.sections[0].arguments == DEBATE
    assert digest.sections[1].arguments == ()  # the article's debate goes under its most voted poll only
    body = all_embeds(render_digest(digest))[1].description or ""
    assert "**Ce que disent les membres**" in body
    assert "**Pour** · anthropic, client · 9 avis\n> « Un vrai client qui teste les puces, pas une démo. »" in body
    assert "**Contre** · cuda, logiciel · 7 avis\n> « Tout le monde code avec CUDA. » · [lire l'avis](https" in body
    assert "**Partagé** · prix · 1 avis" in body
    assert "Ce que disent" not in (all_embeds(render_digest(digest))[2].description or "")


def test_english_servers_read_it_in_english_and_themes_have_no_side() -> None:
    themes = (argument(None, ("cuda",), 4, "Everyone codes with CUDA."), argument(None, ("price",), 1, "Prices."))
    body = all_embeds(render_digest(built("en", {1: themes})))[1].description or ""
    assert "**What members say**" in body
    assert "**cuda** · 4 opinions\n> “Everyone codes with CUDA.”" in body
    assert "**price** · 1 opinion" in body
    assert "**For** ·" not in body and "**Against** ·" not in body


def test_a_choice_side_is_the_answer_escaped() -> None:
    lines = argument_lines((argument("*Android*", ("batterie",), 3, "La batterie tient."),), "fr")
    assert lines[1].startswith("**\\*Android\\*** · batterie · 3 avis")


def test_the_block_fits_any_budget_by_shortening_then_dropping() -> None:
    long_quote = ("Un argument développé avec soin " * 10)[:QUOTE_LIMIT]
    many = tuple(
        argument(PRO if i % 2 else CONTRA, ("mot", "autre", "troisième"), 20 - i, long_quote) for i in range(12)
    )
    full = arguments_text(many, "fr", 10_000)
    assert full.count("> «") == 12
    for budget in (3000, 1000, 400, 120):
        text = arguments_text(many, "fr", budget)
        assert 0 < discord_len(text) <= budget
        assert text.startswith("**Ce que disent les membres**")
    assert arguments_text(many, "fr", 10) == ""
    assert arguments_text((), "fr", 1000) == ""


def test_heavy_polls_with_full_debates_stay_within_every_limit() -> None:
    long_quote = ("Un argument développé avec soin " * 10)[:QUOTE_LIMIT]
    debate = tuple(
        argument(
            [PRO, CONTRA, DIVIDED][i % 3],
            ("mot" * 5, "autre" * 4, "troisième" * 3),
            30 - i,
            long_quote,
            url=f"https://discord.com/channels/1/2/{i}",
        )
        for i in range(12)
    )
    long_opinion = "Un avis qui développe longuement son propos " * 30
    top = {p: (opinion(2 * p, p, 1000 + p, long_opinion, 5, 1),) for p in range(1, 13)}
    settings = GuildSettings(guild_id=GUILD, language="fr")
    data = activity([heavy_poll(p) for p in range(1, 13)], votes=500, opinions=300, top=top)
    messages = render_digest(build_digest(data, PERIOD, settings, {}, None, {p: debate for p in range(1, 13)}))
    for message in messages:
        assert message.size() <= MAX_TOTAL_CHARS
        assert all(embed.problems() == [] for embed in message.embeds)
    bodies = [embed.description or "" for embed in all_embeds(messages)[1:]]
    assert len(bodies) == 12 and all("**Ce que disent les membres**" in body for body in bodies)
    assert all(len(q) <= QUOTE_LIMIT for body in bodies for q in re.findall(r"«\s(.*?)\s»", body))
