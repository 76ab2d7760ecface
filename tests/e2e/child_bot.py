"""The real Tribune bot in a process of its own, on a running emulator, so that a test can SIGKILL it.

Run as ``python -m tests.e2e.child_bot API_URL GATEWAY_URL TOKEN DB_PATH NOW_ISO``; DB_PATH may be a
``postgresql://`` URL, and TRIBUNE_SHARD_COUNT / TRIBUNE_SHARD_IDS in the environment choose its shards.
Its clock stands still at NOW_ISO; the background loops run every 0.1 s, and so do tally edits unless
TRIBUNE_TEST_TALLY_EDIT_INTERVAL says otherwise (the benchmarks use the bot's default, 2 s). It prints
``READY`` once connected and ``SETTLED`` after a complete pass of the digest schedule, the poll-closing loop
and the feed loop.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime

import discord.gateway
import discord.http
import yarl

from bot.client import Tribune
from bot.settings import Settings
from db.database import Database
from tests.conftest import TEST_SECRET


async def main(api_url: str, gateway_url: str, token: str, db_path: str, now: str) -> None:
    discord.http.Route.BASE = api_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    frozen = datetime.fromisoformat(now)
    allow = os.environ.get("TRIBUNE_FETCH_ALLOW", "")
    url = db_path if db_path.startswith("postgresql://") else f"sqlite:///{db_path}"
    env = {"DATABASE_URL": url, "TRIBUNE_FETCH_ALLOW": allow, "TRIBUNE_SECRET": TEST_SECRET.decode()}
    for name in ("TRIBUNE_SHARD_COUNT", "TRIBUNE_SHARD_IDS"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    settings = Settings.from_env(env)
    bot = Tribune(
        settings,
        Database(settings.database),
        identify_interval=float(os.environ.get("TRIBUNE_TEST_IDENTIFY_INTERVAL", "0.1")),
        shard_lease_seconds=2.0,
        secret=TEST_SECRET,
        clock=lambda: frozen,
        digest_loop_seconds=0.1,
        close_loop_seconds=0.1,
        tally_edit_interval=float(os.environ.get("TRIBUNE_TEST_TALLY_EDIT_INTERVAL", "0.1")),
    )
    bot._connection.guild_ready_timeout = 0.05

    async def report() -> None:
        await bot.wait_until_ready()
        print("READY", flush=True)
        print("GUILDS " + ",".join(str(g.id) for g in sorted(bot.guilds, key=lambda g: g.id)), flush=True)
        digest, polls, feeds = bot.digest, bot.polls, bot.feeds
        while min(digest.schedule_runs, polls.close_runs, feeds.check_runs) < 1:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        print("SETTLED", flush=True)

    async with bot:
        reporter = asyncio.create_task(report())
        await bot.start(token)
        reporter.cancel()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
