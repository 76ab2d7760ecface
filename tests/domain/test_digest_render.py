"""The digest's content and rendering, from in-memory aggregates: ranking, deltas, languages, Discord limits."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from PIL import Image

from bot.charts import PALETTE, BarGroup, bar_chart_png
from bot.digest.build import Digest, Totals, build_digest
from bot.digest.render import (
    CHART_FILENAME,
    MAX_EMBEDS_PER_MESSAGE,
    MAX_TOTAL_CHARS,
    QUOTE_LIMIT,
    DigestMessage,
    EmbedData,
    chart_png,
    discord_len,
    render_digest,
    shorten,
)
from bot.digest.schedule import digest_period
from db.digests import DigestRecord, PeriodActivity, PollActivity, TopOpinion
from db.guild_settings import GuildSettings
from db.polls import PollOption

NNBSP = "\u202f"
GUILD = 111
SCHEDULED = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Monday 9:00 in Paris
PERIOD = digest_period(SCHEDULED, "Europe/Paris", 9)
SCALE = (
    PollOption(0, "Oui", 100.0),
    PollOption(1, "Plutôt oui", 66.7),
    PollOption(2, "Plutôt non", 33.3),
    PollOption(3, "Non", 0.0),
    PollOption(4, "Sans avis", None),
)
CHOICE = (PollOption(0, "Pour"), PollOption(1, "Contre"))


def poll(
    poll_id: int,
    per_option: dict[int, int],
    voters: int | None = None,
    *,
    kind: str = "choice",
    options: tuple[PollOption, ...] = CHOICE,
    article_id: int | None = None,
    question: str | None = None,
    status: str = "closed",
    created_at: datetime | None = None,
    message: bool = True,
) -> PollActivity:
    return PollActivity(
        id=poll_id,
        article_id=article_id,
        question=question or f"Question {poll_id} ?",
        kind=kind,
        multiple=False,
        anonymous=True,
        status=status,
        channel_id=500 if message else None,
        message_id=600 + poll_id if message else None,
        thread_id=None,
        created_at=created_at or PERIOD.start + timedelta(hours=poll_id),
        closed_at=None if status == "open" else PERIOD.start + timedelta(days=2),
        options=options,
        per_option=per_option,
        voters=sum(per_option.values()) if voters is None else voters,
    )


def opinion(opinion_id: int, article_id: int, member_id: int, text: str, useful: int, rank: int) -> TopOpinion:
    return TopOpinion(
        id=opinion_id,
        article_id=article_id,
        member_id=member_id,
        text=text,
        thread_id=700,
        message_id=800 + opinion_id,
        created_at=PERIOD.start + timedelta(hours=opinion_id),
        useful=useful,
        rank=rank,
    )


def activity(
    polls: list[PollActivity],
    votes: int = 0,
    opinions: int = 0,
    top: dict[int, tuple[TopOpinion, ...]] | None = None,
) -> PeriodActivity:
    return PeriodActivity(polls=tuple(polls), votes=votes, opinions=opinions, top_opinions=top or {})


def previous(totals: dict[str, object], week: str = "2026-W47") -> DigestRecord:
    return DigestRecord(
        id=1,
        guild_id=GUILD,
        week=week,
        period_start=PERIOD.start - timedelta(days=7),
        period_end=PERIOD.start,
        status="posted",
        channel_id=1,
        message_ids=[1],
        totals=totals,
        claimed_at=PERIOD.start,
        posted_at=PERIOD.start,
    )


def digest(
    data: PeriodActivity,
    language: str = "fr",
    names: dict[int, str] | None = None,
    before: DigestRecord | None = None,
    empty_notice: bool = True,
) -> Digest:
    settings = GuildSettings(guild_id=GUILD, language=language, digest_empty_notice=empty_notice)
    return build_digest(data, PERIOD, settings, names or {}, before)


def all_embeds(messages: list[DigestMessage]) -> list[EmbedData]:
    return [embed for message in messages for embed in message.embeds]


def header_lines(messages: list[DigestMessage]) -> list[str]:
    return (messages[0].embeds[0].description or "").splitlines()


# --- content ----------------------------------------------------------------------------------------------


def test_polls_are_ranked_most_voted_first_with_stable_ties() -> None:
    data = activity(
        [
            poll(1, {0: 3}),
            poll(2, {0: 10, 1: 2}),
            poll(3, {0: 3}, created_at=PERIOD.start),  # same votes as poll 1, but older
            poll(4, {}),
        ]
    )
    built = digest(data)
    assert [s.poll_id for s in built.sections] == [2, 3, 1, 4]
    assert built.totals == Totals(polls=4, votes=0, participations=18, opinions=0, scale_mean=None)
    assert built.sections[0].leading[0].label == "Pour"
    assert built.sections[0].url == f"https://discord.com/channels/{GUILD}/500/602"


def test_opinions_keep_the_store_ranking_and_go_under_the_first_poll_of_their_article() -> None:
    top = (
        opinion(5, 9, 50, "Le plus utile, et de loin.", 4, 1),
        opinion(3, 9, 30, "Deuxième avis utile du fil.", 2, 2),
        opinion(1, 9, 10, "Un troisième qui ne sera pas cité.", 1, 3),
    )
    data = activity([poll(1, {0: 1}, article_id=9), poll(2, {0: 5}, article_id=9)], top={9: top})
    built = digest(data, names={50: "Zoé"})
    first, second = built.sections
    assert first.poll_id == 2 and [o.id for o in first.opinions] == [5, 3]
    assert second.opinions == ()  # the same article's opinions are not quoted twice
    assert first.opinions[0].author_name == "Zoé" and first.opinions[1].author_name is None
    assert first.opinions[0].url == f"https://discord.com/channels/{GUILD}/700/805"
    text = render_digest(built)[0].embeds[1].description or ""
    assert "Zoé" in text and "<@30>" in text and "Un troisième" not in text
    assert f"[lire l'avis](https://discord.com/channels/{GUILD}/700/805)" in text
    assert text.index("Le plus utile") < text.index("Deuxième avis")


def test_quotes_are_cut_at_a_word_and_escape_markdown() -> None:
    long_text = "Un avis **très** argumenté, " + "avec beaucoup de nuances " * 20
    top = {9: (opinion(1, 9, 10, long_text, 3, 1),)}
    built = digest(activity([poll(1, {0: 2}, article_id=9)], top=top), names={10: "_Ana_ [admin]"})
    quote = built.sections[0].opinions[0]
    assert quote.text == " ".join(long_text.split())
    short = shorten(quote.text, QUOTE_LIMIT)
    assert len(short) <= QUOTE_LIMIT and short.endswith("…")
    assert quote.text.startswith(short[:-1]) and quote.text[len(short) - 1] == " "  # cut between words
    description = render_digest(built)[0].embeds[1].description or ""
    assert r"Un avis \*\*très\*\* argumenté" in description
    assert r"\_Ana\_ \[admin\]" in description


def test_shorten_never_exceeds_the_limit() -> None:
    assert shorten("court", 10) == "court"
    assert shorten("mot" * 100, 20) == "mot" * 6 + "m…"  # one long word: cut inside it
    assert shorten("deux mots, puis la suite", 12) == "deux mots…"
    assert discord_len(shorten("🗳️" * 300, 256)) <= 256


def test_scale_polls_show_the_mean_score_and_its_change() -> None:
    scale_a = poll(1, {0: 5, 3: 3}, kind="scale", options=SCALE)  # mean 62.5
    scale_b = poll(2, {1: 1}, kind="scale", options=SCALE)  # mean 66.7
    built = digest(activity([scale_a, scale_b]), before=previous({**Totals(1, 2, 3, 4).to_json(), "scale_mean": 50}))
    section = next(s for s in built.sections if s.poll_id == 1)
    assert section.mean_score == pytest.approx(62.5)
    assert section.mean_delta == pytest.approx(12.5)
    assert built.totals.scale_mean == pytest.approx(64.6)  # the average of the polls' means, stored rounded
    text = "\n".join(e.description or "" for e in all_embeds(render_digest(built)))
    assert "Score moyen : **62,5**/100 (▲ 12,5 par rapport à la moyenne du bilan précédent, 50,0/100)" in text
    # Without a previous scale poll there is nothing to compare with.
    alone = digest(activity([scale_a]), before=previous(Totals(1, 2, 3, 4).to_json()))
    assert alone.sections[0].mean_delta is None
    assert "Score moyen : **62,5**/100\n" in render_digest(alone)[0].embeds[1].description + "\n"  # type: ignore[operator]


def test_totals_compare_with_the_previous_digest() -> None:
    data = activity([poll(1, {0: 4}), poll(2, {0: 2})], votes=9, opinions=3)
    before = previous({"version": 1, "polls": 1, "votes": 12, "participations": 6, "opinions": 3})
    built = digest(data, before=before)
    assert built.deltas == {"polls": 1, "votes": -3, "participations": 0, "opinions": 0}
    lines = header_lines(render_digest(built))
    assert "2 sondages (▲ 1)" in lines
    assert "9 votes exprimés (▼ 3)" in lines
    assert "6 participations aux sondages (=)" in lines
    assert "3 avis publiés (=)" in lines
    assert "_Évolution par rapport au bilan précédent (2026-W47)._" in lines


@pytest.mark.parametrize("stored", [None, {}, {"polls": "3"}, {"polls": 1, "votes": True}])
def test_no_comparison_without_usable_previous_totals(stored: dict[str, object] | None) -> None:
    data = activity([poll(1, {0: 1})], votes=1)
    built = digest(data, before=None if stored is None else previous(stored))
    assert built.previous_totals is None and built.deltas == {}
    lines = header_lines(render_digest(built))
    assert "1 sondage" in lines and "1 vote exprimé" in lines  # French singular, no arrows
    assert not any("▲" in line or "▼" in line or "(=)" in line or "Évolution" in line for line in lines)


def test_totals_json_round_trips_through_the_stored_text() -> None:
    built = digest(activity([poll(1, {0: 5, 3: 3}, kind="scale", options=SCALE)], votes=8, opinions=2))
    stored = json.loads(json.dumps(built.totals_json()))
    assert stored == {
        "version": 1,
        "polls": 1,
        "votes": 8,
        "participations": 8,
        "opinions": 2,
        "scale_mean": 62.5,
    }
    assert Totals.from_json(stored) == built.totals


# --- languages --------------------------------------------------------------------------------------------


def test_french_rendering_writes_numbers_the_french_way() -> None:
    data = activity([poll(1, {0: 1000, 1: 600})], votes=1600, opinions=1)
    messages = render_digest(digest(data, "fr"))
    header = messages[0].embeds[0]
    assert header.title == "🗞️ Bilan de la semaine"
    assert header_lines(messages)[0] == "Du 23 nov. 2026 au 30 nov. 2026"
    assert f"1{NNBSP}600 votes exprimés" in header_lines(messages)
    body = messages[0].embeds[1].description or ""
    assert f"▰▰▰▰▰▰▱▱▱▱ 1{NNBSP}000 · 62,5{NNBSP}%" in body
    assert f"1{NNBSP}600 votants" in body and "En tête : **Pour**" in body
    assert "🔒 Sondage clos" in body
    assert messages[-1].embeds[-1].footer == "Bilan 2026-W49 · 1/1"


def test_english_rendering() -> None:
    data = activity([poll(1, {0: 1000, 1: 600}), poll(2, {0: 3, 1: 3}, status="open")], votes=1606, opinions=1)
    messages = render_digest(digest(data, "en"))
    assert messages[0].embeds[0].title == "🗞️ Weekly digest"
    assert header_lines(messages)[0] == "From Nov 23, 2026 to Nov 30, 2026"
    assert "1,606 votes cast" in header_lines(messages) and "1 opinion posted" in header_lines(messages)
    first, tied = messages[0].embeds[1].description or "", messages[0].embeds[2].description or ""
    assert "1,000 · 62.5%" in first and "1,600 voters" in first and "Leading: **Pour**" in first
    assert "Tied for the lead: **Pour** / **Contre**" in tied and "🟢 Poll still open" in tied
    assert messages[-1].embeds[-1].footer == "Digest 2026-W49 · 1/1"


def test_a_poll_without_votes_says_so() -> None:
    messages = render_digest(digest(activity([poll(1, {})])))
    body = messages[0].embeds[1].description or ""
    assert "_Aucun vote._" in body and "▱" not in body
    assert chart_png(digest(activity([poll(1, {})]))) is None
    assert messages[0].embeds[0].image_url is None and not messages[0].attach_chart


# --- empty week -------------------------------------------------------------------------------------------


def test_empty_week_posts_a_short_notice_or_nothing() -> None:
    empty = digest(activity([]))
    assert empty.empty
    [notice] = render_digest(empty)
    [embed] = notice.embeds
    assert embed.description == (
        "🗞️ Pas de débat cette semaine (du 23 nov. 2026 au 30 nov. 2026). Rendez-vous la semaine prochaine !"
    )
    assert embed.footer is not None and empty.week in embed.footer and not notice.attach_chart
    assert render_digest(digest(activity([]), "en"))[0].embeds[0].description.startswith("🗞️ No debate this week")
    assert render_digest(digest(activity([]), empty_notice=False)) == []
    assert chart_png(empty) is None
    assert empty.totals_json()["polls"] == 0


def test_opinions_without_polls_are_not_an_empty_week() -> None:
    built = digest(activity([], opinions=2))
    assert not built.empty
    assert "_Aucun sondage cette semaine._" in header_lines(render_digest(built))


# --- Discord limits ---------------------------------------------------------------------------------------


def heavy_poll(poll_id: int) -> PollActivity:
    options = tuple(PollOption(i, f"{poll_id:02d}-{i} " + "réponse longue " * 3 + "x" * 5, None) for i in range(10))
    assert all(len(o.label) <= 55 for o in options)
    question = f"Q{poll_id:02d} " + "une question très détaillée " * 10
    return poll(poll_id, {i: i + poll_id for i in range(10)}, article_id=poll_id, options=options, question=question)


def test_forty_polls_split_over_messages_within_every_limit_without_cutting_a_poll() -> None:
    long_opinion = "Un avis qui développe longuement son propos " * 30
    top = {
        p: (opinion(2 * p, p, 1000 + p, long_opinion, 5, 1), opinion(2 * p + 1, p, 2000 + p, long_opinion, 3, 2))
        for p in range(1, 41)
    }
    names = {member: "N" * 32 for member in range(1000, 2100)}
    built = digest(activity([heavy_poll(p) for p in range(1, 41)], votes=5000, opinions=80, top=top), names=names)
    messages = render_digest(built)

    assert len(messages) > 1
    for message in messages:
        assert 1 <= len(message.embeds) <= MAX_EMBEDS_PER_MESSAGE
        assert message.size() <= MAX_TOTAL_CHARS
        for embed in message.embeds:
            assert embed.problems() == []
    # Every poll is whole in exactly one embed, in ranking order; the header comes first.
    embeds = all_embeds(messages)
    assert embeds[0].title == "🗞️ Bilan de la semaine"
    polls = embeds[1:]
    assert [e.url for e in polls] == [s.url for s in built.sections]
    for embed, section in zip(polls, built.sections, strict=True):
        body = embed.description or ""
        assert embed.title and len(embed.title) <= 256 and embed.title.endswith("…")
        assert body.startswith(f"**{section.question}**")  # the full question when the title had to be cut
        assert all(f"**{answer.label}**" in body for answer in section.tally.answers)
        assert body.count("👍") == 2
        quotes = re.findall(r"«\s(.*?)\s»", body)
        assert len(quotes) == 2 and all(len(q) <= QUOTE_LIMIT for q in quotes)
    # Pages are numbered on the last embed of each message.
    footers = [m.embeds[-1].footer for m in messages]
    assert footers == [f"Bilan 2026-W49 · {i}/{len(messages)}" for i in range(1, len(messages) + 1)]
    assert messages[0].attach_chart and messages[0].embeds[0].image_url == f"attachment://{CHART_FILENAME}"
    assert "_Graphique : les 10 sondages les plus suivis._" in header_lines(messages)


def test_a_poll_too_long_for_one_embed_gets_shorter_quotes_and_keeps_its_results_whole() -> None:
    # Labels beyond the store's 55 characters force the fallback: the results must survive whole.
    options = tuple(PollOption(i, f"Réponse {i} " + "très longue " * 24, None) for i in range(10))
    top = {1: (opinion(1, 1, 10, "Un avis bien trop long " * 40, 5, 1), opinion(2, 1, 20, "Autre avis " * 60, 3, 2))}
    per_option = {0: 5} | {i: 1 for i in range(1, 10)}
    built = digest(activity([poll(1, per_option, article_id=1, options=options)], top=top))
    embed = render_digest(built)[0].embeds[1]
    body = embed.description or ""
    assert embed.problems() == []
    assert all(f"**{o.label}**" in body for o in options)
    assert "14 votants" in body and f"En tête : **{options[0].label}**" in body
    quotes = re.findall(r"«\s(.*?)\s»", body)
    assert len(quotes) == 2 and all(len(q) <= 120 for q in quotes)  # 200 did not fit: the quotes gave way


def test_embed_data_converts_to_the_discord_api_shape() -> None:
    embed = render_digest(digest(activity([poll(1, {0: 2})])))[0].embeds[1]
    data = embed.to_dict()
    assert data["title"] == "Question 1 ?" and data["url"] == f"https://discord.com/channels/{GUILD}/500/601"
    assert data["color"] == 0x5865F2 and data["type"] == "rich" and "description" in data
    assert "fields" not in data


# --- determinism and chart --------------------------------------------------------------------------------


def test_same_input_same_output() -> None:
    def make() -> list[DigestMessage]:
        top = {1: (opinion(1, 1, 10, "Un avis assez long pour être cité ici.", 1, 1),)}
        data = activity([poll(p, {0: p, 1: 2}, article_id=p) for p in range(1, 15)], votes=9, opinions=1, top=top)
        return render_digest(digest(data, before=previous(Totals(3, 4, 5, 6).to_json())))

    assert make() == make()


def test_chart_is_a_png_of_the_voted_polls_and_is_deterministic() -> None:
    built = digest(activity([poll(1, {0: 3, 1: 1}), poll(2, {}), poll(3, {0: 1})]))
    png = chart_png(built)
    assert png is not None and png.startswith(b"\x89PNG\r\n\x1a\n")
    assert chart_png(built) == png
    assert render_digest(built)[0].attach_chart


def test_a_scheduled_digest_carries_its_claim_marker_on_every_page_within_the_limits() -> None:
    long_opinion = "Un avis qui développe longuement son propos " * 30
    top = {p: (opinion(2 * p, p, 1000 + p, long_opinion, 5, 1),) for p in range(1, 41)}
    built = digest(activity([heavy_poll(p) for p in range(1, 41)], votes=5000, opinions=40, top=top))
    marker = "réf. k3f9q2zt0a"
    messages = render_digest(built, marker)
    assert len(messages) > 1
    footers = [m.embeds[-1].footer for m in messages]
    assert footers == [f"Bilan 2026-W49 · {i}/{len(messages)} · {marker}" for i in range(1, len(messages) + 1)]
    assert all(m.size() <= MAX_TOTAL_CHARS for m in messages)
    # A manual digest (no marker) of the same week names the week but never the marker.
    assert all(marker not in (m.embeds[-1].footer or "") for m in render_digest(built))
    [notice] = render_digest(digest(activity([])), marker)
    assert notice.embeds[0].footer == f"Bilan 2026-W49 · 1/1 · {marker}"


def test_chart_draws_each_answer_as_a_bar_scaled_to_its_poll() -> None:
    def bar_length(png: bytes, colour: str) -> int:
        image = Image.open(BytesIO(png)).convert("RGB")
        rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
        columns = {x for x in range(image.width) for y in range(0, image.height, 2) if image.getpixel((x, y)) == rgb}
        return len(columns)

    one = bar_chart_png([BarGroup("Q ?", [("Oui", 4), ("Non", 2)])])
    two = bar_chart_png([BarGroup("Q ?", [("Oui", 4), ("Non", 2)]), BarGroup("R ?", [("A", 1), ("B", 1), ("C", 1)])])
    assert Image.open(BytesIO(one)).width == 800
    assert Image.open(BytesIO(two)).height > Image.open(BytesIO(one)).height  # rows, not a fixed canvas
    # The second answer's bar is half the first's (scaled to the poll's longest bar, within antialiasing).
    assert abs(bar_length(one, PALETTE[1]) * 2 - bar_length(one, PALETTE[0])) <= 4
