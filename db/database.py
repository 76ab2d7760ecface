"""The store: one SQLite database behind aiosqlite, its transactions and its migrations.

A `postgres` location gives a `db.postgres.PostgresDatabase` instead: the same API on asyncpg.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import TypeVar

import aiosqlite

from db.location import DatabaseLocation

log = logging.getLogger(__name__)

MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
CONNECTION_PRAGMAS = ("busy_timeout=5000", "foreign_keys=ON", "synchronous=NORMAL")
# The inline writer (see `run_in_writer`) never waits for a lock and never checkpoints on the event loop.
INLINE_PRAGMAS = ("busy_timeout=0", "foreign_keys=ON", "synchronous=NORMAL", "wal_autocheckpoint=0")
# After this many inline transactions (~1,000 WAL pages for one-vote transactions, SQLite's own autocheckpoint
# threshold) the thread runs a passive checkpoint: it fsyncs there, off the loop, and never blocks writers.
INLINE_CHECKPOINT_EVERY = 256
T = TypeVar("T")
# The one integrity error of the store, whatever the engine: PostgreSQL's are raised as this type too.
IntegrityError = sqlite3.IntegrityError
_memory_names = itertools.count(1)


class DatabaseError(RuntimeError):
    """The store cannot be used as it is (newer than the code, unreadable file…)."""


def available_migrations(dialect: str = "sqlite") -> list[tuple[int, str, str]]:
    """The shipped migrations of a dialect as (version, file name, SQL), in order; versions must be 1, 2, 3…

    SQLite's live in `db/migrations/`, PostgreSQL's in `db/migrations/postgres/`, with the same numbers.
    """
    found = []
    package = "db.migrations" if dialect == "sqlite" else f"db.migrations.{dialect}"
    for entry in resources.files(package).iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    for expected, (version, name, _) in enumerate(found, start=1):
        if version != expected:
            raise DatabaseError(f"migration {name} is out of sequence (expected number {expected:03d})")
    return found


def refuse_newer_schema(current: int, latest: int) -> None:
    """A database written by a newer Tribune is refused rather than guessed at (both dialects)."""
    if current > latest:
        raise DatabaseError(
            f"la base de données est au schéma {current}, plus récent que celui de ce code ({latest}) : "
            "mettez Tribune à jour au lieu de revenir en arrière"
        )


READERS_KEPT = 4  # idle read connections kept open (each is a thread); busier moments open more for a while


class Database:
    """One writer connection (serialised transactions), one reader connection (WAL snapshots), and a
    synchronous writer on its own thread for hot paths that run many small statements (`run_in_writer`).

    Durability: WAL with `synchronous=NORMAL`. A transaction is written to the WAL file before COMMIT
    returns, so a committed vote survives the process being killed; only a power loss or an OS crash
    could drop the last transactions. That is the durability an acknowledged click needs, at a fraction
    of FULL's fsync cost.
    """

    dialect = "sqlite"

    def __new__(cls, location: DatabaseLocation, pool_size: int = 10) -> Database:
        if location.is_postgres and cls is Database:
            from db.postgres import PostgresDatabase  # asyncpg is only imported by deployments that use it

            instance: Database = object.__new__(PostgresDatabase)
            return instance
        return super().__new__(cls)

    def __init__(self, location: DatabaseLocation, pool_size: int = 10) -> None:
        """`pool_size`: connections of a PostgreSQL store (TRIBUNE_DB_POOL_SIZE); SQLite has its own two."""
        self.location = location
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        # Readers lent out one per `read()` block: a connection shared by overlapping blocks would run the later
        # block's statements inside the earlier one's open read transaction, on its old snapshot (a poll stored
        # a moment ago not found). Idle ones are kept up to READERS_KEPT; more are opened while needed.
        self._idle_readers: list[aiosqlite.Connection] = []
        self._sync_writer: sqlite3.Connection | None = None
        self._sync_thread: ThreadPoolExecutor | None = None
        self._inline_writer: sqlite3.Connection | None = None
        self._inline_runs = 0
        self._write_lock = asyncio.Lock()
        # An in-memory store is shared between the connections through a named shared cache.
        self._target, self._uri = location.path, False
        if location.file is None:
            self._target, self._uri = f"file:tribune-memory-{next(_memory_names)}?mode=memory&cache=shared", True

    @classmethod
    def from_path(cls, path: str | Path) -> Database:
        """A store on a SQLite file (used by tests and tools)."""
        return cls(DatabaseLocation("sqlite", str(path)))

    async def connect(self) -> None:
        """Open the connections and set the pragmas. Safe to call once."""
        if self._writer is not None:
            return
        target = self.location.path
        if self.location.file is not None:
            parent = self.location.file.parent
            if not parent.exists():
                raise DatabaseError(f"le dossier de la base de données n'existe pas : {parent}")
        try:
            self._writer = await self._open()
            await pragma(self._writer, "journal_mode=WAL")
            # Without WAL (in memory) readers would block on the writer: the reader is the writer there.
            self._reader = self._writer if self.location.file is None else await self._open()
            if self._reader is not self._writer:
                self._idle_readers.append(self._reader)
            self._sync_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tribune-writer")
            loop = asyncio.get_running_loop()
            self._sync_writer = await loop.run_in_executor(self._sync_thread, self._open_sync)
            self._inline_writer = self._open_sync(INLINE_PRAGMAS)
        except Exception as exc:  # sqlite3 errors have unhelpful types; say what failed
            await self.close()
            raise DatabaseError(f"impossible d'ouvrir la base de données {target} : {exc}") from exc

    async def _open(self) -> aiosqlite.Connection:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, nothing is implicit.
        conn = await aiosqlite.connect(self._target, isolation_level=None, uri=self._uri)
        try:
            conn.row_factory = aiosqlite.Row
            for setting in CONNECTION_PRAGMAS:
                await pragma(conn, setting)
        except BaseException:
            await conn.close()  # its worker thread would otherwise keep the process alive
            raise
        return conn

    def _open_sync(self, pragmas: tuple[str, ...] = CONNECTION_PRAGMAS) -> sqlite3.Connection:
        conn = sqlite3.connect(self._target, isolation_level=None, uri=self._uri, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        for setting in pragmas:
            conn.execute(f"PRAGMA {setting}").fetchall()
        return conn

    async def close(self) -> None:
        """Close every connection (idempotent)."""
        if self._sync_writer is not None and self._sync_thread is not None:
            await asyncio.get_running_loop().run_in_executor(self._sync_thread, self._sync_writer.close)
        if self._sync_thread is not None:
            self._sync_thread.shutdown(wait=True)
        self._sync_writer = self._sync_thread = None
        if self._inline_writer is not None:
            self._inline_writer.close()
            self._inline_writer = None
        readers = [*self._idle_readers, self._reader, self._writer]
        self._idle_readers.clear()
        for conn in {id(c): c for c in readers if c is not None}.values():
            await conn.close()
        self._reader = self._writer = None

    async def __aenter__(self) -> Database:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def writer(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise DatabaseError("the database is not connected")
        return self._writer

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One unit of work: commits when the block ends, rolls back if it raises."""
        async with self._write_lock:
            conn = self.writer
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            else:
                await conn.execute("COMMIT")

    async def run_in_writer(self, work: Callable[[sqlite3.Connection], T], *, inline: bool = False) -> T:
        """Run `work(conn)` as one transaction, in one trip to a dedicated writer thread.

        aiosqlite pays a thread round trip per statement (~0.1 ms); the vote path runs a dozen small
        statements per vote, so it hands the whole batch over at once instead. The write lock is shared
        with `transaction()`: the two writers never contend inside SQLite.

        `inline=True`, for short work only (one vote: ~50 µs): when the write lock is free, run it right
        here on the event loop, saving the thread trip, which costs as much as the work itself. Same
        durability (WAL, synchronous=NORMAL). It never blocks the loop: if another process holds SQLite's
        write lock, the transaction goes through the thread (which waits for it); and WAL checkpoints, which
        fsync, run on the thread (a passive one every INLINE_CHECKPOINT_EVERY inline transactions).
        """
        if self._sync_writer is None or self._sync_thread is None:
            raise DatabaseError("the database is not connected")
        conn, thread = self._sync_writer, self._sync_thread
        async with self._write_lock:
            if inline and self._inline_writer is not None and _begin_without_waiting(self._inline_writer):
                result = _in_transaction(self._inline_writer, work, begun=True)
                self._inline_runs += 1
                if self._inline_runs % INLINE_CHECKPOINT_EVERY == 0:
                    with contextlib.suppress(RuntimeError):  # the store is closing: the next start checkpoints
                        thread.submit(_checkpoint, conn)  # not awaited: the vote is committed already
                return result
            future = asyncio.get_running_loop().run_in_executor(thread, _in_transaction, conn, work)
            try:
                return await asyncio.shield(future)
            except asyncio.CancelledError:
                await asyncio.wait([future])  # keep the lock until the thread has finished the transaction
                raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """A connection of its own for this block of reads: it sees every transaction committed before each
        statement, never another coroutine's uncommitted writes."""
        if self._reader is None:
            raise DatabaseError("the database is not connected")
        if self._reader is self._writer:
            async with self._write_lock:
                yield self._reader
            return
        conn = self._idle_readers.pop() if self._idle_readers else await self._open()
        try:
            yield conn
        finally:
            if len(self._idle_readers) < READERS_KEPT and self._reader is not None:
                self._idle_readers.append(conn)
            else:
                await conn.close()

    async def schema_version(self) -> int:
        """The schema version recorded in the file (`PRAGMA user_version`)."""
        async with self.writer.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        """Apply pending migrations in order, one transaction each; return the resulting version.

        A database written by a newer Tribune is refused rather than guessed at.
        """
        migrations = available_migrations()
        latest = migrations[-1][0] if migrations else 0
        current = await self.schema_version()
        refuse_newer_schema(current, latest)
        for version, name, sql in migrations:
            if version <= current:
                continue
            log.info("Applying migration %s", name)
            async with self._write_lock:
                # executescript would COMMIT on its own; run statements one by one inside our BEGIN.
                conn = self.writer
                await conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in split_sql(sql):
                        await conn.execute(statement)
                    await conn.execute(f"PRAGMA user_version = {version:d}")
                except BaseException:
                    await conn.execute("ROLLBACK")
                    raise
                await conn.execute("COMMIT")
        return max(current, latest)


def _checkpoint(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except sqlite3.Error:  # a missed checkpoint only lets the WAL grow until the next one
        log.warning("WAL checkpoint failed", exc_info=True)


def _begin_without_waiting(conn: sqlite3.Connection) -> bool:
    """BEGIN IMMEDIATE on a connection whose busy timeout is 0: False if another connection holds the lock."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return False
        raise
    return True


def _in_transaction(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], T], begun: bool = False) -> T:
    if not begun:
        conn.execute("BEGIN IMMEDIATE")
    try:
        result = work(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


async def pragma(conn: aiosqlite.Connection, setting: str) -> None:
    """Run a PRAGMA and finalize its statement: an open cursor would keep a lock on the file."""
    async with conn.execute(f"PRAGMA {setting}") as cursor:
        await cursor.fetchall()


def split_sql(script: str) -> list[str]:
    """Split a migration into complete statements (triggers contain `;` inside BEGIN … END)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        if not buffer and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        raise DatabaseError(f"incomplete SQL statement at the end of a migration: {buffer.strip()[:80]}")
    return statements
