"""Background work done exactly once across bot processes: leases on jobs, claims on rows.

A lease is a row saying which process (`holder`) runs a job until when. Claiming is one conditional upsert,
atomic on both engines: it succeeds when the job is free, expired, or already ours (a renewal). A process
that is killed stops renewing; its lease expires and another process takes the job at its next pass, so
the TTL is the loop period plus a margin. `release` frees it at once on a clean stop.

With SQLite only one process may run the bot (`SingleProcessLock`), and the leases cost one tiny write.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from db._rows import to_ts
from db.database import Database, DatabaseError


class LeaseStore:
    """Reads and writes `job_leases`."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    async def claim(self, job: str, holder: str, ttl: timedelta, now: datetime) -> bool:
        """Take or renew the lease of `job` for `ttl`; False when another live process holds it."""
        async with self.conn.execute(
            "INSERT INTO job_leases (job, holder, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at "
            "WHERE job_leases.expires_at <= ? OR job_leases.holder = excluded.holder "
            "RETURNING holder",
            (job, holder, to_ts(now + ttl), to_ts(now)),
        ) as cur:
            return await cur.fetchone() is not None

    async def release(self, job: str, holder: str) -> bool:
        """Give the lease up (a clean stop); False if it was not ours."""
        cur = await self.conn.execute("DELETE FROM job_leases WHERE job = ? AND holder = ?", (job, holder))
        return cur.rowcount == 1

    async def holder_of(self, job: str, now: datetime) -> str | None:
        """Who holds a live lease on `job`, if anyone."""
        async with self.conn.execute(
            "SELECT holder FROM job_leases WHERE job = ? AND expires_at > ?", (job, to_ts(now))
        ) as cur:
            row = await cur.fetchone()
        return None if row is None else str(row[0])


def skip_locked(conn: Any) -> str:
    """`FOR UPDATE SKIP LOCKED` on PostgreSQL (rows another process is claiming are passed over, not waited
    for); nothing on SQLite, whose single writer already serialises the claims."""
    return " FOR UPDATE SKIP LOCKED" if getattr(conn, "dialect", "sqlite") == "postgres" else ""


class SingleProcessLock:
    """One bot process per SQLite store: an exclusive `flock` on `<database>.lock`.

    A lock file rather than a heartbeat row: the kernel releases it the moment the process dies (even on
    SIGKILL), so a restart is never refused because of a crashed predecessor, and no clock is involved.
    """

    def __init__(self, database_file: Path) -> None:
        self.path = database_file.with_name(database_file.name + ".lock")
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        handle = open(self.path, "a+", encoding="ascii")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            other = handle.read().strip() or "?"
            handle.close()
            raise DatabaseError(
                f"un autre processus Tribune (pid {other}) utilise déjà la base SQLite {self.path.with_suffix('')} : "
                "SQLite n'admet qu'un processus. Pour plusieurs processus (shards), passez à PostgreSQL "
                "(DATABASE_URL=postgresql://…, voir « Large deployments » dans le README)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


# Any constant: the first key of the advisory locks pacing IDENTIFY (the second key is the bucket).
IDENTIFY_LOCK = 7_216_016
_local_buckets: dict[tuple[int, int], asyncio.Lock] = {}  # (id of the store, bucket)


async def hold_identify_slot(db: Database, bucket: int, hold_seconds: float) -> None:
    """Wait for the IDENTIFY slot of a `max_concurrency` bucket, then keep it `hold_seconds` in the background.

    Discord lets one session start per bucket every 5 s, counted across every process of the bot. On
    PostgreSQL the slot is an advisory lock, so the processes sharing the store take turns; a process killed
    while holding it loses it with its connection. SQLite has one process: an in-process lock does.
    """
    if db.dialect == "postgres":
        from db.postgres import PostgresDatabase  # asyncpg only where PostgreSQL is used

        assert isinstance(db, PostgresDatabase)  # dialect "postgres" is only ever PostgresDatabase
        pool = db.pool
        conn = await pool.acquire()
        try:
            await conn.execute("SELECT pg_advisory_lock($1, $2)", IDENTIFY_LOCK, bucket)
        except BaseException:
            await pool.release(conn)
            raise

        async def release() -> None:
            try:
                await asyncio.sleep(hold_seconds)
                await conn.execute("SELECT pg_advisory_unlock($1, $2)", IDENTIFY_LOCK, bucket)
            finally:
                await pool.release(conn)

    else:
        lock = _local_buckets.setdefault((id(db), bucket), asyncio.Lock())
        await lock.acquire()

        async def release() -> None:
            try:
                await asyncio.sleep(hold_seconds)
            finally:
                lock.release()

    task = asyncio.get_running_loop().create_task(release(), name=f"identify-slot-{bucket}")
    _slot_tasks.add(task)
    task.add_done_callback(_slot_tasks.discard)


_slot_tasks: set[asyncio.Task[None]] = set()


def shard_job(shard_id: int, shard_count: int) -> str:
    """The lease that makes one process the owner of a shard (shard 0 also receives direct messages)."""
    return f"shard:{shard_id}/{shard_count}"
