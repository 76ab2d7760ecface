"""The Tribune bot: a `commands.Bot` that is handed its settings, store and clock."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.commands_i18n import CatalogTranslator
from bot.services.articles import ArticlePublisher
from bot.services.digest import DigestService
from bot.services.feeds import FeedService
from bot.services.mydata import MemberDataService
from bot.services.opinions import OpinionService
from bot.services.polls import PollService
from bot.settings import Settings
from bot.web.app import ThreadedWebServer, WebServer, web_beside_the_bot
from cogs.components import report_error
from db.database import Database, DatabaseError
from db.leases import LeaseStore, hold_identify_slot, shard_job

log = logging.getLogger(__name__)

# The command families, loaded by setup_hook after the services they call; each registers its own dynamic items.
# They reach each other only through the services (`bot.polls`, `bot.articles`…), so their order does not matter.
EXTENSIONS: tuple[str, ...] = (
    "cogs.settings",
    "cogs.polls",
    "cogs.articles",
    "cogs.opinions",
    "cogs.feeds",
    "cogs.mydata",
    "cogs.digest",
)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def intents() -> discord.Intents:
    """The non-privileged minimum: guild, channel and thread events, and votes on native polls (guild_polls).

    No members, no message content."""
    return discord.Intents(guilds=True, guild_polls=True)


class TribuneTree(app_commands.CommandTree["Tribune"]):
    """The command tree, with the one place where errors meet members."""

    async def on_error(self, interaction: discord.Interaction[Tribune], error: app_commands.AppCommandError) -> None:
        await report_error(interaction, error)


class Tribune(commands.AutoShardedBot):
    """Tribune's Discord client. Tests build it with a temporary store and a fake clock.

    Sharded: it runs the shards of TRIBUNE_SHARD_IDS out of TRIBUNE_SHARD_COUNT (default: all of Discord's
    recommended count). Several processes may share a PostgreSQL store, each owning some shards; background
    work is claimed in the store under `holder`, this process's name.
    """

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        secret: bytes = b"",
        clock: Clock = utc_now,
        extensions: Sequence[str] = EXTENSIONS,
        tally_edit_interval: float = 2.0,
        close_loop_seconds: float = 30.0,
        edit_retry_seconds: float = 30.0,
        digest_loop_seconds: float = 60.0,
        identify_interval: float = 5.0,
        shard_lease_seconds: float = 30.0,
        **options: Any,
    ) -> None:
        if settings.shard_count is not None:
            options.setdefault("shard_count", settings.shard_count)
        if settings.shard_ids is not None:
            options.setdefault("shard_ids", list(settings.shard_ids))
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(),
            help_command=None,
            tree_cls=TribuneTree,
            allowed_mentions=discord.AllowedMentions.none(),
            **options,
        )
        self.settings = settings
        self.db = db
        self.secret = secret
        self.clock = clock
        self.extension_names = tuple(extensions)
        self.failed_extensions: dict[str, BaseException] = {}
        # Tuning knobs: a poll message is edited at most once per interval; due polls are closed this often.
        self.tally_edit_interval = tally_edit_interval
        self.close_loop_seconds = close_loop_seconds
        self.edit_retry_seconds = edit_retry_seconds  # first back-off after Discord refused an edit
        self.digest_loop_seconds = digest_loop_seconds  # how often due digests are looked for
        # The public results service, when TRIBUNE_WEB_PORT is set (started at the end of setup_hook).
        self.web: WebServer | ThreadedWebServer | None = None
        # The features, built by setup_hook once the store is open; cogs, buttons and each other call them.
        self.polls: PollService
        self.articles: ArticlePublisher
        self.opinions: OpinionService
        self.digest: DigestService
        self.feeds: FeedService
        self.mydata: MemberDataService
        self.services_started = False
        # Who claims background work in the store: unique per process and start.
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.identify_interval = identify_interval  # Discord: one IDENTIFY per bucket every 5 s
        self.shard_lease_seconds = shard_lease_seconds
        self._max_concurrency: int | None = None
        self._shard_leases: asyncio.Task[None] | None = None

    @property
    def shard_scope(self) -> str:
        """The shards this process runs, as a lease suffix: `all`, or `0,1/4`."""
        if self.shard_ids is None:
            return "all"
        return f"{','.join(map(str, sorted(self.shard_ids)))}/{self.shard_count}"

    def owned_shards(self) -> tuple[tuple[int, ...], int] | None:
        """(shard ids, shard count) when this process runs only some shards; None when it runs them all."""
        if self.shard_ids is None or self.shard_count is None:
            return None
        return tuple(self.shard_ids), self.shard_count

    async def claim_job(self, job: str, ttl_seconds: float) -> bool:
        """Take or renew this process's lease on a background job (see db/leases.py)."""
        async with self.db.transaction() as conn:
            return await LeaseStore(conn).claim(job, self.holder, timedelta(seconds=ttl_seconds), utc_now())

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Pace IDENTIFY per `max_concurrency` bucket across every process sharing the store."""
        if self._max_concurrency is None:
            _, _, limit = await self.http.get_bot_gateway()
            self._max_concurrency = max(1, int(limit.get("max_concurrency", 1)))
        await hold_identify_slot(self.db, (shard_id or 0) % self._max_concurrency, self.identify_interval)

    def _shard_jobs(self) -> list[str]:
        if self.shard_ids is None or self.shard_count is None:
            return ["shard:all"]
        return [shard_job(shard_id, self.shard_count) for shard_id in sorted(self.shard_ids)]

    async def own_shards(self) -> None:
        """Become the one owner of this process's shards (shard 0 carries the direct messages): wait while
        another live process holds one of them, then keep the leases renewed.

        Owning a shard is what makes the per-server work (digests, feeds) exactly once across processes:
        only its owner sees those servers. With SQLite the single-process lock already guarantees it.
        """
        if self.db.dialect != "postgres":
            return
        warned = False
        while True:
            claims = [await self.claim_job(job, self.shard_lease_seconds) for job in self._shard_jobs()]
            if all(claims):
                break
            if not warned:
                log.warning("Another process runs shards %s: waiting for its lease to end", self.shard_scope)
                warned = True
            await asyncio.sleep(self.shard_lease_seconds / 4)
        self._shard_leases = asyncio.get_running_loop().create_task(self._renew_shards(), name="shard-leases")

    async def _renew_shards(self) -> None:
        while not self.is_closed():
            await asyncio.sleep(self.shard_lease_seconds / 3)
            try:
                renewed = [await self.claim_job(job, self.shard_lease_seconds) for job in self._shard_jobs()]
            except (DatabaseError, OSError):
                log.exception("Could not renew the shard leases; retrying")
                continue
            if not all(renewed):
                log.error("The lease of shards %s went to another process: stopping", self.shard_scope)
                await self.close()
                return


    def now(self) -> datetime:
        """The current time from the injected clock (tests drive it)."""
        return self.clock()

    async def setup_hook(self) -> None:
        """Start-up work, in a fixed order: migrations, services, extensions (commands and dynamic items),
        translator, background loops. No command sync here."""
        await self.open_store()
        await self.own_shards()
        self.polls = PollService(self)
        self.articles = ArticlePublisher(self)
        self.opinions = OpinionService(self)
        self.digest = DigestService(self)
        self.feeds = FeedService(self)
        self.mydata = MemberDataService(self)
        for name in self.extension_names:
            try:
                await self.load_extension(name)
            except Exception as exc:
                # One broken feature must not take the others down; the failure is logged loudly.
                self.failed_extensions[name] = exc
                log.exception("Failed to load extension %s", name)
        await self.install_translator()
        for service in self.services():
            await service.start()
        self.services_started = True
        if self.settings.web_port is not None:
            # Same process, same store; its cache is no staler than the poll message's edit interval.
            web = web_beside_the_bot(self.db, self.now, self.settings, min(1.0, self.tally_edit_interval))
            try:
                await web.start()
            except OSError:
                # Like a broken extension: the bot keeps serving Discord; the operator sees why in the log.
                log.exception("The public results service could not listen on %s:%s", web.host, web.port)
            else:
                self.web = web

    async def open_store(self) -> None:
        """Open the store and apply pending migrations (again a no-op once done). `close()` closes it: the bot
        owns its store from here to there."""
        await self.db.connect()
        version = await self.db.migrate()
        log.info("Store ready at schema version %d", version)

    async def install_translator(self) -> None:
        """French localizations of command names and descriptions (a no-op until the catalog has them)."""
        await self.tree.set_translator(CatalogTranslator())

    def services(self) -> tuple[PollService | ArticlePublisher | DigestService | FeedService, ...]:
        """The services with loops or listeners to start and stop, in start order."""
        return (self.polls, self.articles, self.digest, self.feeds)

    async def close(self) -> None:
        """Stop the services (their loops, and flush their queues), unload the cogs, then close the store."""
        if self.services_started:
            self.services_started = False
            for service in reversed(self.services()):
                await service.stop()
            await self.opinions.stop()
        await super().close()
        if self.web is not None:
            await self.web.stop()
        if self._shard_leases is not None:
            self._shard_leases.cancel()
            await asyncio.gather(self._shard_leases, return_exceptions=True)
            self._shard_leases = None
            try:  # a clean stop hands the shards over at once
                async with self.db.transaction() as conn:
                    for job in self._shard_jobs():
                        await LeaseStore(conn).release(job, self.holder)
            except (DatabaseError, OSError):
                log.warning("Could not release the shard leases; they expire on their own", exc_info=True)
        await self.db.close()

    async def on_ready(self) -> None:
        log.info("Connected as %s (%s) to %d server(s)", self.user, getattr(self.user, "id", "?"), len(self.guilds))
