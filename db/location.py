"""Where the store lives: a SQLite file (the embedded default) or a PostgreSQL server (large deployments)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

DEFAULT_DATABASE_URL = "sqlite:///tribune.db"


class DatabaseUrlError(ValueError):
    """`DATABASE_URL` is malformed; the message says how to write it."""


@dataclass(frozen=True)
class DatabaseLocation:
    """Where the store lives: `sqlite` (path: a file path or ":memory:") or `postgres` (path: the URL)."""

    scheme: str
    path: str  # a file path, or ":memory:"; for PostgreSQL the whole postgresql:// URL (asyncpg's DSN)

    @classmethod
    def parse(cls, url: str) -> DatabaseLocation:
        parts = urlsplit(url)
        if parts.scheme == "sqlite":
            # sqlite:///relative.db, sqlite:////absolute/path.db, sqlite:///:memory:
            raw = unquote(parts.netloc + parts.path)
            path = raw[1:] if raw.startswith("/") else raw
            if not path:
                raise DatabaseUrlError(
                    f"DATABASE_URL « {url} » ne nomme aucun fichier : écrivez par exemple {DEFAULT_DATABASE_URL}"
                )
            return cls("sqlite", path)
        if parts.scheme in ("postgres", "postgresql"):
            # postgresql://user:password@host:port/database (or ?host=/unix/socket/dir)
            if not parts.path.strip("/"):
                raise DatabaseUrlError(
                    f"DATABASE_URL « {_without_password(url)} » ne nomme aucune base : écrivez par exemple "
                    "postgresql://tribune@127.0.0.1:5432/tribune"
                )
            return cls("postgres", url)
        raise DatabaseUrlError(
            f"DATABASE_URL « {url} » n'est pas reconnue : utilisez le format {DEFAULT_DATABASE_URL} "
            "ou postgresql://utilisateur@hôte:port/base"
        )

    @property
    def file(self) -> Path | None:
        """The SQLite database file, or None for an in-memory store or a PostgreSQL server."""
        return None if self.path == ":memory:" or self.is_postgres else Path(self.path)

    @property
    def is_postgres(self) -> bool:
        return self.scheme == "postgres"

    def __repr__(self) -> str:
        # A PostgreSQL URL may carry a password: it never reaches a log line.
        return f"DatabaseLocation(scheme={self.scheme!r}, path={_without_password(self.path)!r})"

    def display(self) -> str:
        """What to print: the file, or the URL without its password."""
        return _without_password(self.path)


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
