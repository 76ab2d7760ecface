"""RSS/Atom parsing of an already fetched document (a pure function: the polling loop lives elsewhere).

feedparser is only ever given the document itself, wrapped in a stream: handed a string that looks like
a URL or a path, it would fetch or open it on its own, bypassing the SSRF-safe fetcher.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
from calendar import timegm
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser

from .errors import FeedError

_TAG = re.compile(r"<[^>]+>")
# Bozo reasons that do not make a feed unreadable (a wrong charset label, a text/plain content type).
_HARMLESS = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
_BLOCK_TAG = re.compile(r"</?(?:p|div|br|li|ul|ol|h[1-6]|blockquote|tr)\b[^>]*>", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One feed item. ``guid`` is the entry id, else its link, else a hash of its title."""

    guid: str
    title: str
    link: str | None
    published: datetime | None  # timezone-aware, UTC
    summary: str
    author: str | None = None
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Feed:
    """A parsed feed: channel metadata and entries in document order."""

    title: str | None
    link: str | None
    language: str | None
    entries: list[FeedEntry]


def html_to_text(fragment: str) -> str:
    """Plain text of a small HTML fragment (feed summaries): tags dropped, entities decoded."""
    text = _BLOCK_TAG.sub("\n", fragment)
    text = html.unescape(_TAG.sub("", text)).replace("\u00a0", " ")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def _to_utc(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        # feedparser's *_parsed values are struct_time already converted to UTC.
        return datetime.fromtimestamp(timegm(value), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _entry(raw: Any) -> FeedEntry:
    title = html_to_text(raw.get("title", "") or "")
    link = (raw.get("link") or "").strip() or None
    guid = (raw.get("id") or raw.get("guid") or "").strip() or link
    if not guid:
        guid = "sha1:" + hashlib.sha1(title.encode("utf-8"), usedforsecurity=False).hexdigest()
    published = _to_utc(raw.get("published_parsed")) or _to_utc(raw.get("updated_parsed"))
    summary_html = raw.get("summary") or raw.get("description") or ""
    author = (raw.get("author") or "").strip() or None
    tags = [tag.get("term", "").strip() for tag in raw.get("tags", []) or [] if tag.get("term")]
    return FeedEntry(
        guid=guid,
        title=title,
        link=link,
        published=published,
        summary=html_to_text(summary_html),
        author=author,
        tags=tags,
    )


def parse_feed(document: str | bytes, *, base_url: str | None = None) -> Feed:
    """Parse an RSS 2.0 / RSS 1.0 / Atom document (text or bytes as received).

    ``base_url`` resolves relative links. Raises :class:`FeedError` ``feed.invalid`` when the document
    is not a feed.
    """
    if isinstance(document, str):
        payload = document.encode("utf-8")
        content_type = "application/xml; charset=utf-8"
    else:
        payload = document
        content_type = "application/xml"
    headers = {"content-type": content_type}
    if base_url:
        headers["content-location"] = base_url
    parsed = feedparser.parse(io.BytesIO(payload), response_headers=headers)
    version = parsed.get("version") or ""
    if not version and not parsed.entries:
        raise FeedError("feed.invalid")
    problem = parsed.get("bozo_exception")
    readable = any(raw.get("title") or raw.get("link") for raw in parsed.entries)
    if not readable and problem is not None and not isinstance(problem, _HARMLESS):
        # feedparser's loose parser reads broken XML as an empty feed (or blank items): say what is broken.
        raise FeedError("feed.malformed", {"reason": str(problem)})
    channel = parsed.get("feed", {})
    return Feed(
        title=html_to_text(channel.get("title", "")) or None,
        link=(channel.get("link") or "").strip() or None,
        language=(channel.get("language") or "").strip() or None,
        entries=[_entry(raw) for raw in parsed.entries],
    )


def parse_feed_entries(document: str | bytes, *, base_url: str | None = None) -> list[FeedEntry]:
    """Entries of a feed document (see :func:`parse_feed`)."""
    return parse_feed(document, base_url=base_url).entries
