"""Figure 1: the vote path end to end, next to its two ceilings measured in the same run.

* Tribune: emulator click → gateway INTERACTION_CREATE → discord.py → ``PollService.vote`` →
  ``VoteRecorder.submit`` (group commit on SQLite) → ephemeral reply (interaction callback) → coalesced edit.
  1 member = sequential clicks by distinct members; 200 members = 200 distinct members clicking at once
  (``asyncio.gather``), several rounds with fresh members each time.
* Ceiling (a), the Discord path: the same emulator and the same clicks on a message that looks the same,
  handled by a minimal discord.py client whose DynamicItem button callback only sends the same ephemeral
  reply (callback type 4).
* Ceiling (b), the store: the same vote INSERT with plain ``sqlite3`` on the migrated schema (WAL,
  ``synchronous=NORMAL``, same pragmas), one transaction per vote. Next to it, the store's own vote write:
  ``VoteRecorder.submit`` on a ``Database``, sequential and 200 in flight.

The bot (Tribune or the ack-only bot) runs in a process of its own (bench/process.py), the emulator in the
bench process; each is measured on two runtime stacks from the same install: `[speed]`, the default install
(uvloop, orjson, zstd-stream gateway), and `[stock]`, plain discord.py (asyncio's loop, json, zlib-stream).

Click→ack latency is the emulator's own figure: ``CallbackRecord.elapsed`` = the monotonic time from the
moment the emulator dispatched INTERACTION_CREATE (``InteractionRecord.created``) to the moment it received
the interaction callback. Throughput is clicks divided by the wall time from the first click to the last
acknowledgement, so it includes the emulator building the click payloads (in its own process, on the other
core). Every session first runs an unmeasured warm-up round (the bot's HTTP connection pool opens then).
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord

from bench.common import (
    BENCH_SECRET,
    POLL_LABELS_FR,
    Figure,
    GroupResult,
    Stopwatch,
    check_emulator,
    create_poll,
    percentile,
    ratio_text,
    timed_group,
)
from bench.process import STACKS, BotProcess, Stack, bot_process

NAME = "votes"
REPS = 3  # fresh emulator + bot per repetition, Tribune and the ack-only bot interleaved
SEQUENTIAL_CLICKS = 300
CROWD = 200
ROUNDS = 6
STORE_VOTES = 3000
STORE_REPS = 5
STORE_IN_FLIGHT = 200
ACK_TEXT = "Vote enregistré : Oui — cliquez à nouveau pour le retirer."


# --- the ack-only bot -----------------------------------------------------------------------------------


class AckButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"bench:ack:(?P<position>\d)"):
    """A button whose callback only acknowledges, with the same ephemeral reply Tribune sends."""

    def __init__(self, position: int) -> None:
        super().__init__(discord.ui.Button(label="?", custom_id=f"bench:ack:{position}"))
        self.position = position

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str], /
    ) -> AckButton:
        return cls(int(match["position"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(ACK_TEXT, ephemeral=True)


class AckOnlyBot(discord.Client):
    """The Discord path's limit: same intents and mentions policy as Tribune, nothing else."""

    def __init__(self) -> None:
        super().__init__(intents=discord.Intents(guilds=True), allowed_mentions=discord.AllowedMentions.none())

    async def setup_hook(self) -> None:
        self.add_dynamic_items(AckButton)


def ack_only_copy(embeds: list[dict[str, Any]], components: list[dict[str, Any]]) -> dict[str, Any]:
    """Tribune's poll message with its custom ids pointed at the ack-only buttons (same payload size)."""
    text = json.dumps(components)
    text = re.sub(r"tribune:vote:\d+:(\d)", r"bench:ack:\1", text)
    text = re.sub(r"tribune:results:\d+", "bench:ack:9", text)
    return {"embeds": json.loads(json.dumps(embeds)), "components": json.loads(text)}


# --- driving clicks -------------------------------------------------------------------------------------


