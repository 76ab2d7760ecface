"""Figure 3: start-up with 0, 10k and 100k open polls in the store: time to ready-to-vote, resident memory.

The parent builds one store per size (migrated, then the polls and their 5 answers inserted with plain
``sqlite3`` in one transaction: open, deadline in a week, each with a channel and a message id, spread over
100 other servers). Poll #1 is the "old poll": each run posts its message in a fresh emulator (the vote
buttons with their ``tribune:vote:1:n`` custom ids, as a previous run of the bot would have left them) and
points the row at it.

The emulator runs in the bench process; each run starts the bot alone in a fresh process (bench/process.py,
the default stack, the slash commands not synced, as on a restart), so its RSS is the bot's own and the
emulator's work is not on its loop. The clock starts when the child begins building ``Tribune`` (interpreter
and imports done; the child reports that CLOCK_MONOTONIC instant, shared by the processes) and stops when
the emulator receives the acknowledgement of a click on the old poll's button: "ready to vote" = connected
(READY and the guild available; the harness lowers discord.py's ``guild_ready_timeout`` from 2 s to 0.05 s,
a constant that does not depend on the store) AND the vote acknowledged. RSS is the child's VmRSS then.
Interpreter and imports (spawn → building) are reported apart.
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.common import POLL_LABELS_FR, Figure, GroupResult, Stopwatch, check_emulator, timed_group
from bench.process import bot_process

NAME = "startup"
SIZES = (0, 10_000, 100_000)
REPS = 3
OTHER_GUILDS = 100
WEEK = 7 * 24 * 3600


async def build_store(path: Path, open_polls: int) -> None:
    """Migrate ``path``, then insert the old poll (#1) and ``open_polls`` others in one transaction."""
    from db.database import Database

    async with Database.from_path(path) as db:
        await db.migrate()
    now = int(time.time())
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL").fetchall()
        conn.execute("PRAGMA synchronous=NORMAL").fetchall()
        conn.execute("BEGIN IMMEDIATE")
        polls = (
            (
                poll_id,
                poll_id % OTHER_GUILDS + 1,
                f"Question ouverte n° {poll_id} ?",
                poll_id % 10 + 1,  # channel
                10**12 + poll_id,  # message
                now - 3600,
                now + WEEK,
            )
            for poll_id in range(1, open_polls + 2)
        )
        conn.executemany(
            "INSERT INTO polls (id, guild_id, question, kind, channel_id, message_id, created_by, created_at, "
            "closes_at) VALUES (?, ?, ?, 'scale', ?, ?, 1, ?, ?)",
            polls,
        )
        scores = (100.0, 66.7, 33.3, 0.0, None)
        options = (
            (poll_id, position, label, scores[position])
            for poll_id in range(1, open_polls + 2)
            for position, label in enumerate(POLL_LABELS_FR)
        )
        conn.executemany("INSERT INTO poll_options (poll_id, position, label, score) VALUES (?, ?, ?, ?)", options)
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        conn.close()


def old_poll_components() -> list[dict[str, object]]:
    buttons = [
        {"type": 2, "style": 2, "label": label, "custom_id": f"tribune:vote:1:{position}"}
        for position, label in enumerate(POLL_LABELS_FR)
    ]
    return [{"type": 1, "components": buttons}, {"type": 1, "components": [
        {"type": 2, "style": 1, "label": "Résultats", "custom_id": "tribune:results:1"}
    ]}]  # fmt: skip


async def one_start(db_path: Path) -> dict[str, float]:
    """One start-up of a fresh bot process on ``db_path``: seconds (from building Tribune) and KiB."""
    from tests.discord_emulator import DiscordEmulator

    async with DiscordEmulator() as emu:
        message = emu.add_message(
            "general",
            embeds=[{"title": "Question ouverte n° 1 ?", "description": "▱▱▱▱▱▱▱▱▱▱ 0 votant"}],
            components=old_poll_components(),
        )
        conn = sqlite3.connect(db_path, isolation_level=None)
        conn.execute(
            "UPDATE polls SET guild_id = ?, channel_id = ?, message_id = ? WHERE id = 1",
            (message.guild_id, message.channel_id, message.id),
        )
        conn.close()
        async with bot_process(emu, "tribune", db_path, sync=False) as bot:
            record = await emu.click(emu.members["alice"], message, "Oui")
            response = await record.wait_response(timeout=10)
            rss_ready = bot.rss_kib()
            if response.type != 4 or not record.ephemeral:
                raise RuntimeError(f"the old poll's vote was not acknowledged as expected: {response}")
            acknowledged = record.created + response.elapsed  # emulator clock: CLOCK_MONOTONIC as well
        check_emulator(emu, "start-up")
    return {
        "imports": bot.building - bot.spawned,
        "connected": bot.connected - bot.building,
        "ready": acknowledged - bot.building,
        "rss_before": bot.imported_kib,
        "rss_ready": rss_ready,
    }


async def prepare(tmp: Path) -> tuple[dict[int, Path], dict[int, float]]:
    paths: dict[int, Path] = {}
    build_seconds: dict[int, float] = {}
    for size in SIZES:
        paths[size] = tmp / f"polls-{size}.db"
        with Stopwatch() as sw:
            await build_store(paths[size], size)
        build_seconds[size] = sw.seconds
    return paths, build_seconds


async def measure() -> GroupResult:
    samples: dict[int, list[dict[str, float]]] = {size: [] for size in SIZES}
    with tempfile.TemporaryDirectory(prefix="tribune-bench-") as name:
        paths, build_seconds = await prepare(Path(name))
        for _ in range(REPS):  # sizes interleaved, so drift on the machine spreads over all of them
            for size in SIZES:
                samples[size].append(await one_start(paths[size]))

    def col(size: int, key: str, scale: float = 1.0) -> list[float]:
        return [s[key] * scale for s in samples[size]]

    base_rss = statistics.median(col(0, "rss_ready"))
    figures: list[Figure] = []
    for size in SIZES:
        label = f"{size // 1000}k" if size else "0"
        figures.append(
            Figure(NAME, f"start → ready to vote, {label} open polls", col(size, "ready"), "s", 2).judge(
                lambda v: v <= 2.0, "≤ 2 s"
            )
        )
    for size in SIZES:
        label = f"{size // 1000}k" if size else "0"
        figure = Figure(NAME, f"RSS at ready to vote, {label} open polls", col(size, "rss_ready", 1 / 1024), "MiB", 1)
        if size:
            grown = statistics.median(col(size, "rss_ready")) - base_rss
            figure.ratio = f"{grown / 1024:+.1f} MiB vs 0 polls"
            # Flat: the open polls cost no more than 5 % of the empty store's footprint.
            figure.judge(lambda v, grown=grown: grown <= 0.05 * base_rss, "flat (≤ +5 %)")
        figures.append(figure)
    figures.append(
        Figure(NAME, "start → connected (READY + guild), 100k polls", col(SIZES[-1], "connected"), "s", 2),
    )
    figures.append(
        Figure(NAME, "RSS before Tribune is built (interpreter, imports)", col(0, "rss_before", 1 / 1024), "MiB", 1)
    )
    figures.append(
        Figure(
            NAME,
            "process spawn → building Tribune (interpreter, imports), all sizes",
            [s["imports"] for size in SIZES for s in samples[size]],
            "s",
            2,
        )
    )
    notes = [
        f"{REPS} runs per size, each a fresh emulator and a fresh bot process (bench/process.py, default stack: "
        "uvloop, orjson, zstd, as `python -m bot` runs); sizes interleaved. The emulator is in the bench process, "
        "so the RSS figures are the bot process's alone.",
        "Times run from the instant the bot process begins building Tribune (its interpreter started and "
        "`bot.client` imported, as the entry point has it) to the emulator's receipt of the old poll's vote "
        "acknowledgement, both CLOCK_MONOTONIC; the click is sent once the child reports READY. Slash commands are "
        "not synced (a restart does not sync them: `python -m bot sync` does). Starting the interpreter and "
        "importing are the separate `process spawn →` row.",
        "Store build (not timed in the figures): "
        + ", ".join(f"{size:_} polls in {seconds:.1f} s".replace("_", " ") for size, seconds in build_seconds.items())
        + " (migrations, then polls + 5 answers each, one executemany transaction).",
        "The polls are open with a deadline a week away and no pending render, so start-up has nothing to close or "
        "re-render: the figures show what the bot loads just because the polls exist.",
    ]
    return GroupResult(NAME, figures, notes)


def run() -> GroupResult:
    return timed_group(measure, harness_on_uvloop=True)


if __name__ == "__main__":
    from bench.__main__ import main

    raise SystemExit(main([NAME, *sys.argv[1:]]))
