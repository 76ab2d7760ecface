"""Message catalogs: every string a member or moderator sees comes from here, French first.

One JSON file per language in `locales/` maps a dotted key to a template with `{named}` placeholders.
Translators edit those files only; `tests/domain/test_i18n.py` fails when a key or placeholder differs.
"""

from __future__ import annotations

import json
import logging
import string
from functools import cache
from importlib import resources
from typing import Any

from bot.text import QUOTED_MAX, fit

log = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "fr"
LANGUAGES = ("fr", "en")


@cache
def catalog(language: str) -> dict[str, str]:
    """The whole catalog of one language (loaded once)."""
    text = resources.files("bot.i18n").joinpath("locales", f"{language}.json").read_text(encoding="utf-8")
    return json.loads(text)


def language_of(locale: str | None) -> str:
    """Tribune's language for a Discord locale: French for any `fr*`, English otherwise."""
    if locale and str(locale).lower().startswith("fr"):
        return "fr"
    return "en" if locale else DEFAULT_LANGUAGE


def placeholders(template: str) -> set[str]:
    """The `{names}` a template expects."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def plural_key(key: str, count: float, language: str) -> str:
    """`key.one` or `key.other`: French treats 0 and 1 as singular, English only 1."""
    singular = count in (0, 1) if language == "fr" else count == 1
    return f"{key}.{'one' if singular else 'other'}"


def tn(key: str, count: float, language: str = DEFAULT_LANGUAGE, /, **params: Any) -> str:
    """Like `t`, choosing between `key.one` and `key.other` from `count`."""
    return t(plural_key(key, count, language), language, count=count, **params)


def t(key: str, language: str = DEFAULT_LANGUAGE, /, **params: Any) -> str:
    """The message `key` in `language`, with its placeholders filled from `params` (text ones shortened).

    A key missing from a language falls back to French, then to the key itself, so a member never sees
    a crash because of a translation; the catalog test keeps that from happening in a release.
    """
    lang = language if language in LANGUAGES else DEFAULT_LANGUAGE
    template = catalog(lang).get(key) or catalog(DEFAULT_LANGUAGE).get(key)
    if template is None:
        log.error("Missing message key %r", key)
        return key
    # Placeholders often quote what a member typed: bounded, so a 5,000-character answer cannot make the
    # refusal itself too long for Discord.
    bounded = {name: fit(value, QUOTED_MAX) if isinstance(value, str) else value for name, value in params.items()}
    try:
        return template.format(**bounded)
    except (KeyError, IndexError, ValueError):
        log.exception("Message %r in %s could not be filled with %s", key, lang, sorted(params))
        return template