@dataclass
class PathRun:
    """One session's measurements (one bot process, one emulator)."""

    sequential_rate: float = 0.0
    sequential_latencies: list[float] = field(default_factory=list)
    crowd_rates: list[float] = field(default_factory=list)
    crowd_latencies: list[float] = field(default_factory=list)
    cpu_per_click: float = 0.0  # the bot process's CPU seconds per measured click
    emulator_cpu_per_click: float = 0.0  # the bench process's (emulator's) CPU seconds per measured click
    rss_kib: int = 0  # the bot process's resident memory after the session

    @property
    def sequential_crowd_seconds(self) -> float:
        """How long this bot takes to acknowledge CROWD clicks one after the other."""
        return CROWD / self.sequential_rate if self.sequential_rate else float("nan")


async def drive(emu: Any, message: Any, bot: BotProcess) -> PathRun:
    """Warm up, then sequential clicks by distinct members, then rounds of 200 simultaneous clicks."""
    run = PathRun()
    labels = POLL_LABELS_FR

    async def crowd_round(members: list[Any]) -> tuple[float, list[float]]:
        with Stopwatch() as sw:
            records = await asyncio.gather(
                *(emu.click(m, message, labels[i % len(labels)]) for i, m in enumerate(members))
            )
            responses = await asyncio.gather(*(r.wait_response(timeout=10) for r in records))
        return len(members) / sw.seconds, [r.elapsed for r in responses]

    await crowd_round(emu.add_members(CROWD, prefix="warm"))  # opens the HTTP pool; not measured
    members = emu.add_members(SEQUENTIAL_CLICKS, prefix="seq")
    cpu_before, emulator_before = bot.cpu_seconds(), time.process_time()
    with Stopwatch() as sw:
        for i, member in enumerate(members):
            record = await emu.click(member, message, labels[i % len(labels)])
            run.sequential_latencies.append((await record.wait_response(timeout=10)).elapsed)
    run.sequential_rate = len(members) / sw.seconds
    for round_number in range(ROUNDS):
        rate, latencies = await crowd_round(emu.add_members(CROWD, prefix=f"crowd{round_number}-"))
        run.crowd_rates.append(rate)
        run.crowd_latencies += latencies
    clicks = SEQUENTIAL_CLICKS + ROUNDS * CROWD
    run.cpu_per_click = (bot.cpu_seconds() - cpu_before) / clicks
    run.emulator_cpu_per_click = (time.process_time() - emulator_before) / clicks
    run.rss_kib = bot.rss_kib()
    return run


async def tribune_session(tmp: Path, stack: Stack) -> tuple[PathRun, dict[str, Any]]:
    """The real bot in its own process, default settings (2 s tally edits); returns the run and its message's look."""
    from tests.discord_emulator import DiscordEmulator

    async with DiscordEmulator() as emu:
        async with bot_process(emu, "tribune", tmp / f"tribune-{stack}.db", stack=stack) as bot:
            message = await create_poll(emu, "Trainium 2 : annonce crédible ?")
            look = ack_only_copy(message.embeds, message.components)
            run = await drive(emu, message, bot)
            if emu.rate_limited_count:
                raise RuntimeError(f"the vote path met {emu.rate_limited_count} 429s")
        check_emulator(emu, "vote path")
    return run, look


async def ack_only_session(look: dict[str, Any], tmp: Path, stack: Stack) -> PathRun:
    from tests.discord_emulator import DiscordEmulator

    async with DiscordEmulator() as emu:
        async with bot_process(emu, "ack", tmp / "unused.db", stack=stack) as bot:
            message = emu.add_message("general", embeds=look["embeds"], components=look["components"])
            run = await drive(emu, message, bot)
        check_emulator(emu, "ack-only bot")
    return run


# --- the store ------------------------------------------------------------------------------------------


