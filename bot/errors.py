"""The one exception type whose message is meant for the member who triggered it."""

from __future__ import annotations

from typing import Any

from bot.i18n import t


class UserFacingError(Exception):
    """An expected refusal (bad input, missing right…) carrying a catalog key and its parameters.

    The tree error handler renders it in the member's language; nothing else needs to catch it.
    """

    def __init__(self, key: str, /, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def render(self, language: str) -> str:
        return t(self.key, language, **self.params)
