"""Command line: `python -m bot [run|sync|migrate|web|preview]`.

Start-up lives here and only here: load `.env`, set up logging, read settings, open the store, run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar

import discord
from dotenv import find_dotenv, load_dotenv

from bot.client import Tribune, utc_now
from bot.i18n import t
from bot.secret import load_or_create_secret
from bot.settings import Settings, SettingsError
from bot.web.app import web_server
from db.database import Database, DatabaseError
from db.leases import SingleProcessLock

log = logging.getLogger("bot")

T = TypeVar("T")
# Python collects its youngest generation every 700 net new objects; a burst of clicks (each a few hundred
# short-lived dicts and lists) then pays ~30 µs a click in collections (bench/votes.py, 2 cores: 200 young
# collections, 62 ms of a session; 3 and 15 ms at this threshold). Freed objects leave by reference counting
# anyway; only cycles wait for the collector, some thousands of objects longer.
YOUNG_GENERATION_THRESHOLD = 20_000

EXIT_OK = 0
EXIT_CONFIG = 2


class RedactSecrets(logging.Filter):
    """Replaces the token and the secret in any log record, whoever logs them (belt and braces)."""

    def __init__(self, *secrets: str | None) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(s in message for s in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, None
        return True


def setup_logging(settings: Settings) -> None:
    discord.utils.setup_logging(level=getattr(logging, settings.log_level), root=True)
    redact = RedactSecrets(settings.discord_token, settings.secret)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop when it is installed (the default install on Linux and macOS), else asyncio's own.

    uvloop runs the bot's network path (gateway, interaction callbacks, the web service) in C; it has no
    Windows wheel, so a missing module is not an error.
    """
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def tune_garbage_collector() -> None:
    """Collect the youngest generation less often (see YOUNG_GENERATION_THRESHOLD); older ones as before."""
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, oldest)


