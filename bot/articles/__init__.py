"""Article understanding: extraction, feeds, normalisation, summary, reader questions (fetching: `bot.net`).

Plain Python, no Discord dependency. Submodules are imported lazily so that importing one piece
(e.g. the summarizer) does not pay for trafilatura::

    from bot.articles import extract_html, analyse
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS: dict[str, str] = {
    # errors
    "ArticleError": "errors",
    "FetchError": "errors",
    "ExtractError": "errors",
    "FeedError": "errors",
    "PollInputError": "errors",
    # ingestion
    "Article": "extract",
    "extract_html": "extract",
    "extract_text": "extract",
    "extract_markdown": "extract",
    "extract_file": "extract",
    "Feed": "feeds",
    "FeedEntry": "feeds",
    "parse_feed": "feeds",
    # understanding
    "normalize_text": "normalize",
    "split_sentences": "normalize",
    "detect_language": "language",
    "Summary": "summary",
    "summarize": "summary",
    "extract_keywords": "summary",
    "Question": "questions",
    "PollSpec": "questions",
    "ReaderQuestions": "questions",
    "reader_questions": "questions",
    "parse_answers": "questions",
    "yes_no_scale": "questions",
    "Analysis": "pipeline",
    "analyse": "pipeline",
    "analyse_async": "pipeline",
    "content_hash": "pipeline",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
