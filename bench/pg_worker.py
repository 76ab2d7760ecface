"""A bench worker process for ``bench/postgres.py``: ``python -m bench.pg_worker votes|jobs URL …``.

``votes URL POLL_ID COUNT IN_FLIGHT``: connects, prints READY, waits for a line on stdin, then casts COUNT votes
through ``VoteRecorder`` (IN_FLIGHT at once) and prints ``DONE start end cpu`` (wall-clock seconds, and the
user + system CPU seconds the process spent between them).

``jobs URL``: the background jobs of the bot on the real store API, in a loop, until killed: claim due polls
and close them, claim owed results and post each once (a post is an audit row carrying the close's token; a
post already there is recognised, as the bot recognises its own message), as a restarted process would.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime

from db.audit import AuditStore
from db.database import Database
from db.location import DatabaseLocation
from db.polls import PollStore

SECRET = b"bench-secret-bench-secret-bench!"


async def votes(url: str, poll_id: int, count: int, in_flight: int) -> None:
    from bot.services.recorder import VoteRecorder, VoteRequest

    async with Database(DatabaseLocation.parse(url), pool_size=4) as db:
        recorder = VoteRecorder(db, SECRET, lambda: datetime.now(UTC))
        recorder.start()
        semaphore = asyncio.Semaphore(in_flight)
        offset = poll_id * 1_000_000

        async def vote(i: int) -> None:
            async with semaphore:
                outcome = await recorder.submit(VoteRequest(poll_id, offset + i, i % 5))
            if not outcome.accepted:
                raise RuntimeError(outcome.refusal)

        print("READY", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        start, cpu_start = datetime.now(UTC).timestamp(), cpu_seconds()
        await asyncio.gather(*(vote(i) for i in range(count)))
        end, cpu = datetime.now(UTC).timestamp(), cpu_seconds() - cpu_start
        await recorder.stop()
    print(f"DONE {start} {end} {cpu}", flush=True)


def cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


async def jobs(url: str) -> None:
    import db.polls

    db.polls.CLOSE_CLAIM_SECONDS = 2  # a killed closer's results are free after 2 s, not 2 min: 20 cycles fit
    holder = f"bench:{os.getpid()}"
    async with Database(DatabaseLocation.parse(url), pool_size=4) as db:
        print("READY", flush=True)
        while True:
            now = datetime.now(UTC)
            async with db.transaction() as conn:
                due = await PollStore(conn).claim_due(now, holder, 2)
            for poll_id in due:
                async with db.transaction() as conn:
                    await PollStore(conn).close(poll_id, now, results_token=f"t{poll_id}", holder=holder)
            async with db.transaction() as conn:
                owed = await PollStore(conn).claim_pending_results(now, holder, 2)
            for item in owed:
                async with (
                    db.read() as conn,
                    conn.execute(
                        "SELECT id FROM audit_log WHERE action = 'bench.results' AND target = ?", (item.token,)
                    ) as cur,
                ):
                    posted = await cur.fetchone()
                if posted is None:  # "post" the final results (outside any transaction, like a Discord post)
                    async with db.transaction() as conn:
                        await AuditStore(conn).record(0, 0, "bench.results", now, item.token)
                async with db.transaction() as conn:
                    await PollStore(conn).results_delivered(item.poll_id, 1)
            await asyncio.sleep(0.01)


if __name__ == "__main__":
    kind, rest = sys.argv[1], sys.argv[2:]
    if kind == "votes":
        asyncio.run(votes(rest[0], int(rest[1]), int(rest[2]), int(rest[3])))
    else:
        asyncio.run(jobs(rest[0]))
