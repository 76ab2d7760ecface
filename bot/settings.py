"""Typed configuration, read once from the environment (and `.env` through python-dotenv)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from db.location import DEFAULT_DATABASE_URL, DatabaseLocation, DatabaseUrlError

DEFAULT_FETCH_TIMEOUT = 15.0  # seconds for a whole fetch, redirects and body included
DEFAULT_FETCH_MAX_MB = 5.0
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which one and how to fix it."""


@dataclass(frozen=True)
class Settings:
    """Everything Tribune reads from its environment. `.env.example` documents each variable."""

    discord_token: str | None = None
    database: DatabaseLocation = field(default_factory=lambda: DatabaseLocation.parse(DEFAULT_DATABASE_URL))
    log_level: str = "INFO"
    dev_guild_id: int | None = None
    fetch_allow: tuple[str, ...] = ()
    fetch_timeout: float = DEFAULT_FETCH_TIMEOUT
    fetch_max_bytes: int = int(DEFAULT_FETCH_MAX_MB * 1024 * 1024)
    secret: str | None = None
    llm_url: str | None = None
    llm_key: str | None = None
    llm_model: str | None = None
    web_port: int | None = None  # the public results service runs only when a port is set
    web_host: str = "127.0.0.1"
    public_url: str | None = None  # how readers reach it (behind a reverse proxy: the proxy's URL)
    web_behind_proxy: bool = False
    web_rate_per_minute: float = 120.0  # requests per visitor address; 0 turns the limit off (benchmarks)
    shard_count: int | None = None  # None: Discord's recommended count, every shard in this process
    shard_ids: tuple[int, ...] | None = None  # None: all of them
    db_pool_size: int = 10  # PostgreSQL connections per process

    def __repr__(self) -> str:
        # The token and the secret must never reach a log line or a traceback.
        return (
            f"Settings(database={self.database!r}, log_level={self.log_level!r}, "
            f"dev_guild_id={self.dev_guild_id!r}, fetch_allow={self.fetch_allow!r}, "
            f"discord_token={'***' if self.discord_token else None}, llm_url={self.llm_url!r})"
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from `environ` (default: `os.environ`); raises SettingsError on bad values."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        log_level = (get("TRIBUNE_LOG_LEVEL") or "INFO").upper()
        if log_level not in LOG_LEVELS:
            raise SettingsError(
                f"TRIBUNE_LOG_LEVEL « {log_level} » n'est pas un niveau connu : {', '.join(LOG_LEVELS)}"
            )
        dev_guild = get("TRIBUNE_DEV_GUILD")
        if dev_guild is not None and not dev_guild.isdigit():
            raise SettingsError(
                f"TRIBUNE_DEV_GUILD « {dev_guild} » doit être l'identifiant numérique d'un serveur Discord"
            )
        fetch_timeout = _positive(get("TRIBUNE_FETCH_TIMEOUT"), "TRIBUNE_FETCH_TIMEOUT", DEFAULT_FETCH_TIMEOUT)
        fetch_mb = _positive(get("TRIBUNE_FETCH_MAX_MB"), "TRIBUNE_FETCH_MAX_MB", DEFAULT_FETCH_MAX_MB)
        web_port = get("TRIBUNE_WEB_PORT")
        if web_port is not None and not (web_port.isdigit() and int(web_port) <= 65535):
            raise SettingsError(f"TRIBUNE_WEB_PORT « {web_port} » doit être un numéro de port (0 à 65535)")
        public_url = get("TRIBUNE_PUBLIC_URL")
        if public_url is not None and not public_url.startswith(("http://", "https://")):
            raise SettingsError(f"TRIBUNE_PUBLIC_URL « {public_url} » doit commencer par https:// (ou http://)")
        web_rate = get("TRIBUNE_WEB_RATE") or "120"
        try:
            web_rate_per_minute = float(web_rate)
        except ValueError:
            web_rate_per_minute = -1.0
        if not 0 <= web_rate_per_minute < 1e9:
            raise SettingsError(
                f"TRIBUNE_WEB_RATE « {web_rate} » doit être un nombre de requêtes par minute (0 : sans limite)"
            )
        try:
            database = DatabaseLocation.parse(get("DATABASE_URL") or DEFAULT_DATABASE_URL)
        except DatabaseUrlError as exc:
            raise SettingsError(str(exc)) from exc
        if database.is_postgres and not get("TRIBUNE_SECRET"):
            # Every process must key anonymous voters alike: a secret generated per process would not be shared.
            raise SettingsError(
                "TRIBUNE_SECRET est obligatoire avec PostgreSQL : tous les processus doivent partager la même clé"
            )
        shard_count, shard_ids = parse_shards(get("TRIBUNE_SHARD_COUNT"), get("TRIBUNE_SHARD_IDS"))
        if database.scheme == "sqlite" and shard_ids is not None and len(shard_ids) < (shard_count or 0):
            raise SettingsError(
                "TRIBUNE_SHARD_IDS : avec SQLite, un seul processus porte tous les shards ; pour répartir les shards "
                "entre plusieurs processus, utilisez PostgreSQL (DATABASE_URL=postgresql://…)"
            )
        pool = get("TRIBUNE_DB_POOL_SIZE") or "10"
        if not (pool.isdigit() and 2 <= int(pool) <= 1000):
            raise SettingsError(f"TRIBUNE_DB_POOL_SIZE « {pool} » doit être un nombre de connexions (2 à 1000)")
        allow = tuple(part.strip() for part in (get("TRIBUNE_FETCH_ALLOW") or "").split(",") if part.strip())
        return cls(
            discord_token=get("DISCORD_TOKEN"),
            database=database,
            log_level=log_level,
            dev_guild_id=int(dev_guild) if dev_guild else None,
            fetch_allow=allow,
            fetch_timeout=fetch_timeout,
            fetch_max_bytes=max(1, int(fetch_mb * 1024 * 1024)),
            secret=get("TRIBUNE_SECRET"),
            llm_url=get("TRIBUNE_LLM_URL"),
            llm_key=get("TRIBUNE_LLM_KEY"),
            llm_model=get("TRIBUNE_LLM_MODEL"),
            web_port=int(web_port) if web_port is not None else None,
            web_host=get("TRIBUNE_WEB_HOST") or "127.0.0.1",
            public_url=public_url.rstrip("/") if public_url else None,
            web_rate_per_minute=web_rate_per_minute,
            web_behind_proxy=(get("TRIBUNE_WEB_BEHIND_PROXY") or "").lower() in ("1", "true", "yes", "on"),
            shard_count=shard_count,
            shard_ids=shard_ids,
            db_pool_size=int(pool),
        )


def parse_shards(count: str | None, ids: str | None) -> tuple[int | None, tuple[int, ...] | None]:
    """TRIBUNE_SHARD_COUNT and TRIBUNE_SHARD_IDS (`0,1`, `0-3`, `0-3,8`): the shards this process runs."""
    if count is None:
        if ids is not None:
            raise SettingsError("TRIBUNE_SHARD_IDS demande aussi TRIBUNE_SHARD_COUNT (le nombre total de shards)")
        return None, None
    if not count.isdigit() or int(count) < 1:
        raise SettingsError(f"TRIBUNE_SHARD_COUNT « {count} » doit être un nombre de shards (1 ou plus)")
    total = int(count)
    if ids is None:
        return total, None
    found: set[int] = set()
    for part in ids.replace(" ", "").split(","):
        first, dash, last = part.partition("-")
        if not first.isdigit() or (dash and not last.isdigit()):
            raise SettingsError(
                f"TRIBUNE_SHARD_IDS « {ids} » : écrivez des numéros ou des plages, par exemple 0,1 ou 0-3"
            )
        low, high = int(first), int(last) if dash else int(first)
        if low > high or high >= total:
            raise SettingsError(
                f"TRIBUNE_SHARD_IDS « {ids} » : les shards vont de 0 à {total - 1} (TRIBUNE_SHARD_COUNT)"
            )
        found.update(range(low, high + 1))
    return total, tuple(sorted(found))


def _positive(value: str | None, name: str, default: float) -> float:
    """A positive number of seconds or megabytes, or the default when unset."""
    if value is None:
        return default
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        number = 0.0
    if not 0 < number < float("inf"):
        raise SettingsError(f"{name} « {value} » doit être un nombre positif, par exemple {default:g}")
    return number
