"""Posts that must reach Discord exactly once: the token of a claim, and the nonce and marker made from it.

A bot that dies while sending cannot know whether Discord created the message. Each claimed post therefore
gets a random token, stored with the claim before the request: Discord's `nonce` (with `enforce_nonce`)
turns a quick retry into the same message, and a marker in the message lets a restarted bot find its own post
among the channel's messages created after the claim. A look-alike (a digest a moderator posted by hand, an
older post of the same week) never carries the token.
"""

from __future__ import annotations

import re
import secrets
import string

from bot.i18n import t

TOKEN_ALPHABET = string.ascii_lowercase + string.digits
TOKEN_LENGTH = 10  # 36**10 ≈ 3.6e15: collisions between claims are out of the question
MAX_NONCE = 25  # Discord's limit for a message nonce


def new_token() -> str:
    """A fresh random token for one claim."""
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def nonce(token: str, part: int = 1) -> str:
    """The nonce of part `part` (1-based) of a claimed post: distinct per part, the same on every retry."""
    value = f"{token}.{part}"
    if len(value) > MAX_NONCE:
        raise ValueError(f"nonce {value!r} is longer than Discord's {MAX_NONCE} characters")
    return value


def marker(token: str, language: str) -> str:
    """The short reference shown at the end of a claimed post's footer ("réf. 3kq9…")."""
    return t("delivery.marker", language, token=token)


def carries(text: str | None, token: str) -> bool:
    """Whether `text` (a footer) holds the marker of `token` as a whole word."""
    if not text or not token:
        return False
    return re.search(rf"(?<![a-z0-9]){re.escape(token)}(?![a-z0-9])", text) is not None