async def migrated_store_with_poll(path: Path) -> int:
    """A migrated store file holding one open single-choice anonymous poll (5 answers); returns its id."""
    from db.database import Database
    from db.polls import NewPoll, PollOption, PollStore

    now = datetime.now(UTC)
    async with Database.from_path(path) as db:
        await db.migrate()
        async with db.transaction() as conn:
            poll = await PollStore(conn).create(
                NewPoll(
                    guild_id=1,
                    question="Bench ?",
                    kind="scale",
                    options=[PollOption(i, label, None) for i, label in enumerate(POLL_LABELS_FR)],
                    created_by=1,
                    created_at=now,
                    closes_at=now + timedelta(days=7),
                    channel_id=2,
                )
            )
    return poll.id


def raw_connection(path: Path) -> sqlite3.Connection:
    """Plain sqlite3 with the store's pragmas (db/database.py): WAL, synchronous=NORMAL, FKs, busy timeout."""
    conn = sqlite3.connect(path, isolation_level=None)
    for setting in ("journal_mode=WAL", "busy_timeout=5000", "foreign_keys=ON", "synchronous=NORMAL"):
        conn.execute(f"PRAGMA {setting}").fetchall()
    return conn


def raw_votes(path: Path, poll_id: int, *, like_the_store: bool) -> float:
    """Votes/s of one-transaction-per-vote INSERTs (distinct anonymous voters), plain sqlite3.

    ``like_the_store``: also the reads the store does per vote (poll row, the voter's current choices) and
    its render_pending UPDATE — what the recorder asks of SQLite, without aiosqlite's thread hops.
    """
    from bot.polls.voting import voter_key

    keys = [voter_key(BENCH_SECRET, poll_id, 10_000 + i, True) for i in range(STORE_VOTES)]
    stamp = int(time.time())
    conn = raw_connection(path)
    try:
        with Stopwatch() as sw:
            for i, key in enumerate(keys):
                conn.execute("BEGIN IMMEDIATE")
                if like_the_store:
                    conn.execute(
                        "SELECT status, closes_at, multiple, anonymous, role_id, channel_id FROM polls WHERE id = ?",
                        (poll_id,),
                    ).fetchone()
                    conn.execute(
                        "SELECT position FROM votes WHERE poll_id = ? AND voter = ?", (poll_id, key)
                    ).fetchall()
                conn.execute(
                    "INSERT INTO votes (poll_id, voter, position, voted_at) VALUES (?, ?, ?, ?)",
                    (poll_id, key, i % 5, stamp),
                )
                if like_the_store:
                    conn.execute("UPDATE polls SET render_pending = 1 WHERE id = ?", (poll_id,))
                conn.execute("COMMIT")
    finally:
        conn.close()
    return STORE_VOTES / sw.seconds


async def store_votes(store: Path | str, poll_id: int, in_flight: int, votes: int = STORE_VOTES) -> tuple[float, float]:
    """Votes/s of ``VoteRecorder.submit`` on a ``Database`` (1 = sequential), and the mean batch size.

    ``store``: a SQLite file, or a ``DATABASE_URL`` (``bench postgres`` measures PostgreSQL with it)."""
    from bot.services.recorder import VoteRecorder, VoteRequest
    from db.database import Database
    from db.location import DatabaseLocation

    async with Database(DatabaseLocation.parse(store)) if isinstance(store, str) else Database.from_path(store) as db:
        recorder = VoteRecorder(db, BENCH_SECRET, lambda: datetime.now(UTC))
        recorder.start()
        semaphore = asyncio.Semaphore(in_flight)

        async def vote(i: int) -> None:
            async with semaphore:
                outcome = await recorder.submit(VoteRequest(poll_id, 10_000 + i, i % 5))
            if not outcome.accepted:
                raise RuntimeError(f"vote refused: {outcome.refusal}")

        with Stopwatch() as sw:
            if in_flight == 1:
                for i in range(votes):
                    await vote(i)
            else:
                await asyncio.gather(*(vote(i) for i in range(votes)))
        await recorder.stop()
    return votes / sw.seconds, votes / max(recorder.batches, 1)


