"""Errors of the articles domain.

Every refusal carries a message *key* and its parameters instead of a sentence: the i18n layer
(``bot.i18n``) renders it in the reader's language from the catalogs in ``bot/i18n/locales/``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.errors import UserFacingError


class ArticleError(UserFacingError):
    """Base error: ``key`` names the message template, ``params`` fills its placeholders."""

    def __init__(self, key: str, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(key, **dict(params or {}))

    def __str__(self) -> str:
        if not self.params:
            return self.key
        details = ", ".join(f"{name}={value!r}" for name, value in self.params.items())
        return f"{self.key} ({details})"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(key={self.key!r}, params={self.params!r})"


class FetchError(ArticleError):
    """A URL could not (or must not) be fetched."""


class ExtractError(ArticleError):
    """No article could be extracted from a document."""


class FeedError(ArticleError):
    """A document is not a usable RSS/Atom feed."""


class PollInputError(ArticleError):
    """Poll answers or question typed by someone are invalid."""
