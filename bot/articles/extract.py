"""Article extraction: HTML pages (trafilatura), plain text and Markdown files.

Only the article body ends up in :attr:`Article.text` (navigation, sidebars, cookie banners and reader
comments are left out); paragraphs are separated by a blank line. The text is *not* normalised here:
:func:`bot.articles.pipeline.analyse` does it, so the stored article stays close to its source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, cast

from .encoding import decode_bytes, is_mostly_text
from .errors import ExtractError
from .language import detect_language
from .normalize import strip_for_compare

TEXT_SUFFIXES = frozenset({".txt", ".text"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
MAX_TITLE_CHARS = 300
MIN_HTML_WORDS = 15

_HTML_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})", re.IGNORECASE)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(slots=True)
class Article:
    """An article ready for analysis. ``date`` is an ISO date (``YYYY-MM-DD``) or None."""

    title: str | None
    text: str
    url: str | None = None
    author: str | None = None
    date: str | None = None
    site_name: str | None = None
    description: str | None = None
    image: str | None = None
    language: str | None = None


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = re.sub(r"\s+", " ", value.replace("\u00a0", " ")).strip()
    return value or None


def _same_line(line: str, title: str) -> bool:
    return strip_for_compare(line).rstrip(" .") == strip_for_compare(title).rstrip(" .")


def _paragraphs_text(paragraphs: list[str]) -> str:
    return "\n\n".join(p for p in (p.strip() for p in paragraphs) if p)


# --------------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------------


def extract_html(html: str, url: str | None = None) -> Article:
    """Extract the article of an HTML page with trafilatura (metadata included).

    Raises :class:`ExtractError` ``extract.empty`` when no article text is found.
    """
    # Imported lazily: trafilatura (and lxml, dateparser…) take a noticeable time to import.
    from trafilatura import bare_extraction

    document = bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        include_formatting=False,
        deduplicate=False,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    data: dict[str, Any] = {}
    if document is not None:
        as_dict = getattr(document, "as_dict", None)  # a Document in trafilatura 2, a plain dict before
        data = cast("dict[str, Any]", as_dict() if callable(as_dict) else document)
    text = data.get("text") or ""
    if not text.strip():
        raise ExtractError("extract.empty")
    title = _clean(data.get("title"))
    paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
    # trafilatura sometimes keeps the <h1> as the first line: the headline is already in ``title``.
    if title and paragraphs and _same_line(paragraphs[0], title):
        paragraphs = paragraphs[1:]
    body = _paragraphs_text(paragraphs)
    if len(body.split()) < MIN_HTML_WORDS:
        # A menu or a consent wall, not an article.
        raise ExtractError("extract.empty")
    date = _clean(data.get("date"))
    if date and not _ISO_DATE.fullmatch(date):
        date = date[:10] if _ISO_DATE.match(date) else None
    lang_match = _HTML_LANG.search(html[:5000])
    hint = lang_match.group(1).lower() if lang_match else _clean(data.get("language"))
    return Article(
        title=title,
        text=body,
        url=_clean(data.get("url")) if url is None else url,
        author=_clean(data.get("author")),
        date=date,
        site_name=_clean(data.get("sitename")),
        description=_clean(data.get("description")),
        image=_clean(data.get("image")),
        language=detect_language(f"{title or ''}\n{body}", hint=hint),
    )


# --------------------------------------------------------------------------------------------------
# Plain text and Markdown
# --------------------------------------------------------------------------------------------------


def _split_title(text: str) -> tuple[str | None, str]:
    """First line is the title when a blank line follows it and it does not read like a sentence."""
    lines = text.split("\n")
    first = lines[0].strip() if lines else ""
    if (
        len(lines) >= 3
        and first
        and not lines[1].strip()
        and len(first) <= MAX_TITLE_CHARS
        and (not first.endswith((".", ":", ";", ",")) or first.endswith(("...", "…")))
    ):
        # A title cut short by the site ("… et reviendra...") is still the title.
        return first, "\n".join(lines[2:])
    return None, text


def extract_text(text: str, *, url: str | None = None, title: str | None = None) -> Article:
    """Article from plain text (``.txt``): "title line, blank line, body", or just a body."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").strip("\n")
    found_title, body = _split_title(text)
    body = body.strip()
    if not body:
        raise ExtractError("extract.empty")
    final_title = _clean(title) or _clean(found_title)
    return Article(
        title=final_title,
        text=body,
        url=url,
        language=detect_language(f"{final_title or ''}\n{body}"),
    )


