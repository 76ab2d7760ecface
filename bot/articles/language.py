"""Language detection from stop-word ratios (French and English, the languages the bot speaks).

Stop-word lists come from the ``stop-words`` package and are loaded once at import time so that the
first analysis is as fast as the next ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from stop_words import get_stop_words

SUPPORTED_LANGUAGES: tuple[str, ...] = ("fr", "en")
DEFAULT_LANGUAGE = "fr"

# Function words that are frequent *and* distinctive: the package's English list is very long
# (it contains "affected", "act"...), so detection uses these short lists, summaries use the full ones.
_MARKERS: dict[str, frozenset[str]] = {
    "fr": frozenset(
        "le la les un une des du de et est sont dans pour par sur avec qui que qu ne pas plus au aux ce cette "
        "ces il elle ils elles nous vous leur leurs son sa ses été être avait fait mais ou où donc aussi "
        "d l c n s j entre selon depuis comme très après sans".split()
    ),
    "en": frozenset(
        "the a an and is are was were be been of to in on for with that this these those it its they "
        "their which who has have had not but or by from at as will would should can could than about "
        "into after over more what how why".split()
    ),
}

_STOP_WORDS: dict[str, frozenset[str]] = {
    lang: frozenset(word.lower() for word in get_stop_words(lang)) for lang in SUPPORTED_LANGUAGES
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def stop_words(lang: str) -> frozenset[str]:
    """Stop words for ``lang`` (French list for an unsupported language)."""
    return _STOP_WORDS.get(lang, _STOP_WORDS[DEFAULT_LANGUAGE])


def language_scores(text: str, languages: Iterable[str] = SUPPORTED_LANGUAGES) -> dict[str, float]:
    """Share of the words of ``text`` that are marker words of each language (0–1)."""
    words = [word.lower() for word in _WORD.findall(text[:20000])]
    if not words:
        return {lang: 0.0 for lang in languages}
    return {
        lang: sum(1 for word in words if word in _MARKERS.get(lang, frozenset())) / len(words) for lang in languages
    }


def detect_language(text: str, default: str = DEFAULT_LANGUAGE, hint: str | None = None) -> str:
    """Return "fr" or "en" for ``text``; ``hint`` (e.g. ``<html lang>``) breaks ties, then ``default``."""
    scores = language_scores(text)
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    best, best_score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    short_hint = (hint or "").split("-")[0].split("_")[0].lower() or None
    # Too few clues (a title, a one-liner): trust the page's declared language, then the default.
    if best_score < 0.05 or best_score - runner_up < 0.02:
        if short_hint in SUPPORTED_LANGUAGES:
            return short_hint
        return default if best_score == 0.0 else best
    return best
