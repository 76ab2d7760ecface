"""Connect any discord.py ``Client``/``commands.Bot`` to a running emulator, and sync its command tree."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import BotCrashed, EmulatorTimeout, Failure
from .state import GuildRecord

if TYPE_CHECKING:
    import discord

    from .emulator import DiscordEmulator

ClientT = TypeVar("ClientT", bound="discord.Client")


@contextlib.asynccontextmanager
async def connect_bot(
    emulator: DiscordEmulator,
    bot: ClientT,
    *,
    token: str | None = None,
    timeout: float = 10.0,  # noqa: ASYNC109 - a timeout argument like asyncio.wait_for
    guild_ready_timeout: float = 0.05,
) -> AsyncIterator[ClientT]:
    """Run ``bot.start(token)`` against ``emulator`` until the block exits.

    Waits until the bot is ready and every emulated guild is available. The start task is watched: if it dies
    (e.g. a payload discord.py cannot parse kills ``Client.connect()``), its exception is raised at once here
    and by every emulator wait. On exit the bot is closed cleanly. Works for any ``discord.Client`` subclass
    (its ``setup_hook`` runs as usual). Route.BASE / DEFAULT_GATEWAY must already point at the emulator
    (the ``emulator`` fixture does it; otherwise use ``async with emulator:``).
    """
    # READY waits guild_ready_timeout (2 s by default) after the last GUILD_CREATE; tests need not.
    state = bot._connection
    if state.guild_ready_timeout > guild_ready_timeout:
        state.guild_ready_timeout = guild_ready_timeout
    task = asyncio.create_task(bot.start(token or emulator.token), name=f"bot-start-{type(bot).__name__}")
    emulator.watch(task)
    ready = asyncio.create_task(bot.wait_until_ready(), name="bot-wait-until-ready")
    failed = False
    host = asyncio.current_task()
    watch = {"active": False, "crashed": False}

    def interrupt_test(done: asyncio.Task[Any]) -> None:
        # A crash while the test body runs must not leave the test hanging on some other await.
        if watch["active"] and not done.cancelled() and done.exception() is not None and host is not None:
            watch["crashed"] = True
            host.cancel(msg="the bot task crashed")

    task.add_done_callback(interrupt_test)
    try:
        done, _ = await asyncio.wait({task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            ready.cancel()
            exc = task.exception()
            if exc is not None:
                raise BotCrashed(f"the bot stopped before READY: {exc!r}") from exc
            raise BotCrashed("bot.start() returned before the bot was ready")
        if ready not in done:
            ready.cancel()
            raise EmulatorTimeout(f"the bot was not ready after {timeout}s")
        guild_ids = [g.id for g in emulator.world.guilds.values() if emulator.world.bot_user.id in g.members]
        await emulator.wait_for(
            lambda: all((g := bot.get_guild(gid)) is not None and not g.unavailable for gid in guild_ids),
            timeout=timeout,
            message="the bot never saw its guilds as available",
        )
        watch["active"] = True
        emulator._live_bots += 1
        try:
            yield bot
        except asyncio.CancelledError:
            if watch["crashed"] and host is not None:
                host.uncancel()
                raise BotCrashed(f"the bot task died: {task.exception()!r}") from task.exception()
            raise
        finally:
            watch["active"] = False
            emulator._live_bots -= 1
            emulator._closed_bots += 1
        emulator.check_watched()
    except BaseException:
        failed = True
        raise
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(bot.close(), timeout=5)
        if not task.done():
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, timeout=5)
        emulator.unwatch(task)
        crashed = task.done() and not task.cancelled() and task.exception() is not None
        if crashed and not failed:
            # The crash happened while closing: still make the test fail.
            emulator.record_failure(Failure(kind="bot_crashed", message=repr(task.exception())))


async def sync_commands(
    bot: discord.Client, guild: GuildRecord | int | Any | None = None, *, guild_id: int | None = None
) -> list[Any]:
    """Call ``bot.tree.sync(...)`` (globally, or for ``guild`` / ``guild_id``) so the emulator stores the tree."""
    import discord

    tree = getattr(bot, "tree", None)
    if tree is None:
        raise TypeError("this client has no app command tree (bot.tree)")
    guild = guild if guild is not None else guild_id
    target = None
    if guild is not None:
        target = discord.Object(id=int(getattr(guild, "id", guild)))
    return await tree.sync(guild=target)
