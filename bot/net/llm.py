"""Optional summaries by an OpenAI-compatible chat API, always falling back to the extractive summary.

Enabled when ``TRIBUNE_LLM_URL``, ``TRIBUNE_LLM_KEY`` and ``TRIBUNE_LLM_MODEL`` are all set
(``TRIBUNE_LLM_TIMEOUT`` optional, seconds). The request is ``POST {url}/chat/completions``. Any error,
timeout or unusable answer yields the extractive summary: the LLM can only make a summary better, never
make it fail.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.articles.normalize import normalize_text, split_sentences
from bot.articles.summary import DEFAULT_MAX_CHARS, DEFAULT_MAX_SENTENCES, Summary, is_question, summarize

log = logging.getLogger(__name__)

URL_ENV = "TRIBUNE_LLM_URL"
KEY_ENV = "TRIBUNE_LLM_KEY"
MODEL_ENV = "TRIBUNE_LLM_MODEL"
TIMEOUT_ENV = "TRIBUNE_LLM_TIMEOUT"
DEFAULT_TIMEOUT = 20.0
MAX_INPUT_CHARS = 12_000

_PROMPTS = {
    "fr": (
        "Tu résumes des articles d'actualité technologique pour une communauté Discord francophone. "
        "Réponds uniquement par le résumé, en français : au plus {sentences} phrases complètes et "
        "factuelles, {chars} caractères au total au plus, sans question, sans opinion, sans liste ni titre."
    ),
    "en": (
        "You summarise technology news articles for a Discord community. Answer with the summary only, "
        "in English: at most {sentences} complete, factual sentences and {chars} characters in total, "
        "no question, no opinion, no list and no heading."
    ),
}
_USER = {"fr": "Titre : {title}\n\nArticle :\n{text}", "en": "Title: {title}\n\nArticle:\n{text}"}
_LIST_MARKER = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+", re.MULTILINE)
_PREAMBLE = re.compile(r"^(?:résumé|summary)\s*:\s*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class LLMConfig:
    """Connection settings of the OpenAI-compatible endpoint."""

    url: str
    key: str | None
    model: str
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LLMConfig | None:
        """Settings from the environment, or None unless URL, key and model are all set."""
        environ = os.environ if env is None else env
        url, key, model = (environ.get(name, "").strip() for name in (URL_ENV, KEY_ENV, MODEL_ENV))
        if not (url and key and model):
            return None
        try:
            timeout = float(environ.get(TIMEOUT_ENV, "") or DEFAULT_TIMEOUT)
        except ValueError:
            timeout = DEFAULT_TIMEOUT
        return cls(url=url, key=key, model=model, timeout=timeout)

    @property
    def endpoint(self) -> str:
        """Full chat-completions URL."""
        return self.url.rstrip("/") + "/chat/completions"


def _fit(content: str, language: str, max_sentences: int, max_chars: int) -> list[str]:
    """Sentences of the model's answer that respect the summary rules (no question, budget)."""
    content = _PREAMBLE.sub("", _LIST_MARKER.sub("", content.strip().strip('"“”«» ')))
    sentences: list[str] = []
    total = 0
    for sentence in split_sentences(normalize_text(content, language)):
        if is_question(sentence):
            continue
        extra = len(sentence) + (1 if sentences else 0)
        if total + extra > max_chars or len(sentences) >= max_sentences:
            break
        sentences.append(sentence)
        total += extra
    return sentences


class LLMSummarizer:
    """Summarises with the configured model; returns the extractive summary whenever that fails."""

    def __init__(
        self,
        config: LLMConfig | None,
        *,
        max_sentences: int = DEFAULT_MAX_SENTENCES,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        self.config = config
        self.max_sentences = max_sentences
        self.max_chars = max_chars

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LLMSummarizer:
        """Summarizer configured from ``TRIBUNE_LLM_*`` (disabled when they are not set)."""
        return cls(LLMConfig.from_env(env))

    @property
    def enabled(self) -> bool:
        """Whether a model is configured."""
        return self.config is not None

    async def summarize(
        self,
        text: str,
        *,
        language: str,
        title: str | None = None,
        fallback: Summary | None = None,
    ) -> Summary:
        """Model summary of ``text`` (normalised or not), or ``fallback`` / the extractive summary."""
        if fallback is None:
            fallback = summarize(
                text, language=language, title=title, max_sentences=self.max_sentences, max_chars=self.max_chars
            )
        if self.config is None:
            return fallback
        try:
            async with asyncio.timeout(self.config.timeout):
                content = await self._complete(self.config, text, language, title)
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError, KeyError, IndexError, TypeError) as exc:
            log.warning("LLM summary failed (%s: %s), using the extractive summary", type(exc).__name__, exc)
            return fallback
        sentences = _fit(content, language, self.max_sentences, self.max_chars)
        if not sentences:
            log.warning("LLM summary unusable, using the extractive summary")
            return fallback
        return Summary(sentences, language, method="llm")

    async def _complete(self, config: LLMConfig, text: str, language: str, title: str | None) -> str:
        lang = language if language in _PROMPTS else "fr"
        payload: dict[str, Any] = {
            "model": config.model,
            "temperature": 0.2,
            "max_tokens": 400,
            "messages": [
                {
                    "role": "system",
                    "content": _PROMPTS[lang].format(sentences=self.max_sentences, chars=self.max_chars),
                },
                {"role": "user", "content": _USER[lang].format(title=title or "-", text=text[:MAX_INPUT_CHARS])},
            ],
        }
        headers = {"Authorization": f"Bearer {config.key}", "Content-Type": "application/json"}
        timeout = aiohttp.ClientTimeout(total=config.timeout)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(config.endpoint, data=json.dumps(payload), headers=headers) as response,
        ):
            if response.status != 200:
                raise ValueError(f"HTTP {response.status}")
            data = await response.json(content_type=None)
        content = data["choices"][0]["message"]["content"]
        if not isinstance(content, str):
            raise TypeError("content is not a string")
        return content
