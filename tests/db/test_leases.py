"""Background work exactly once across processes: job leases, row claims, the tally's render version.
Each test runs on SQLite and on PostgreSQL; two "processes" are two holders (and, on PostgreSQL, two
connections claiming at the same moment)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from db.database import Database, DatabaseError
from db.feeds import FeedStore
from db.leases import LeaseStore, SingleProcessLock
from db.polls import CLOSE_CLAIM_SECONDS, PollStore
from tests.conftest import NOW, REPO_ROOT
from tests.db.test_polls_store import new_poll

TTL = timedelta(seconds=30)


async def test_a_job_lease_is_held_by_one_process_until_it_expires_or_is_released(db: Database) -> None:
    async with db.transaction() as conn:
        leases = LeaseStore(conn)
        assert await leases.claim("digest", "a", TTL, NOW)
        assert not await leases.claim("digest", "b", TTL, NOW + timedelta(seconds=10))
        assert await leases.claim("digest", "a", TTL, NOW + timedelta(seconds=20))  # renewal pushes it on
        assert not await leases.claim("digest", "b", TTL, NOW + timedelta(seconds=40))
        assert await leases.holder_of("digest", NOW + timedelta(seconds=40)) == "a"
        # "a" was killed: it stops renewing, and "b" takes the job once the lease ran out.
        assert await leases.claim("digest", "b", TTL, NOW + timedelta(seconds=51))
        assert await leases.claim("feeds", "a", TTL, NOW)  # jobs are independent
        assert not await leases.release("digest", "a") and await leases.release("digest", "b")
        assert await leases.claim("digest", "a", TTL, NOW + timedelta(seconds=52))


async def test_due_polls_are_claimed_by_one_holder_and_taken_over_after_its_lease(db: Database) -> None:
    async with db.transaction() as conn:
        ids = [(await PollStore(conn).create(new_poll(question=f"Q{i} ?"))).id for i in range(6)]
    late = NOW + timedelta(days=8)

    async def claim(holder: str, when: timedelta = timedelta()) -> list[int]:
        async with db.transaction() as conn:
            return await PollStore(conn).claim_due(late + when, holder, 60)

    assert await claim("a") == ids
    assert await claim("b") == []  # a's claims are live
    assert await claim("a") == ids  # its own claims come back to it (a retried pass)
    async with db.transaction() as conn:
        assert await PollStore(conn).close(ids[0], late, results_token="t0", holder="a")
    assert await claim("b", timedelta(seconds=61)) == ids[1:]  # a died: b takes what is still open


async def test_concurrent_claims_split_the_due_polls_without_overlap(db: Database) -> None:
    async with db.transaction() as conn:
        ids = {(await PollStore(conn).create(new_poll(question=f"Q{i} ?"))).id for i in range(40)}
    late = NOW + timedelta(days=8)

    async def claim(holder: str) -> list[int]:
        async with db.transaction() as conn:
            found = await PollStore(conn).claim_due(late, holder, 60, limit=25)
            await asyncio.sleep(0.02)  # both claims are open at once on PostgreSQL
            return found

    first, second = await asyncio.gather(claim("a"), claim("b"))
    assert not set(first) & set(second)
    assert set(first) | set(second) == ids or (len(first) == 25 and len(second) == 15)


async def test_owed_results_stay_with_the_closing_process_then_free_for_others(db: Database) -> None:
    async with db.transaction() as conn:
        poll_id = (await PollStore(conn).create(new_poll())).id
        assert await PollStore(conn).close(poll_id, NOW, results_token="tok", holder="a")
    async with db.transaction() as conn:
        store = PollStore(conn)
        assert await store.claim_pending_results(NOW, "b", 60) == []
        assert [p.token for p in await store.claim_pending_results(NOW, "a", 60)] == ["tok"]
        later = NOW + timedelta(seconds=CLOSE_CLAIM_SECONDS + 61)
        assert [p.poll_id for p in await store.claim_pending_results(later, "b", 60)] == [poll_id]
        await store.results_delivered(poll_id, 123)
        assert await store.claim_pending_results(later + timedelta(hours=1), "c", 60) == []


async def test_a_render_never_replaces_a_newer_one(db: Database) -> None:
    async with db.transaction() as conn:
        poll_id = (await PollStore(conn).create(new_poll())).id
        await PollStore(conn).mark_render_pending(poll_id)
        old, _ = await PollStore(conn).tally_version(poll_id)  # process A reads the tally…
        await PollStore(conn).mark_render_pending(poll_id)  # …a vote lands…
        new, _ = await PollStore(conn).tally_version(poll_id)  # …process B reads the newer one
        assert new == old + 1
        assert await PollStore(conn).mark_rendered(poll_id, new)  # B's edit is recorded first
        assert not await PollStore(conn).mark_rendered(poll_id, old)  # A's older render loses: it renders again
        assert await PollStore(conn).tally_version(poll_id) == (new, new)
        assert await PollStore(conn).render_pending() == []
        await PollStore(conn).mark_render_pending(poll_id)
        assert await PollStore(conn).render_pending() == [poll_id]


async def test_due_feeds_are_taken_once_and_only_for_the_processs_shards(db: Database) -> None:
    on_shard = {0: 0, 1: 1 << 22, 3: 3 << 22}  # guild ids routed to shards 0, 1 and 3 of 4
    async with db.transaction() as conn:
        feeds = {s: await FeedStore(conn).add(g, 10, f"https://ex.org/{s}.xml", 42, NOW) for s, g in on_shard.items()}
    due = NOW + timedelta(hours=1)
    async with db.transaction() as conn:
        taken = await FeedStore(conn).claim_due(due, 300, shards=((0, 1), 4))
        assert [f.id for f in taken] == [feeds[0].id, feeds[1].id]  # type: ignore[union-attr]
        assert await FeedStore(conn).claim_due(due, 300, shards=((0, 1), 4)) == []  # taken: not due for anyone
        assert [f.id for f in await FeedStore(conn).claim_due(due, 300)] == [feeds[3].id]  # type: ignore[union-attr]
        # The taker was killed before recording its check: the lease ends and the feed is due again.
        again = await FeedStore(conn).claim_due(due + timedelta(seconds=301), 300, shards=((0,), 4))
        assert [f.id for f in again] == [feeds[0].id]  # type: ignore[union-attr]


def test_a_second_process_on_one_sqlite_store_is_refused_until_the_first_dies(tmp_path: Path) -> None:
    database = tmp_path / "tribune.db"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from pathlib import Path
                from db.leases import SingleProcessLock
                lock = SingleProcessLock(Path({str(database)!r}))
                lock.acquire()
                print("HELD", flush=True)
                time.sleep(60)
                """
            ),
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "HELD"
        with pytest.raises(DatabaseError, match=rf"pid {holder.pid}.*PostgreSQL"):
            SingleProcessLock(database).acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    lock = SingleProcessLock(database)  # the kernel released the dead process's lock
    lock.acquire()
    lock.release()


async def test_identify_slots_of_one_bucket_are_taken_in_turn_and_buckets_are_independent(db: Database) -> None:
    import time

    from db.leases import hold_identify_slot

    start = time.monotonic()
    await hold_identify_slot(db, 0, 0.3)
    await hold_identify_slot(db, 1, 0.3)  # another max_concurrency bucket: no wait
    assert time.monotonic() - start < 0.2
    await hold_identify_slot(db, 0, 0.01)  # the same bucket: after the first's 0.3 s
    assert time.monotonic() - start >= 0.29
    await asyncio.sleep(0.35)  # the background releases finish before the store closes