_MD_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)
_MD_FENCE = re.compile(r"^(```|~~~)")
_MD_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_SETEXT = re.compile(r"^(=+|-+)\s*$")
_MD_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_MD_REF_DEF = re.compile(r"^\s*\[[^\]]+\]:\s+\S+.*$")
_MD_CODE = re.compile(r"`([^`]+)`")
_MD_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_EMPHASIS_STAR = re.compile(r"(?<![\w*])\*(?=\S)([^*]+?)(?<=\S)\*(?![\w*])")
# Underscores only when they cannot be part of an identifier such as sched_ext.
_MD_EMPHASIS_UNDERSCORE = re.compile(r"(?<![\w_])_(?=\S)([^_]+?)(?<=\S)_(?![\w_])")
_MD_STRIKE = re.compile(r"~~(.+?)~~")
_MD_QUOTE = re.compile(r"^\s{0,3}>\s?")
_MD_BULLET = re.compile(r"^\s*[-*+]\s+")
_MD_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_MD_TITLE_KEY = re.compile(r"^title:\s*[\"']?(.*?)[\"']?\s*$", re.MULTILINE)


def _md_inline(line: str) -> str:
    line = _MD_IMAGE.sub("", line)
    line = _MD_LINK.sub(r"\1", line)
    line = _MD_REF_LINK.sub(r"\1", line)
    line = _MD_CODE.sub(r"\1", line)
    line = _MD_STRONG.sub(r"\2", line)
    line = _MD_EMPHASIS_STAR.sub(r"\1", line)
    line = _MD_EMPHASIS_UNDERSCORE.sub(r"\1", line)
    line = _MD_STRIKE.sub(r"\1", line)
    return _MD_HTML_TAG.sub("", line)


def markdown_to_text(markdown: str) -> tuple[str | None, str]:
    """Strip Markdown syntax; return ``(title, text)`` where title is the leading ``#`` heading."""
    source = markdown.replace("\r\n", "\n").lstrip("\ufeff")
    title: str | None = None
    front = _MD_FRONT_MATTER.match(source)
    if front:
        key = _MD_TITLE_KEY.search(front.group(1))
        title = _clean(key.group(1)) if key else None
        source = source[front.end() :]
    out: list[str] = []
    in_fence = False
    seen_content = False
    skip_underline = False
    lines = source.split("\n")
    for index, raw in enumerate(lines):
        if skip_underline:
            skip_underline = False
            continue
        if _MD_FENCE.match(raw.strip()):
            in_fence = not in_fence
            out.append("")
            continue
        if in_fence:
            out.append(raw)
            continue
        if _MD_REF_DEF.match(raw) or _MD_RULE.match(raw):
            out.append("")
            continue
        heading = _MD_ATX.match(raw.strip())
        following = lines[index + 1] if index + 1 < len(lines) else ""
        setext = bool(raw.strip()) and bool(_MD_SETEXT.match(following.strip())) and not _MD_RULE.match(raw)
        if heading or setext:
            text = _md_inline(heading.group(2) if heading else raw.strip())
            if not seen_content and title is None:
                title = _clean(text)
            else:
                out.extend(["", text, ""])
            seen_content = True
            skip_underline = setext
            continue
        line = _MD_QUOTE.sub("", raw)
        line = _MD_BULLET.sub("- ", line)
        line = _md_inline(line)
        if line.strip():
            seen_content = True
        out.append(line.rstrip())
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()
    return title, text


def extract_markdown(markdown: str, *, url: str | None = None) -> Article:
    """Article from a Markdown document: headers, emphasis, links and code markers removed."""
    title, body = markdown_to_text(markdown)
    if title is None:
        title, body = _split_title(body)
    body = body.strip()
    if not body:
        raise ExtractError("extract.empty")
    return Article(title=_clean(title), text=body, url=url, language=detect_language(f"{title or ''}\n{body}"))


def extract_file(filename: str, data: bytes | str, *, url: str | None = None) -> Article:
    """Article from an uploaded ``.txt``, ``.md`` or ``.html`` file (bytes decoded like web pages).

    Raises :class:`ExtractError` ``extract.unsupported_file`` for another extension, ``extract.not_text``
    when the content is binary rather than text.
    """
    suffix = PurePath(filename).suffix.lower()
    if suffix not in TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES:
        raise ExtractError("extract.unsupported_file", {"name": PurePath(filename).name[:100]})
    text = data if isinstance(data, str) else decode_bytes(data)[0]
    if not is_mostly_text(text):
        raise ExtractError("extract.not_text", {"name": PurePath(filename).name[:100]})
    if suffix in HTML_SUFFIXES:
        return extract_html(text, url=url)
    if suffix in MARKDOWN_SUFFIXES:
        return extract_markdown(text, url=url)
    return extract_text(text, url=url)
