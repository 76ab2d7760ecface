"""Analysis of an extracted article: normalised text, summary, keywords, reader questions, hash."""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass, replace
from typing import Protocol

from .extract import Article
from .language import detect_language
from .normalize import normalize_text
from .questions import ReaderQuestions, reader_questions
from .summary import DEFAULT_MAX_CHARS, DEFAULT_MAX_SENTENCES, Summary, extract_keywords, summarize


class Summarizer(Protocol):
    """A summarizer besides the extractive one (the shell's LLM client, `bot.net.llm.LLMSummarizer`)."""

    @property
    def enabled(self) -> bool: ...

    async def summarize(
        self, text: str, *, language: str, title: str | None = None, fallback: Summary | None = None
    ) -> Summary: ...

_WORDS = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything the bot needs to post an article. ``text`` is the normalised article text."""

    article: Article
    text: str
    summary: Summary
    keywords: list[str]
    questions: ReaderQuestions
    language: str
    content_hash: str


def content_hash(text: str, language: str | None = None) -> str:
    """SHA-256 of the normalised text, reduced to its lower-cased words.

    Spacing, punctuation and case do not count, so the same article scraped twice (or posted as HTML
    then as text) gets the same hash: used to refuse duplicates.
    """
    normalized = normalize_text(text, language or detect_language(text))
    canonical = " ".join(_WORDS.findall(normalized.casefold()))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _language(article: Article) -> str:
    return article.language or detect_language(f"{article.title or ''}\n{article.text}")


def analyse(
    article: Article, *, max_sentences: int = DEFAULT_MAX_SENTENCES, max_chars: int = DEFAULT_MAX_CHARS
) -> Analysis:
    """Analyse ``article`` with the extractive summarizer (synchronous, offline, fast)."""
    language = _language(article)
    text = normalize_text(article.text, language)
    questions = reader_questions(text, language, normalized=True)
    summary = summarize(
        text,
        language=language,
        title=article.title,
        max_sentences=max_sentences,
        max_chars=max_chars,
        exclude=[q.text for q in questions.questions],
        normalized=True,
    )
    keywords = extract_keywords(text, language=language, title=article.title, normalized=True)
    canonical = " ".join(_WORDS.findall(text.casefold()))
    return Analysis(
        article=article,
        text=text,
        summary=summary,
        keywords=keywords,
        questions=questions,
        language=language,
        content_hash=hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
    )


async def analyse_async(article: Article, summarizer: Summarizer | None = None) -> Analysis:
    """Like :func:`analyse`, with the LLM summary when ``summarizer`` is configured (falls back).

    The analysis is CPU work (tens of ms for a long article): it runs in a worker thread so the event
    loop keeps answering clicks meanwhile.
    """
    analysis = await asyncio.to_thread(analyse, article)
    if summarizer is None or not summarizer.enabled:
        return analysis
    summary = await summarizer.summarize(
        analysis.text, language=analysis.language, title=article.title, fallback=analysis.summary
    )
    return replace(analysis, summary=summary)
