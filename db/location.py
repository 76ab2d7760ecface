"""Where the store lives, parsed from DATABASE_URL: the store's own address type (it imports nothing of the app)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

DEFAULT_DATABASE_URL = "sqlite:///tribune.db"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which one and how to fix it."""


@dataclass(frozen=True)
class DatabaseLocation:
    """Where the store lives. Only SQLite exists today; the scheme leaves room for PostgreSQL."""

    scheme: str
    path: str  # a file path, or ":memory:"

    @classmethod
    def parse(cls, url: str) -> DatabaseLocation:
        parts = urlsplit(url)
        if parts.scheme == "sqlite":
            # sqlite:///relative.db, sqlite:////absolute/path.db, sqlite:///:memory:
            raw = unquote(parts.netloc + parts.path)
            path = raw[1:] if raw.startswith("/") else raw
            if not path:
                raise SettingsError(
                    f"DATABASE_URL « {url} » ne nomme aucun fichier : écrivez par exemple {DEFAULT_DATABASE_URL}"
                )
            return cls("sqlite", path)
        if parts.scheme in ("postgres", "postgresql"):
            raise SettingsError(
                "DATABASE_URL : PostgreSQL n'est pas encore pris en charge par Tribune ; "
                f"utilisez SQLite, par exemple {DEFAULT_DATABASE_URL}"
            )
        raise SettingsError(f"DATABASE_URL « {url} » n'est pas reconnue : utilisez le format {DEFAULT_DATABASE_URL}")

    @property
    def file(self) -> Path | None:
        """The database file, or None for an in-memory store."""
        return None if self.path == ":memory:" else Path(self.path)