async def store_figures(tmp: Path) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {k: [] for k in ("raw", "raw_like", "seq", "conc", "batch")}
    for rep in range(STORE_REPS):  # raw and the store side by side in each run: the load drifts between runs
        for key, like in (("raw", False), ("raw_like", True)):
            path = tmp / f"raw-{key}-{rep}.db"
            out[key].append(raw_votes(path, await migrated_store_with_poll(path), like_the_store=like))
        for key, in_flight in (("seq", 1), ("conc", STORE_IN_FLIGHT)):
            path = tmp / f"store-{key}-{rep}.db"
            rate, batch = await store_votes(path, await migrated_store_with_poll(path), in_flight)
            out[key].append(rate)
            if in_flight > 1:
                out["batch"].append(batch)
    return out


# --- the group ------------------------------------------------------------------------------------------


async def measure() -> GroupResult:
    # runs[(bot, stack)]: one PathRun per session; sessions interleaved (Tribune, ack-only; stock, speed) per rep.
    runs: dict[tuple[str, Stack], list[PathRun]] = {(b, st): [] for b in ("tribune", "ack") for st in STACKS}
    with tempfile.TemporaryDirectory(prefix="tribune-bench-") as name:
        tmp = Path(name)
        # The store first, in a fresh process: after the sessions, the emulator's records fill the heap that
        # Python's GC walks while the recorder allocates (the raw sqlite3 loop hardly allocates at all).
        store = await store_figures(tmp)
        for rep in range(REPS):
            for stack in STACKS:
                rep_dir = tmp / f"rep{rep}-{stack}"
                rep_dir.mkdir()
                run, look = await tribune_session(rep_dir, stack)
                runs["tribune", stack].append(run)
                runs["ack", stack].append(await ack_only_session(look, rep_dir, stack))

    ms = 1000.0
    med = statistics.median
    crowd = f"{CROWD} members"

    def rates(runs_: list[PathRun], crowd_: bool) -> list[float]:
        return [r for run in runs_ for r in run.crowd_rates] if crowd_ else [run.sequential_rate for run in runs_]

    def p(runs_: list[PathRun], crowd_: bool, fraction: float) -> list[float]:
        return [ms * percentile(run.crowd_latencies if crowd_ else run.sequential_latencies, fraction) for run in runs_]

    def per_rep_rate(run: PathRun, crowd_: bool) -> float:
        return statistics.median(run.crowd_rates) if crowd_ else run.sequential_rate

    def ratio(a: list[PathRun], b: list[PathRun], crowd_: bool) -> list[float]:
        return [per_rep_rate(x, crowd_) / per_rep_rate(y, crowd_) for x, y in zip(a, b, strict=True)]

    figures: list[Figure] = []
    for stack in STACKS:
        tribune, ack = runs["tribune", stack], runs["ack", stack]
        tag = f"[{stack}]"
        seq_t, seq_a = rates(tribune, False), rates(ack, False)
        crowd_t, crowd_a = rates(tribune, True), rates(ack, True)
        p99_seq_t, p99_seq_a = p(tribune, False, 0.99), p(ack, False, 0.99)
        p99_crowd_t, p99_crowd_a = p(tribune, True, 0.99), p(ack, True, 0.99)
        # Queueing only: the 200th click of a crowd waits for the 199 before it, no more (per session).
        queueing = [ms * run.sequential_crowd_seconds for run in tribune]
        p99_over_queue = [percentile(run.crowd_latencies, 0.99) / run.sequential_crowd_seconds for run in tribune]
        judged = stack == "speed"  # the targets hold for the chosen (default) stack; stock is shown beside it
        one = Figure(
            NAME,
            f"{tag} vote path, 1 member: votes/s",
            seq_t,
            "votes/s",
            ratio=ratio_text(med(seq_t), med(seq_a), "ack"),
        )
        many = Figure(
            NAME,
            f"{tag} vote path, {crowd}: votes/s",
            crowd_t,
            "votes/s",
            ratio=ratio_text(med(crowd_t), med(crowd_a), "ack"),
        )
        p99_one = Figure(
            NAME,
            f"{tag} click→ack p99, 1 member",
            p99_seq_t,
            "ms",
            2,
            ratio=ratio_text(med(p99_seq_t), med(p99_seq_a), "ack"),
        )
        p99_many = Figure(
            NAME,
            f"{tag} click→ack p99, {crowd}",
            p99_crowd_t,
            "ms",
            1,
            ratio=ratio_text(med(p99_crowd_t), med(p99_crowd_a), "ack"),
        )
        per_one = Figure(
            NAME, f"{tag} vote path ÷ ack-only, 1 member (per session)", ratio(tribune, ack, False), "×", 2
        )
        per_many = Figure(NAME, f"{tag} vote path ÷ ack-only, {crowd} (per session)", ratio(tribune, ack, True), "×", 2)
        queue = Figure(
            NAME,
            f"{tag} p99 at {crowd} ÷ {CROWD} sequential acks (per session)",
            p99_over_queue,
            "×",
            2,
            note=f"{CROWD} sequential acks: {med(queueing):.0f} ms",
        )
        if judged:
            many.judge(lambda v: v >= 1000, "≥ 1 000 votes/s")
            p99_one.judge(lambda v: v <= 50, "≤ 50 ms")
            per_one.judge(lambda v: v >= 0.8, "≥ 0.8×")
            per_many.judge(lambda v: v >= 0.8, "≥ 0.8×")
            queue.judge(lambda v: v <= 1.2, "≤ 1.2×")
        figures += [
            one,
            many,
            Figure(NAME, f"{tag} click→ack p50, 1 member", p(tribune, False, 0.5), "ms", 2),
            p99_one,
            Figure(NAME, f"{tag} click→ack p50, {crowd}", p(tribune, True, 0.5), "ms", 1),
            p99_many,
            Figure(NAME, f"{tag} {CROWD} clicks acknowledged in sequence", queueing, "ms", 0),
            queue,
            Figure(NAME, f"{tag} bot CPU per click (Tribune)", [1e6 * r.cpu_per_click for r in tribune], "µs"),
            Figure(NAME, f"{tag} bot CPU per click (ack-only)", [1e6 * r.cpu_per_click for r in ack], "µs"),
            Figure(
                NAME,
                f"{tag} emulator CPU per click (Tribune's sessions)",
                [1e6 * r.emulator_cpu_per_click for r in tribune],
                "µs",
            ),
            Figure(
                NAME,
                f"{tag} emulator CPU per click (ack-only sessions)",
                [1e6 * r.emulator_cpu_per_click for r in ack],
                "µs",
            ),
            Figure(NAME, f"{tag} bot RSS after the session (Tribune)", [r.rss_kib / 1024 for r in tribune], "MiB", 1),
            Figure(NAME, f"{tag} ceiling (a) ack-only bot, 1 member: votes/s", seq_a, "votes/s"),
            Figure(NAME, f"{tag} ceiling (a) ack-only bot, {crowd}: votes/s", crowd_a, "votes/s"),
            Figure(NAME, f"{tag} ceiling (a) ack-only click→ack p99, 1 member", p99_seq_a, "ms", 2),
            Figure(NAME, f"{tag} ceiling (a) ack-only click→ack p99, {crowd}", p99_crowd_a, "ms", 1),
            per_one,
            per_many,
        ]
    speed_t, stock_a = runs["tribune", "speed"], runs["ack", "stock"]
    figures += [
        Figure(
            NAME,
            f"vote path [speed] ÷ plain discord.py ack-only [stock], {crowd} (per session)",
            ratio(speed_t, stock_a, True),
            "×",
            2,
        ).judge(lambda v: v >= 1.5, "≥ 1.5×"),
        Figure(
            NAME,
            "vote path [speed] ÷ plain discord.py ack-only [stock], 1 member (per session)",
            ratio(speed_t, stock_a, False),
            "×",
            2,
        ),
    ]
    raw = med(store["raw"])

    def per_run(key: str) -> list[float]:
        return [rate / base for rate, base in zip(store[key], store["raw"], strict=True)]

    figures += [
        Figure(NAME, "ceiling (b) raw SQLite vote INSERT, 1 txn/vote", store["raw"], "votes/s"),
        Figure(
            NAME,
            "raw SQLite, the store's 4 statements, 1 txn/vote",
            store["raw_like"],
            "votes/s",
            ratio=ratio_text(med(store["raw_like"]), raw, "raw"),
        ),
        Figure(
            NAME,
            "store VoteRecorder.submit, sequential",
            store["seq"],
            "votes/s",
            ratio=ratio_text(med(store["seq"]), raw, "raw"),
        ),
        Figure(
            NAME,
            f"store VoteRecorder.submit, {STORE_IN_FLIGHT} in flight",
            store["conc"],
            "votes/s",
            ratio=ratio_text(med(store["conc"]), raw, "raw"),
        ),
        Figure(NAME, "store sequential ÷ raw SQLite (per run)", per_run("seq"), "×", 2).judge(
            lambda v: v >= 0.5, "≥ 0.5×"
        ),
        Figure(NAME, f"store {STORE_IN_FLIGHT} in flight ÷ raw SQLite (per run)", per_run("conc"), "×", 2).judge(
            lambda v: v >= 0.5, "≥ 0.5×"
        ),
    ]
    notes = [
        "Each bot runs in its own process (bench/process.py), the emulator in the bench process: the figures are "
        "the bot's, the emulator's CPU and GC no longer share its event loop. `[speed]` = the default install "
        "(uvloop, orjson, zstd-stream gateway); `[stock]` = plain discord.py from the same install (asyncio's "
        "loop, json, zlib-stream; bench/process.py hides the modules from the child). Targets are judged on "
        "`[speed]`.",
        f"Vote path: {REPS} repetitions, each running Tribune then the ack-only bot on `[stock]` then on `[speed]` "
        f"(fresh emulator, bot process and store per session), each session {SEQUENTIAL_CLICKS} sequential "
        f"clicks then {ROUNDS} rounds of {CROWD} simultaneous clicks by fresh members, after one unmeasured warm-up "
        f"round. 1-member figures: one sample per session; {CROWD}-member throughput: one sample per round; "
        "latency percentiles: per session, over all its clicks. Default tally edit interval (2 s). "
        "`× ack` = Tribune's median ÷ the ack-only bot's median on the same stack in the same run.",
        f"`p99 ÷ {CROWD} sequential acks`: the p99 click→ack of a {CROWD}-click crowd divided by the time the same "
        f"bot (same session) takes to acknowledge {CROWD} clicks one after the other (from its 1-member rate): "
        "≤ 1.2× means the crowd only queues, it does not stall.",
        "Latency = CallbackRecord.elapsed (emulator dispatch of INTERACTION_CREATE → interaction callback received). "
        "Bot CPU per click = the child's utime+stime over the measured clicks (warm-up excluded) ÷ clicks; "
        "emulator CPU per click = the bench process's CPU time (time.process_time: the emulator and the driving "
        "clicks) over the same clicks: on 2 cores, whichever of the two is larger bounds the crowd throughput.",
        f"Store: {STORE_VOTES} distinct anonymous voters per run on a freshly migrated file, {STORE_REPS} runs, each "
        "running raw SQLite then the store (ratios per run: the machine's load drifts between runs); mean "
        f"group-commit batch at {STORE_IN_FLIGHT} in flight: {statistics.median(store['batch']):.0f} votes.",
    ]
    return GroupResult(NAME, figures, notes)


def run() -> GroupResult:
    return timed_group(measure, harness_on_uvloop=True)


if __name__ == "__main__":
    import sys

    from bench.__main__ import main

    raise SystemExit(main([NAME, *sys.argv[1:]]))
