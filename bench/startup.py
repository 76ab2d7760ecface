"""Figure 3: start-up with 0, 10k and 100k open polls in the store: time to ready-to-vote, resident memory.

The parent builds one store per size (migrated, then the polls and their 5 answers inserted with plain
``sqlite3`` in one transaction: open, deadline in a week, each with a channel and a message id, spread over
100 other servers). Poll #1 is the "old poll": each run posts its message in the emulator (the vote buttons
with their ``tribune:vote:1:n`` custom ids, as a previous run of the bot would have left them) and points
the row at it.

Each run is a fresh ``python -m bench.startup --child`` process, so its RSS is its own. The clock starts
when the ``Tribune`` object is built (interpreter, imports and the emulator are already up) and stops when a
click on the old poll's button is acknowledged: "ready to vote" = connected to the emulator (``connect_bot``:
READY and the guild available; the harness lowers discord.py's ``guild_ready_timeout`` from 2 s to 0.05 s,
a constant that does not depend on the store) AND the vote acknowledged. RSS is VmRSS at that moment.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.common import (
    POLL_LABELS_FR,
    REPO_ROOT,
    Figure,
    GroupResult,
    Stopwatch,
    check_emulator,
    make_tribune,
    quiet_logs,
    rss_kib,
    timed_group,
)

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


async def child(db_path: Path) -> dict[str, float]:
    """One start-up (in its own process): returns seconds and KiB."""
    import bot.client  # before the clock and the first RSS reading, as the entry point imports it
    from tests.discord_emulator import DiscordEmulator, connect_bot

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
        rss_before = rss_kib()
        started = time.perf_counter()
        bot = make_tribune(db_path)
        async with connect_bot(emu, bot):
            connected = time.perf_counter() - started
            record = await emu.click(emu.members["alice"], message, "Oui")
            response = await record.wait_response(timeout=10)
            ready = time.perf_counter() - started
            rss_ready = rss_kib()
            if response.type != 4 or not record.ephemeral:
                raise RuntimeError(f"the old poll's vote was not acknowledged as expected: {response}")
        check_emulator(emu, "start-up")
    return {"connected": connected, "ready": ready, "rss_before": rss_before, "rss_ready": rss_ready}


def run_child(db_path: Path) -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.startup", "--child", str(db_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"start-up child failed ({completed.returncode}):\n{completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


async def prepare(tmp: Path) -> tuple[dict[int, Path], dict[int, float]]:
    paths: dict[int, Path] = {}
    build_seconds: dict[int, float] = {}
    for size in SIZES:
        paths[size] = tmp / f"polls-{size}.db"
        with Stopwatch() as sw:
            await build_store(paths[size], size)
        build_seconds[size] = sw.seconds
    return paths, build_seconds


def measure() -> GroupResult:
    samples: dict[int, list[dict[str, float]]] = {size: [] for size in SIZES}
    with tempfile.TemporaryDirectory(prefix="tribune-bench-") as name:
        paths, build_seconds = asyncio.run(prepare(Path(name)))
        for _ in range(REPS):  # sizes interleaved, so drift on the machine spreads over all of them
            for size in SIZES:
                samples[size].append(run_child(paths[size]))

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
        Figure(NAME, "RSS before the bot starts (imports, emulator)", col(0, "rss_before", 1 / 1024), "MiB", 1)
    )
    notes = [
        f"{REPS} runs per size, each a fresh subprocess (`python -m bench.startup --child DB`); sizes interleaved.",
        "Store build (not timed in the figures): "
        + ", ".join(f"{size:_} polls in {seconds:.1f} s".replace("_", " ") for size, seconds in build_seconds.items())
        + " (migrations, then polls + 5 answers each, one executemany transaction).",
        "The polls are open with a deadline a week away and no pending render, so start-up has nothing to close or "
        "re-render: the figures show what the bot loads just because the polls exist.",
    ]
    return GroupResult(NAME, figures, notes)


def run() -> GroupResult:
    return timed_group(measure)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup")
    parser.add_argument("--child", type=Path, metavar="DB", help="run one start-up on DB and print JSON")
    args, rest = parser.parse_known_args(argv)
    if args.child is None:
        from bench.__main__ import main as bench_main

        return bench_main([NAME, *rest])
    quiet_logs()
    print(json.dumps(asyncio.run(child(args.child))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
