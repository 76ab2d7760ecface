"""The Tribune bot: a `commands.Bot` that is handed its settings, store and clock."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
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
from db.database import Database

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


class Tribune(commands.Bot):
    """Tribune's Discord client. Tests build it with a temporary store and a fake clock."""

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
        **options: Any,
    ) -> None:
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

    def now(self) -> datetime:
        """The current time from the injected clock (tests drive it)."""
        return self.clock()

    async def setup_hook(self) -> None:
        """Start-up work, in a fixed order: migrations, services, extensions (commands and dynamic items),
        translator, background loops. No command sync here."""
        await self.open_store()
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
        await self.db.close()

    async def on_ready(self) -> None:
        log.info("Connected as %s (%s) to %d server(s)", self.user, getattr(self.user, "id", "?"), len(self.guilds))
