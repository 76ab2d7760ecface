"""Large deployments: vote writes on PostgreSQL next to SQLite and raw asyncpg, two processes against one,
and background jobs under kill/restart.

* Ceiling: raw asyncpg — the same vote INSERT on the migrated schema (its triggers included), one transaction
  per vote, 200 in flight over a pool, at the store's durability (``fsync=on``, ``synchronous_commit=on``:
  COMMIT returns once the WAL is on disk; PostgreSQL flushes concurrent commits together).
* The store: ``VoteRecorder.submit`` on a PostgreSQL ``Database``, 200 in flight (group commit: one
  transaction per batch), and the same on SQLite for comparison.
* The vote path in processes (bench/shards.py): the real bot as one child process owning shards 0-1 of 2, or
  two (shard 0, shard 1), on one PostgreSQL, against the emulator in the bench process; crowds click on a
  server of each shard. Beside the rates, the CPU seconds of every process (/proc) and so the CPU-bound
  ceiling of the two-process ratio on this machine.
* Store level: ``bench/pg_worker.py votes`` processes, each casting votes through its own ``VoteRecorder`` on
  its own poll (a shard's servers), started together; throughput = all votes ÷ (last end − first start);
  the same CPU accounting.
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

from bench.common import (
    POLL_LABELS_FR,
    REPO_ROOT,
    Figure,
    GroupResult,
    Stopwatch,
    core_count,
    ratio_text,
    timed_group,
)
from bench.shards import CLICKS_PER_SERVER, WARM_UP_PER_SERVER, CpuMeter, CpuUse, vote_path_runs
from bench.shards import IN_FLIGHT as SHARD_IN_FLIGHT

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
    from bench.votes import store_votes

    rate, _ = await store_votes(url, poll_id, IN_FLIGHT, VOTES)
    return rate


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


async def processes_rate(server, count: int) -> tuple[float, CpuUse]:  # type: ignore[no-untyped-def]
    """Votes/s of `count` processes voting at once, each on its own poll of one shared store, and the CPU used."""
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
    # The workers report their own CPU (they exit before the bench could read their /proc entry).
    meter = CpuMeter(trees={"postgres": server.pid}, own={"bench": os.getpid()})
    meter.start()
    for proc in workers:
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        await proc.stdin.drain()
    spans, worker_cpu = [], {}
    for i, proc in enumerate(workers):
        assert proc.stdout is not None
        _, start, end, cpu = (await proc.stdout.readline()).decode().split()
        spans.append((float(start), float(end)))
        worker_cpu[f"worker{i}"] = float(cpu)
    wall = max(e for _, e in spans) - min(s for s, _ in spans)
    use = meter.stop(per_process * count, wall)
    for proc in workers:
        await proc.wait()
    return per_process * count / wall, CpuUse({**use.seconds, **worker_cpu}, use.votes, wall, use.machine)


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
            async with (
                db.read() as conn,
                conn.execute("SELECT count(*) FROM polls WHERE status != 'closed' OR results_pending = 1") as cur,
            ):
                if (await cur.fetchone())[0] == 0:  # type: ignore[index]
                    break
            await asyncio.sleep(0.1)
        for proc in workers:
            proc.kill()
            await proc.wait()
        async with (
            db.read() as conn,
            conn.execute(
                "SELECT target, count(*) FROM audit_log WHERE action = 'bench.results' GROUP BY target"
            ) as cur,
        ):
            posts = {r[0]: r[1] for r in await cur.fetchall()}
        async with (
            db.read() as conn,
            conn.execute("SELECT count(*) FROM polls WHERE status = 'closed' AND results_pending = 0") as cur,
        ):
            done = (await cur.fetchone())[0]  # type: ignore[index]
    once = sum(1 for p in all_polls if posts.get(f"t{p}") == 1)
    duplicates = sum(n - 1 for n in posts.values() if n > 1)
    return len(all_polls), min(once, done), duplicates


Run = tuple[float, CpuUse]  # votes/s and the CPU it took


def scaling_figures(
    what: str, one: list[Run], two: list[Run], parts: dict[str, str], cores: int, *, discord: str | None = None
) -> tuple[list[Figure], str]:
    """Rates of one and two processes, their ratio, CPU per vote (by participant) and the CPU-bound ceiling.

    `parts` maps a participant name prefix (``bot``, ``postgres``…) to how the breakdown names it; `discord`
    names the participant playing Discord, whose CPU a real deployment does not spend (a second ceiling).
    """
    med = statistics.median

    def breakdown(runs: list[Run]) -> str:
        return " + ".join(f"{label} {med(u.share_ms(prefix) for _, u in runs):.2f}" for prefix, label in parts.items())

    def machine(runs: list[Run]) -> str:
        return f"machine (all work) {med(u.machine / u.wall for _, u in runs):.2f} of {cores}"

    ratio = [t / o for (o, _), (t, _) in zip(one, two, strict=True)]
    # Two processes at best: every core busy at the two-process CPU cost per vote, against one process's rate.
    ceiling = [u.ceiling_rate(cores) / o for (o, _), (_, u) in zip(one, two, strict=True)]
    without_discord = ""
    if discord:
        alone = [u.ceiling_rate(cores, leaving_out=discord) / o for (o, _), (_, u) in zip(one, two, strict=True)]
        without_discord = f"{med(alone):.2f}× without the {parts[discord]}'s CPU"
    busy_one, busy_two = med(u.total / u.wall for _, u in one), med(u.total / u.wall for _, u in two)
    machine_two = med(u.machine / u.wall for _, u in two)
    busiest = med(max(u.seconds.values()) / u.wall for _, u in one)
    bound = "CPU-bound" if busiest >= 0.9 else "it waits: not CPU-bound"
    verdict = (
        f"{what}, 2 ÷ 1: {med(ratio):.2f}× ({min(ratio):.2f}–{max(ratio):.2f}×), the 1.6× target is "
        f"{'met' if med(ratio) >= 1.6 else 'missed'}. One process keeps {busy_one:.2f} of {cores} cores busy, its "
        f"busiest process {busiest:.2f} core ({bound}); two keep "
        f"{busy_two:.2f} busy ({machine_two:.2f} machine-wide), at "
        f"{med(u.per_vote_ms for _, u in two):.2f} ms CPU per vote ({breakdown(two)}), so {cores} cores allow at "
        f"most {med(ceiling):.2f}× the one-process rate{f' ({without_discord})' if without_discord else ''}."
    )
    figures = [
        Figure(NAME, f"{what}: 1 process", [r for r, _ in one], "votes/s"),
        Figure(NAME, f"{what}: 2 processes (aggregate)", [r for r, _ in two], "votes/s"),
        Figure(
            NAME,
            f"{what}: 2 processes ÷ 1 (per run)",
            ratio,
            "×",
            2,
            ratio=ratio_text(med(ratio), med(ceiling), "CPU-bound ceiling"),
        ).judge(lambda v: v >= 1.6, "≥ 1.6×"),
        Figure(
            NAME, f"{what}: CPU per vote, 1 process", [u.per_vote_ms for _, u in one], "ms", 2, ratio=breakdown(one)
        ),
        Figure(
            NAME, f"{what}: CPU per vote, 2 processes", [u.per_vote_ms for _, u in two], "ms", 2, ratio=breakdown(two)
        ),
        Figure(
            NAME,
            f"{what}: cores busy, 1 process",
            [u.total / u.wall for _, u in one],
            f"of {cores}",
            2,
            ratio=machine(one),
        ),
        Figure(
            NAME,
            f"{what}: cores busy, 2 processes",
            [u.total / u.wall for _, u in two],
            f"of {cores}",
            2,
            ratio=machine(two),
        ),
        Figure(
            NAME,
            f"{what}: CPU-bound ceiling of 2 ÷ 1 ({cores} cores ÷ CPU per vote)",
            ceiling,
            "×",
            2,
            ratio=without_discord,
        ).judge(lambda v: v >= 1.6, "≥ 1.6× (can the target be met here?)"),
    ]
    return figures, verdict


async def measure() -> GroupResult:
    from tests.postgres_server import running_server

    out: dict[str, list[float]] = {k: [] for k in ("raw", "pg", "sqlite")}
    store_runs: dict[str, list[Run]] = {"one": [], "two": []}
    with running_server(fsync=True) as server, tempfile.TemporaryDirectory(prefix="tribune-bench-") as name:
        if server is None:
            raise SystemExit("bench postgres: PostgreSQL is not installed (apt-get install postgresql)")
        for rep in range(REPS):
            url, poll = await new_store(server)
            out["raw"].append(await raw_asyncpg(url, poll))
            url, poll = await new_store(server)
            out["pg"].append(await recorder_rate(url, poll))
            out["sqlite"].append(await sqlite_rate(Path(name), rep))
            store_runs["one"].append(await processes_rate(server, 1))
            store_runs["two"].append(await processes_rate(server, 2))
        path_runs = await vote_path_runs(server, REPS, Path(name) / "bots.log")
        polls, once, duplicates = await kill_restart_cycles(server)

    med = statistics.median
    raw = med(out["raw"])
    cores = core_count()
    path_figures, path_verdict = scaling_figures(
        "Vote path, bot processes",
        path_runs["one"],
        path_runs["two"],
        {"bot": "bots", "emulator": "emulator", "postgres": "PostgreSQL"},
        cores,
        discord="emulator",
    )
    store_figures, store_verdict = scaling_figures(
        "Store level, pg_worker processes",
        store_runs["one"],
        store_runs["two"],
        {"worker": "workers", "postgres": "PostgreSQL", "bench": "bench"},
        cores,
    )
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
        *path_figures,
        *store_figures,
        Figure(NAME, f"kill/restart: duplicate posts in {CYCLES} cycles", [float(duplicates)], "").judge(
            lambda v: v == 0, "0"
        ),
        Figure(NAME, f"kill/restart: polls closed, results posted once (of {polls})", [float(once)], "").judge(
            lambda v: v == polls, f"{polls}"
        ),
    ]
    notes = [
        path_verdict,
        store_verdict,
        f"{VOTES} distinct anonymous voters per run, {REPS} runs, a fresh database each; PostgreSQL 15 on this "
        "machine (127.0.0.1), fsync on, synchronous_commit on; the bench and the server share the 2 cores.",
        f"Vote path: the real bot as child processes (tests/e2e/child_bot.py) on one PostgreSQL database, either "
        f"one process owning shards 0-1 of 2 or two processes (shard 0, shard 1), default tally edits (2 s); the "
        f"emulator in the bench process with one server on each shard; per run a fresh poll on each server, "
        f"{WARM_UP_PER_SERVER} unmeasured warm-up clicks per server, then {CLICKS_PER_SERVER} distinct members "
        f"per server clicking, interleaved, {SHARD_IN_FLIGHT} clicks in flight; {REPS} runs of each, alternating "
        "which goes first.",
        f"Store level: {PROCESS_VOTES} votes in total per run, split across the bench/pg_worker.py processes, "
        f"{IN_FLIGHT} in flight in each.",
        "CPU per vote: user + system CPU seconds (/proc/<pid>/stat) of every process involved over the measured "
        "stretch ÷ votes; the breakdown after it is in ms per vote. PostgreSQL = the postmaster and all its "
        "backends. CPU-bound ceiling of 2 ÷ 1 = (cores ÷ CPU per vote of the two-process run) ÷ the one-process "
        "rate of the same run. Cores busy = those processes' CPU seconds ÷ wall seconds; `machine (all work)` = "
        "the whole machine's busy time (/proc/stat) over the same stretch: other work shares the same cores.",
        f"Kill/restart: {CYCLES} cycles of {POLLS_PER_CYCLE} due polls, 2 job workers, one SIGKILLed per cycle at a "
        "random moment (0–150 ms after the polls became due) and restarted.",
    ]
    return GroupResult(NAME, figures, notes)


def run() -> GroupResult:
    return timed_group(measure)


if __name__ == "__main__":
    from bench.__main__ import main

    raise SystemExit(main([NAME, *sys.argv[1:]]))
