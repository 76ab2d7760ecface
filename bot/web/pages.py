"""Public results as JSON and as HTML with a server-rendered SVG chart. Plain Python, no I/O.

Everything here takes values and returns text; escaping happens here, once, for every value that came
from a member or a moderator.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import t, tn
from bot.i18n.formatting import format_date, format_number, format_percent
from bot.polls.tally import Tally

CHART_WIDTH = 560
ROW_HEIGHT = 44
BAR_HEIGHT = 14
BAR_COLOUR = "#5865f2"
TRACK_COLOUR = "#e3e5e8"

# The only style on every page: its hash goes into the CSP, so no other inline style or script can run.
STYLE = (
    "body{font-family:system-ui,sans-serif;margin:0;padding:1rem;color:#1f2328;background:#fff;max-width:40rem}"
    "h1{font-size:1.25rem;margin:0 0 .5rem}h2{font-size:1.05rem;margin:1.25rem 0 .5rem}"
    ".meta{color:#57606a;font-size:.875rem;margin:.25rem 0}"
    "table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}"
    "td,th{padding:.15rem .6rem .15rem 0;text-align:left}td.n{text-align:right}"
    "blockquote{margin:.5rem 0;padding:.25rem .75rem;border-left:3px solid #5865f2}"
    "footer{margin-top:1.5rem;color:#57606a;font-size:.8rem}svg{max-width:100%;height:auto}"
)
STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()


@dataclass(frozen=True)
class PublicPoll:
    """What the web may show of one published poll (no member id, no Discord id, no name)."""

    public_id: str
    question: str
    kind: str
    multiple: bool
    status: str  # 'open' | 'closed'
    deadline: datetime
    closed_at: datetime | None
    updated_at: datetime
    tally: Tally | None  # None when the poll's visibility rule hides the counts


@dataclass(frozen=True)
class PublicOpinion:
    text: str
    useful: int


@dataclass(frozen=True)
class PublicArticle:
    public_id: str
    title: str
    url: str | None
    site_name: str | None
    polls: tuple[PublicPoll, ...]
    opinions: tuple[PublicOpinion, ...] | None  # None: the server does not publish opinions


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def poll_json(poll: PublicPoll, urls: dict[str, str] | None = None) -> dict[str, Any]:
    """The JSON document of `GET /p/{id}.json`."""
    tally = poll.tally
    answers = None
    if tally is not None:
        answers = [
            {"label": a.label, "count": a.count, "percent": round(a.percent, 2), "score": a.score}
            for a in tally.answers
        ]
    return {
        "id": poll.public_id,
        "question": poll.question,
        "kind": poll.kind,
        "multiple": poll.multiple,
        "status": poll.status,
        "deadline": iso(poll.deadline),
        "closed_at": iso(poll.closed_at),
        "updated_at": iso(poll.updated_at),
        "results_visible": tally is not None,
        "answers": answers,
        "voters": tally.voters if tally is not None else None,
        "score": round(tally.mean_score, 2) if tally is not None and tally.mean_score is not None else None,
        "links": urls or {},
    }


def format_moment(moment: datetime, language: str, timezone: str) -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    return t("web.moment", language, date=format_date(local, language), time=local.strftime("%H:%M"))


def results_svg(tally: Tally, language: str, title: str) -> str:
    """A horizontal bar chart, one row per answer, sized by share of voters."""
    height = ROW_HEIGHT * max(1, len(tally.answers)) + 4
    rows = []
    for index, answer in enumerate(tally.answers):
        top = index * ROW_HEIGHT
        width = round(CHART_WIDTH * max(0.0, min(answer.percent, 100.0)) / 100.0)
        figures = f"{format_number(answer.count, language)} · {format_percent(answer.percent, language)}"
        rows.append(
            f'<text x="0" y="{top + 16}" font-size="14" fill="#1f2328">{escape(answer.label)}</text>'
            f'<text x="{CHART_WIDTH}" y="{top + 16}" font-size="14" fill="#57606a" text-anchor="end">'
            f"{escape(figures)}</text>"
            f'<rect x="0" y="{top + 22}" width="{CHART_WIDTH}" height="{BAR_HEIGHT}" rx="3" fill="{TRACK_COLOUR}"/>'
            f'<rect x="0" y="{top + 22}" width="{width}" height="{BAR_HEIGHT}" rx="3" fill="{BAR_COLOUR}"'
            f' data-answer="{index}"/>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {CHART_WIDTH} {height}" width="{CHART_WIDTH}" '
        f'height="{height}" role="img" aria-label="{escape(title)}" font-family="system-ui,sans-serif">'
        + "".join(rows)
        + "</svg>"
    )


def poll_section(poll: PublicPoll, language: str, timezone: str, heading: str = "h1") -> str:
    """The question, the chart, the same figures as a table (readable without images), status and times."""
    parts = [f"<{heading}>{escape(poll.question)}</{heading}>"]
    status_key = "web.status_open" if poll.status == "open" else "web.status_closed"
    when = poll.deadline if poll.status == "open" else (poll.closed_at or poll.deadline)
    moment = format_moment(when, language, timezone)
    parts.append(
        f'<p class="meta" data-status="{escape(poll.status)}"><time datetime="{iso(when)}">'
        f"{escape(t(status_key, language, moment=moment))}</time></p>"
    )
    tally = poll.tally
    if tally is None:
        parts.append(f"<p>{escape(t('web.results_hidden', language))}</p>")
        return "".join(parts)
    parts.append(results_svg(tally, language, poll.question))
    rows = "".join(
        f'<tr data-answer="{a.position}"><td>{escape(a.label)}</td>'
        f'<td class="n" data-count="{a.count}">{escape(format_number(a.count, language))}</td>'
        f'<td class="n">{escape(format_percent(a.percent, language))}</td></tr>'
        for a in tally.answers
    )
    parts.append(
        f"<table><thead><tr><th>{escape(t('web.answer', language))}</th><th>{escape(t('web.votes', language))}</th>"
        f"<th>%</th></tr></thead><tbody>{rows}</tbody></table>"
    )
    voters = tn("tally.voters", tally.voters, language, voters=format_number(tally.voters, language))
    parts.append(f'<p class="meta" data-voters="{tally.voters}">{escape(voters)}')
    if tally.mean_score is not None:
        score = t("web.score", language, score=format_number(tally.mean_score, language, 1))
        parts.append(f' · <span data-score="{tally.mean_score:.2f}">{escape(score)}</span>')
    parts.append("</p>")
    updated = t("web.updated", language, moment=format_moment(poll.updated_at, language, timezone))
    parts.append(f'<p class="meta"><time datetime="{iso(poll.updated_at)}">{escape(updated)}</time></p>')
    return "".join(parts)


def document(title: str, body: str, language: str, *, refresh_seconds: int | None, chrome: bool) -> str:
    """A whole page; `chrome=False` drops header and footer for iframes."""
    refresh = f'<meta http-equiv="refresh" content="{refresh_seconds:d}">' if refresh_seconds else ""
    footer = f"<footer>{escape(t('web.footer', language))}</footer>" if chrome else ""
    return (
        f'<!doctype html><html lang="{escape(language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<meta name="referrer" content="no-referrer">{refresh}<title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>{body}{footer}</body></html>"
    )


def poll_page(
    poll: PublicPoll, language: str, timezone: str, *, refresh_seconds: int | None, chrome: bool = True
) -> str:
    """`GET /p/{id}` (chrome) and `GET /p/{id}/embed` (no chrome); refreshes itself while the poll is open."""
    refresh = refresh_seconds if poll.status == "open" else None
    return document(
        poll.question,
        f"<main>{poll_section(poll, language, timezone)}</main>",
        language,
        refresh_seconds=refresh,
        chrome=chrome,
    )


def article_page(article: PublicArticle, language: str, timezone: str, *, refresh_seconds: int | None) -> str:
    """`GET /a/{id}`: the article's published polls and, when the server allows, its most useful opinions."""
    parts = [f"<h1>{escape(article.title)}</h1>"]
    if article.url:
        source = article.site_name or article.url
        parts.append(
            f'<p class="meta"><a href="{escape(article.url)}" rel="noopener noreferrer">{escape(source)}</a></p>'
        )
    parts.extend(f"<section>{poll_section(p, language, timezone, 'h2')}</section>" for p in article.polls)
    if article.opinions is not None:
        parts.append(f"<h2>{escape(t('web.opinions', language))}</h2>")
        if not article.opinions:
            parts.append(f"<p>{escape(t('web.no_opinions', language))}</p>")
        for opinion in article.opinions:
            useful = tn("web.useful", opinion.useful, language, members=format_number(opinion.useful, language))
            parts.append(
                f"<blockquote data-opinion><p>{escape(opinion.text)}</p>"
                f'<p class="meta">{escape(useful)}</p></blockquote>'
            )
    refresh = refresh_seconds if any(p.status == "open" for p in article.polls) else None
    return document(article.title, f"<main>{''.join(parts)}</main>", language, refresh_seconds=refresh, chrome=True)


def not_found_page(language: str) -> str:
    """One answer for "never existed" and "not published"."""
    message = escape(t("web.not_found", language))
    return document(message, f"<main><h1>{message}</h1></main>", language, refresh_seconds=None, chrome=True)


def iframe_snippet(embed_url: str, title: str, rows: int) -> str:
    """The `<iframe>` an editor pastes under the article (height fits the chart)."""
    height = 200 + ROW_HEIGHT * rows + 28 * rows
    return (
        f'<iframe src="{escape(embed_url)}" title="{escape(title)}" width="100%" height="{height}" '
        'style="border:0" loading="lazy" referrerpolicy="no-referrer"></iframe>'
    )


def origins_of(text: str) -> Sequence[str]:
    """Parse a comma/space separated allow-list of origins (`https://site.fr`); invalid ones are refused."""
    found = []
    for part in text.replace(",", " ").split():
        origin = part.strip().rstrip("/")
        scheme, sep, host = origin.partition("://")
        if scheme not in ("http", "https") or not sep or not host or "/" in host or any(c in host for c in "'\";<> "):
            raise ValueError(origin)
        found.append(f"{scheme}://{host.lower()}")
    return tuple(dict.fromkeys(found))
