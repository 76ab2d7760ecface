"""The key that pseudonymises voters of anonymous polls (TRIBUNE_SECRET)."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from bot.settings import Settings

log = logging.getLogger(__name__)


def secret_path(settings: Settings) -> Path | None:
    """Where a generated secret is kept: next to the database file."""
    db_file = settings.database.file
    return None if db_file is None else db_file.with_name(db_file.name + ".secret")


def load_or_create_secret(settings: Settings) -> bytes:
    """TRIBUNE_SECRET if set; else the secret stored next to the database, created once if missing.

    Losing this key makes every anonymous voter look new (they could vote again), so it is written
    once with owner-only permissions and reused; an in-memory store gets a throw-away key.
    """
    if settings.secret:
        return settings.secret.encode("utf-8")
    path = secret_path(settings)
    if path is None:
        log.warning("TRIBUNE_SECRET is not set and the store is in memory: using a temporary key")
        return secrets.token_hex(32).encode("ascii")
    if path.exists():
        return path.read_text(encoding="ascii").strip().encode("ascii")
    value = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
    log.warning(
        "TRIBUNE_SECRET is not set: generated one in %s. Back it up with the database; "
        "without it, anonymous voters cannot be recognised.",
        path,
    )
    return value.encode("ascii")
