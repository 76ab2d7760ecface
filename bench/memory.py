"""Figure 9: the bot's resident memory for 0 to 1,000 servers with 10 open polls each, and its growth per server.

Each size is a fresh emulator holding that many extra servers (one text channel each, the bot a member) and a
fresh store holding 10 open polls per server (5 answers each, with a channel and a message id, as posted by an
earlier run). The real bot starts in its own process (bench/process.py, the default stack); its VmRSS is read
once it is ready (every server received) and one vote was acknowledged, after one second of its background loops.
"""

from __future__ import annotations

import asyncio
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import POLL_LABELS_FR, Figure, GroupResult, check_emulator, create_poll, timed_group
from bench.process import bot_process

NAME = "memory"
SIZES = (0, 250, 500, 1000)
POLLS_PER_SERVER = 10
REPS = 2
WEEK = 7 * 24 * 3600


async def build_store(path: Path, guilds: list[tuple[int, int]]) -> None:
    """Migrate ``path`` and insert POLLS_PER_SERVER open polls for each (guild id, channel id)."""
    from db.database import Database

    async with Database.from_path(path) as db:
        await db.migrate()
    now = int(time.time())
    rows = [
        (guild_id, f"Question {n} du serveur {guild_id} ?", channel_id, 10**15 + index * POLLS_PER_SERVER + n)
        for index, (guild_id, channel_id) in enumerate(guilds)
        for n in range(POLLS_PER_SERVER)
    ]
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        for guild_id, question, channel_id, message_id in rows:
            poll_id = conn.execute(
                "INSERT INTO polls (guild_id, question, kind, channel_id, message_id, created_by, created_at, "
                "closes_at) VALUES (?, ?, 'scale', ?, ?, 1, ?, ?) RETURNING id",
                (guild_id, question, channel_id, message_id, now - 3600, now + WEEK),
            ).fetchone()[0]
            conn.executemany(
                "INSERT INTO poll_options (poll_id, position, label) VALUES (?, ?, ?)",
                [(poll_id, position, label) for position, label in enumerate(POLL_LABELS_FR)],
            )
        conn.execute("COMMIT")
    finally:
        conn.close()


def add_servers(emu: Any, count: int) -> list[tuple[int, int]]:
    world = emu.world
    servers = []
    for i in range(count):
        guild = world.add_guild(f"Serveur {i}", locale="fr")
        world.add_member(guild, world.bot_user, [], key=f"bot-{i}")
        channel = world.add_channel(guild, "general")
        servers.append((guild.id, channel.id))
    return servers


async def one_size(tmp: Path, servers: int) -> tuple[float, float]:
    """RSS (MiB) of the bot once ready with ``servers`` extra servers, and how long READY took (s)."""
    from tests.discord_emulator import DiscordEmulator

    async with DiscordEmulator() as emu:
        guilds = add_servers(emu, servers)
        db_path = tmp / f"memory-{servers}.db"
        await build_store(db_path, guilds)
        started = time.perf_counter()
        async with bot_process(emu, "tribune", db_path) as bot:
            ready = time.perf_counter() - started
            message = await create_poll(emu, "Mémoire ?")
            record = await emu.click(emu.add_members(1, prefix="voter")[0], message, POLL_LABELS_FR[0])
            await record.wait_response(timeout=10)
            await asyncio.sleep(1.0)
            rss = bot.rss_kib() / 1024
        check_emulator(emu, "memory")
    return rss, ready


async def measure() -> GroupResult:
    rss: dict[int, list[float]] = {size: [] for size in SIZES}
    ready: dict[int, list[float]] = {size: [] for size in SIZES}
    with tempfile.TemporaryDirectory(prefix="tribune-bench-") as name:
        for rep in range(REPS):
            for size in SIZES:  # sizes interleaved within each repetition
                tmp = Path(name) / f"rep{rep}"
                tmp.mkdir(exist_ok=True)
                mib, seconds = await one_size(tmp, size)
                rss[size].append(mib)
                ready[size].append(seconds)
    med = statistics.median
    largest = SIZES[-1]
    half = SIZES[len(SIZES) // 2]

    def slope(low: int, high: int) -> list[float]:
        return [1024 * (h - lo) / (high - low) for h, lo in zip(rss[high], rss[low], strict=True)]

    first, second = med(slope(0, half)), med(slope(half, largest))
    shape = "linear" if abs(first - second) <= 0.25 * max(first, second, 1.0) else "not linear"
    figures = [
        Figure(NAME, f"bot RSS, {size} servers × {POLLS_PER_SERVER} open polls", rss[size], "MiB", 1) for size in SIZES
    ]
    figures += [
        Figure(NAME, f"RSS growth per server, 0 → {largest}", slope(0, largest), "KiB", 1),
        Figure(NAME, f"RSS growth per server, 0 → {half}", slope(0, half), "KiB", 1),
        Figure(NAME, f"RSS growth per server, {half} → {largest}", slope(half, largest), "KiB", 1),
        Figure(NAME, f"start → ready, {largest} servers", ready[largest], "s", 2),
    ]
    notes = [
        f"{REPS} repetitions, sizes interleaved; fresh emulator, store and bot process per run. Servers beyond the "
        f"emulator's default one; {POLLS_PER_SERVER} open polls per server in the store "
        f"({largest * POLLS_PER_SERVER:,} at the largest size); RSS = VmRSS of the bot process after READY, "
        "one poll created and one vote, then 1 s.",
        f"Growth: {first:.1f} KiB per server up to {half} servers, {second:.1f} KiB per server beyond: {shape} "
        "(discord.py keeps each guild, its channels and roles in memory; open polls are not held in memory, "
        "they are read from the store when a click or an edit needs them).",
    ]
    return GroupResult(NAME, figures, notes)


def run() -> GroupResult:
    return timed_group(measure, harness_on_uvloop=True)


if __name__ == "__main__":
    import sys

    from bench.__main__ import main

    raise SystemExit(main([NAME, *sys.argv[1:]]))