def run_async(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run` on the fastest event loop available (see `event_loop_factory`), collector tuned for bursts."""
    tune_garbage_collector()
    factory = event_loop_factory()
    if factory is None:
        log.debug("uvloop is not installed: running on asyncio's event loop")
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Tribune: turns news articles into community debate on Discord.",
    )
    sub = parser.add_subparsers(dest="command", metavar="{run,sync,migrate,web,preview}")
    sub.add_parser("run", help="start the bot (the default)")
    sync = sub.add_parser("sync", help="publish the slash commands to Discord, then exit")
    sync.add_argument(
        "--guild", nargs="?", const="dev", metavar="ID", help="sync to one server (default: TRIBUNE_DEV_GUILD)"
    )
    migrate = sub.add_parser("migrate", help="apply pending database migrations and print the schema version")
    migrate.add_argument(
        "--copy-from", metavar="SQLITE_URL", help="copy every row of this SQLite store into the (empty) PostgreSQL one"
    )
    sub.add_parser("web", help="serve the public results alone (no Discord), on TRIBUNE_WEB_PORT")
    preview = sub.add_parser("preview", help="print what /article post would post for a file or URL, without Discord")
    preview.add_argument("source", help="a .txt, .md or .html file, or an http(s) URL")
    preview.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = parser.parse_args(argv)
    args.command = args.command or "run"
    return args


def fail(message: str) -> int:
    print(message, file=sys.stderr)
    return EXIT_CONFIG


async def migrate(settings: Settings, copy_from: str | None = None) -> int:
    """Apply migrations without touching Discord; with `copy_from`, move a SQLite store into PostgreSQL."""
    if copy_from is not None:
        return await copy_into_postgres(settings, copy_from)
    try:
        async with Database(settings.database) as db:
            version = await db.migrate()
    except DatabaseError as exc:
        return fail(t("cli.database_invalid", error=exc))
    print(t("cli.migrated", version=version, path=settings.database.display()))
    return EXIT_OK


async def copy_into_postgres(settings: Settings, copy_from: str) -> int:
    from db.copy import copy_store
    from db.location import DatabaseLocation, DatabaseUrlError
    from db.postgres import PostgresDatabase

    try:
        source_location = DatabaseLocation.parse(copy_from)
    except DatabaseUrlError as exc:
        return fail(t("cli.settings_invalid", error=exc))
    if source_location.is_postgres or source_location.file is None or not source_location.file.exists():
        return fail(t("cli.copy_source_invalid", url=copy_from))
    if not settings.database.is_postgres:
        return fail(t("cli.copy_target_invalid"))
    try:
        async with Database(source_location) as source, Database(settings.database) as target:
            assert isinstance(target, PostgresDatabase)
            copied = await copy_store(source, target)
    except DatabaseError as exc:
        return fail(t("cli.database_invalid", error=exc))
    for table, rows in copied.items():
        print(f"{table}: {rows}")
    print(t("cli.copied", rows=sum(copied.values()), path=settings.database.display()))
    return EXIT_OK


async def serve_web(settings: Settings, stop: asyncio.Event | None = None) -> int:
    """The public results service on its own, against the same store (the bot may run elsewhere)."""
    if settings.web_port is None:
        return fail(t("cli.web_port_missing"))
    try:
        async with Database(settings.database) as db:
            await db.migrate()
            server = web_server(db, utc_now, settings)
            await server.start()
            print(t("cli.web_serving", url=server.base_url), flush=True)
            try:
                await (stop or asyncio.Event()).wait()
            finally:
                await server.stop()
    except DatabaseError as exc:
        return fail(t("cli.database_invalid", error=exc))
    except OSError as exc:
        return fail(t("cli.web_failed", error=exc))
    return EXIT_OK


def build_bot(settings: Settings) -> Tribune:
    store = Database(settings.database, pool_size=settings.db_pool_size)
    return Tribune(settings, store, secret=load_or_create_secret(settings))


async def with_bot(settings: Settings, action: Callable[[Tribune], Awaitable[int]]) -> int:
    """Run `action` with a bot and its store; every problem the operator must fix becomes exit code 2."""
    if not settings.discord_token:
        return fail(t("cli.token_missing"))
    try:
        bot = build_bot(settings)
        async with bot:  # leaving it closes the bot, and with it the store
            return await action(bot)
    except discord.LoginFailure:
        return fail(t("cli.token_invalid"))
    except DatabaseError as exc:
        return fail(t("cli.database_invalid", error=exc))
    except (discord.GatewayNotFound, discord.ConnectionClosed, OSError) as exc:
        return fail(t("cli.connection_failed", error=type(exc).__name__))


async def run(settings: Settings) -> int:
    """Start the bot and keep it running."""

    async def start(bot: Tribune) -> int:
        # Open the store before Discord: a broken or too-new database is reported at once.
        await bot.open_store()
        single = SingleProcessLock(settings.database.file) if settings.database.file is not None else None
        if single is not None:
            single.acquire()  # SQLite serves one process: a second one is refused with what to do instead
        try:
            await bot.start(settings.discord_token or "")
        finally:
            if single is not None:
                single.release()
        return EXIT_OK

    return await with_bot(settings, start)


async def sync(settings: Settings, guild: str | None) -> int:
    """Log in, publish the command tree (globally or to one server), print it, exit."""
    guild_id: int | None = None
    if guild == "dev":
        if settings.dev_guild_id is None:
            return fail(t("cli.guild_missing"))
        guild_id = settings.dev_guild_id
    elif guild is not None:
        if not guild.isdigit():
            return fail(t("cli.guild_missing"))
        guild_id = int(guild)

    async def publish(bot: Tribune) -> int:
        await bot.login(settings.discord_token or "")  # runs setup_hook: the tree is complete after it
        target = discord.Object(guild_id) if guild_id else None
        if target is not None:
            bot.tree.copy_global_to(guild=target)
        synced = await bot.tree.sync(guild=target)
        names = ", ".join(sorted(command.name for command in synced)) or "-"
        if guild_id:
            print(t("cli.synced_guild", count=len(synced), guild=guild_id, names=names))
        else:
            print(t("cli.synced_global", count=len(synced), names=names))
        return EXIT_OK

    return await with_bot(settings, publish)


def _read_file(source: str) -> bytes | None:
    from pathlib import Path

    path = Path(source)
    return path.read_bytes() if path.is_file() else None


async def preview(settings: Settings, source: str, as_json: bool) -> int:
    """Analyse an article exactly as `/article post` does and print the post's content."""
    import json
    from pathlib import Path

    from bot.articles.errors import ArticleError
    from bot.articles.extract import extract_file
    from bot.articles.pipeline import analyse_async
    from bot.articles.preview import preview_card, render_card
    from bot.net.fetch import SafeFetcher, article_from_fetch
    from bot.net.llm import LLMConfig, LLMSummarizer

    try:
        if source.startswith(("http://", "https://")):
            result = await SafeFetcher(allow=settings.fetch_allow).fetch(source)
            article = await asyncio.to_thread(article_from_fetch, result)
        else:
            data = await asyncio.to_thread(_read_file, source)
            if data is None:
                return fail(t("cli.preview_missing", path=source))
            article = await asyncio.to_thread(extract_file, Path(source).name, data)
    except ArticleError as exc:
        return fail(t(exc.key, **exc.params))
    config = None
    if settings.llm_url and settings.llm_model:
        config = LLMConfig(url=settings.llm_url, key=settings.llm_key, model=settings.llm_model)
    analysis = await analyse_async(article, LLMSummarizer(config))
    card = preview_card(analysis, url=article.url or (source if "://" in source else None))
    print(json.dumps(card, ensure_ascii=False, indent=2) if as_json else render_card(card))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    load_dotenv(find_dotenv(usecwd=True))  # the .env of the directory the operator runs from
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        return fail(t("cli.settings_invalid", error=exc))
    setup_logging(settings)
    if args.command == "migrate":
        return run_async(migrate(settings, args.copy_from))
    if args.command == "web":
        try:
            return run_async(serve_web(settings))
        except KeyboardInterrupt:
            return EXIT_OK
    if args.command == "sync":
        return run_async(sync(settings, args.guild))
    if args.command == "preview":
        return run_async(preview(settings, args.source, args.json))
    try:
        return run_async(run(settings))
    except KeyboardInterrupt:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
