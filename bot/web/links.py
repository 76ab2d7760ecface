"""Public ids and the URLs built from them (plain Python)."""

from __future__ import annotations

import secrets

PUBLIC_ID_PATTERN = r"[A-Za-z0-9_-]{16,64}"


def new_public_id() -> str:
    """An unguessable id for a URL: 128 random bits, never derived from a Discord or row id."""
    return secrets.token_urlsafe(16)


def poll_urls(base: str, public_id: str) -> dict[str, str]:
    """The page, iframe and JSON addresses of one published poll."""
    base = base.rstrip("/")
    return {
        "page": f"{base}/p/{public_id}",
        "embed": f"{base}/p/{public_id}/embed",
        "json": f"{base}/p/{public_id}.json",
    }


def article_url(base: str, public_id: str) -> str:
    return f"{base.rstrip('/')}/a/{public_id}"
