"""Large deployments: vote writes on PostgreSQL next to SQLite and raw asyncpg, two processes against one,
and background jobs under kill/restart.

* Ceiling: raw asyncpg — the same vote INSERT on the migrated schema (its triggers included), one transaction
  per vote, 200 in flight over a pool, at the store's durability (``fsync=on``, ``synchronous_commit=on``:
  COMMIT returns once the WAL is on disk; PostgreSQL flushes concurrent commits together).
* The store: ``VoteRecorder.submit`` on a PostgreSQL ``Database``, 200 in flight (group commit: one
  transaction per batch), and the same on SQLite for comparison.
* Processes: ``bench/pg_worker.py votes`` processes, each casting votes through its own ``VoteRecorder`` on
  its own poll (a shard's servers), started together; throughput = all votes ÷ (last end − first start).
* Kill/restart: two ``bench/pg_worker.py jobs`` processes run the poll-closing and owed-results jobs on the
  real store API; each cycle makes polls due, SIGKILLs one worker at a random moment and restarts it; at the
  end every poll must be closed with its results posted exactly once.

The PostgreSQL server is the tests' throw-away one (tests/postgres_server.py), here with fsync on.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import POLL_LABELS_FR, REPO_ROOT, Figure, GroupResult, Stopwatch, ratio_text, timed_group

NAME = "postgres"
REPS = 3
VOTES = 3000
IN_FLIGHT = 200
PROCESS_VOTES = 12000
CYCLES = 20
POLLS_PER_CYCLE = 10


def new_bench_poll(created_at: datetime | None = None):  # type: ignore[no-untyped-def]
    """An open anonymous single-choice poll of 5 answers; `created_at` two hours ago makes it due already."""
    from db.polls import NewPoll, PollOption

    start = created_at or datetime.now(UTC)
    duration = timedelta(hours=1) if created_at else timedelta(days=7)
    return NewPoll(
        guild_id=1,
        question="Bench ?",
        kind="scale",
        options=[PollOption(i, label, None) for i, label in enumerate(POLL_LABELS_FR)],
        created_by=1,
        created_at=start,
        closes_at=start + duration,
        channel_id=2,
    )


async def new_store(server, with_poll: bool = True) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    """A migrated database on the server, with one open poll; returns its URL and the poll id."""
    from db.database import Database
    from db.location import DatabaseLocation
    from db.polls import PollStore

    url = await server.create_database()
    async with Database(DatabaseLocation.parse(url)) as db:
        await db.migrate()
        poll_id = 0
        if with_poll:
            async with db.transaction() as conn:
                poll_id = (await PollStore(conn).create(new_bench_poll())).id
    return url, poll_id


async def raw_asyncpg(url: str, poll_id: int) -> float:
    import asyncpg

    pool = await asyncpg.create_pool(url, min_size=20, max_size=20)
    now = int(datetime.now(UTC).timestamp())

    async def insert(i: int) -> None:
        async with pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO votes (poll_id, voter, position, voted_at) VALUES ($1, $2, $3, $4)",
                poll_id,
                f"raw{i}",
                i % 5,
                now,
            )

    semaphore = asyncio.Semaphore(IN_FLIGHT)

    async def bounded(i: int) -> None:
        async with semaphore:
            await insert(i)

    with Stopwatch() as sw:
        await asyncio.gather(*(bounded(i) for i in range(VOTES)))
    await pool.close()
    return VOTES / sw.seconds


async def recorder_rate(url: str, poll_id: int) -> float:
    from bot.services.recorder import VoteRecorder, VoteRequest
    from db.database import Database
    from db.location import DatabaseLocation

    async with Database(DatabaseLocation.parse(url)) as db:
        recorder = VoteRecorder(db, b"b" * 32, lambda: datetime.now(UTC))
        recorder.start()
        semaphore = asyncio.Semaphore(IN_FLIGHT)

        async def vote(i: int) -> None:
            async with semaphore:
                outcome = await recorder.submit(VoteRequest(poll_id, 10_000 + i, i % 5))
            if not outcome.accepted:
                raise RuntimeError(outcome.refusal)

        with Stopwatch() as sw:
            await asyncio.gather(*(vote(i) for i in range(VOTES)))
        await recorder.stop()
    return VOTES / sw.seconds


async def sqlite_rate(tmp: Path, rep: int) -> float:
    from bench.votes import migrated_store_with_poll

    path = tmp / f"sqlite-{rep}.db"
    poll_id = await migrated_store_with_poll(path)
    return await recorder_rate(f"sqlite:///{path}", poll_id)


def worker(*args: str) -> asyncio.subprocess.Process:
    return asyncio.create_subprocess_exec(  # type: ignore[return-value]
        sys.executable,
        "-m",
        "bench.pg_worker",
        *args,
        cwd=REPO_ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )


async def processes_rate(server, count: int) -> float:  # type: ignore[no-untyped-def]
    """Votes/s of `count` processes voting at once, each on its own poll of one shared store."""
    from db.database import Database
    from db.location import DatabaseLocation
    from db.polls import PollStore

    url, _ = await new_store(server, with_poll=False)
    async with Database(DatabaseLocation.parse(url)) as db, db.transaction() as conn:
        polls = [(await PollStore(conn).create(new_bench_poll())).id for _ in range(count)]
    per_process = PROCESS_VOTES // count
    workers = [await worker("votes", url, str(p), str(per_process), str(IN_FLIGHT)) for p in polls]
    for proc in workers:
        assert proc.stdout is not None
        assert (await proc.stdout.readline()).strip() == b"READY"
    for proc in workers:
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        await proc.stdin.drain()
    spans = []
    for proc in workers:
        assert proc.stdout is not None
        _, start, end = (await proc.stdout.readline()).decode().split()
        spans.append((float(start), float(end)))
        await proc.wait()
    return per_process * count / (max(e for _, e in spans) - min(s for s, _ in spans))


async def kill_restart_cycles(server) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """(polls, polls closed with results posted exactly once, duplicate posts) after CYCLES kill/restarts."""
    from db.database import Database
    from db.location import DatabaseLocation
    from db.polls import PollStore

    url, _ = await new_store(server, with_poll=False)
    rng = random.Random(16)
    workers = [await worker("jobs", url) for _ in range(2)]
    for proc in workers:
        assert proc.stdout is not None and (await proc.stdout.readline()).strip() == b"READY"
    all_polls: list[int] = []
    async with Database(DatabaseLocation.parse(url)) as db:
        for _ in range(CYCLES):
            async with db.transaction() as conn:
                store = PollStore(conn)
                # Created already due: their deadline passed a moment ago.
                start = datetime.now(UTC) - timedelta(hours=2)
                new = [(await store.create(new_bench_poll(created_at=start))).id for _ in range(POLLS_PER_CYCLE)]
            all_polls += new
            await asyncio.sleep(rng.uniform(0.0, 0.15))
            victim = rng.randrange(2)
            workers[victim].kill()  # SIGKILL, wherever it was
            await workers[victim].wait()
            workers[victim] = await worker("jobs", url)
            stdout = workers[victim].stdout
            assert stdout is not None and (await stdout.readline()).strip() == b"READY"
        for _ in range(200):  # every job done (a killed worker's claims expire after 2 s)
            async with db.read() as conn, conn.execute(
                "SELECT count(*) FROM polls WHERE status != 'closed' OR results_pending = 1"
            ) as cur:
                if (await cur.fetchone())[0] == 0:  # type: ignore[index]
                    break
            await asyncio.sleep(0.1)
        for proc in workers:
            proc.kill()
            await proc.wait()
        async with db.read() as conn, conn.execute(
            "SELECT target, count(*) FROM audit_log WHERE action = 'bench.results' GROUP BY target"
        ) as cur:
            posts = {r[0]: r[1] for r in await cur.fetchall()}
        async with db.read() as conn, conn.execute(
            "SELECT count(*) FROM polls WHERE status = 'closed' AND results_pending = 0"
        ) as cur:
            done = (await cur.fetchone())[0]  # type: ignore[index]
    once = sum(1 for p in all_polls if posts.get(f"t{p}") == 1)
    duplicates = sum(n - 1 for n in posts.values() if n > 1)
    return len(all_polls), min(once, done), duplicates


async def measure() -> GroupResult:
    from tests.postgres_server import running_server

    out: dict[str, list[float]] = {k: [] for k in ("raw", "pg", "sqlite", "one", "two")}
    with running_server(fsync=True) as server, tempfile.TemporaryDirectory(prefix="tribune-bench-") as name:
        if server is None:
            raise SystemExit("bench postgres: PostgreSQL is not installed (apt-get install postgresql)")
        for rep in range(REPS):
            url, poll = await new_store(server)
            out["raw"].append(await raw_asyncpg(url, poll))
            url, poll = await new_store(server)
            out["pg"].append(await recorder_rate(url, poll))
            out["sqlite"].append(await sqlite_rate(Path(name), rep))
            out["one"].append(await processes_rate(server, 1))
            out["two"].append(await processes_rate(server, 2))
        polls, once, duplicates = await kill_restart_cycles(server)

    med = statistics.median
    raw = med(out["raw"])
    per_rep = [two / one for one, two in zip(out["one"], out["two"], strict=True)]
    figures = [
        Figure(NAME, f"ceiling: raw asyncpg vote INSERT, 1 txn/vote, {IN_FLIGHT} in flight", out["raw"], "votes/s"),
        Figure(
            NAME,
            f"store VoteRecorder.submit on PostgreSQL, {IN_FLIGHT} in flight",
            out["pg"],
            "votes/s",
            ratio=ratio_text(med(out["pg"]), raw, "raw"),
        ).judge(lambda v: v >= 0.5 * raw, "≥ 0.5× raw asyncpg"),
        Figure(NAME, f"store VoteRecorder.submit on SQLite, {IN_FLIGHT} in flight", out["sqlite"], "votes/s"),
        Figure(NAME, "1 process voting (PostgreSQL store)", out["one"], "votes/s"),
        Figure(NAME, "2 processes voting, one store (aggregate)", out["two"], "votes/s"),
        Figure(NAME, "2 processes ÷ 1 process (per run)", per_rep, "×", 2).judge(lambda v: v >= 1.6, "≥ 1.6×"),
        Figure(NAME, f"kill/restart: duplicate posts in {CYCLES} cycles", [float(duplicates)], "").judge(
            lambda v: v == 0, "0"
        ),
        Figure(NAME, f"kill/restart: polls closed, results posted once (of {polls})", [float(once)], "").judge(
            lambda v: v == polls, f"{polls}"
        ),
    ]
    notes = [
        f"{VOTES} distinct anonymous voters per run, {REPS} runs, a fresh database each; PostgreSQL 15 on this "
        "machine (127.0.0.1), fsync on, synchronous_commit on; the bench and the server share the 2 cores.",
        f"Processes: {PROCESS_VOTES} votes in total per run, split across the processes, "
        f"{IN_FLIGHT} in flight in each.",
        f"Kill/restart: {CYCLES} cycles of {POLLS_PER_CYCLE} due polls, 2 job workers, one SIGKILLed per cycle at a "
        "random moment (0–150 ms after the polls became due) and restarted.",
    ]
    return GroupResult(NAME, figures, notes)


def run() -> GroupResult:
    return timed_group(measure)


if __name__ == "__main__":
    from bench.__main__ import main

    raise SystemExit(main([NAME, *sys.argv[1:]]))
