"""The store on PostgreSQL through asyncpg: the same API as the SQLite `Database`, for large deployments.

The repositories (`db/*.py`) are written once, in the SQL both engines read, with `?` (or `:name`)
parameters and aiosqlite's connection shape (`execute` → cursor, `executemany`, `fetchone`, `rowcount`).
`PgConnection` gives an asyncpg connection that shape and translates the few SQLite-only spellings
(`translate`); the translation is cached per statement, and asyncpg caches the prepared statements.
Integrity errors (constraints, the vote triggers) are raised as the store's one `IntegrityError`.

Durability: `synchronous_commit` is left at PostgreSQL's default (on): COMMIT returns once the WAL is
flushed, so an acknowledged vote survives a crash of the bot, of the server, or a power loss.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from db.database import Database, DatabaseError, IntegrityError, available_migrations, log, refuse_newer_schema
from db.location import DatabaseLocation

# What the pool lends (a proxy) or a plain connection: the same API for the repositories.
RawConnection = asyncpg.Connection | PoolConnectionProxy

T = TypeVar("T")
DEFAULT_POOL_SIZE = 10
# Any constant: the key of the advisory lock that lets one process at a time apply migrations.
MIGRATION_LOCK = 7_216_001

_NAMED = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")
_JSON_EACH = re.compile(
    r"json_each\((\?|\$\d+)\)(?:\s+(?!(?:WHERE|ORDER|AND|OR|GROUP|LIMIT|ON|JOIN)\b)([a-z_]\w*))?", re.IGNORECASE
)
_GROUP_CONCAT = re.compile(r"group_concat\(([^()]+)\)", re.IGNORECASE)


@lru_cache(maxsize=2048)
def translate(sql: str) -> tuple[str, tuple[str, ...]]:
    """SQLite spelling → PostgreSQL: `?`/`:name` → `$n`, `json_each` of an id list, `group_concat`.

    Returns the statement and, for named parameters, their names in `$n` order (empty for `?`).
    """
    names: list[str] = []
    if "?" not in sql and _NAMED.search(sql):

        def named(match: re.Match[str]) -> str:
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"

        sql = _NAMED.sub(named, sql)
    else:
        counter = iter(range(1, 10_000))
        sql = re.sub(r"\?", lambda _: f"${next(counter)}", sql)
    # The id lists the repositories pass as one JSON parameter (never SQL built from values).
    sql = _JSON_EACH.sub(
        lambda m: (
            f"(SELECT value::bigint AS value FROM json_array_elements_text({m.group(1)}::json)) "
            f"AS {m.group(2) or 'json_each'}"
        ),
        sql,
    )
    sql = _GROUP_CONCAT.sub(lambda m: f"string_agg(({m.group(1)})::text, ',')", sql)
    return sql, tuple(names)


def _arguments(names: tuple[str, ...], params: Sequence[Any] | Mapping[str, Any]) -> Sequence[Any]:
    if names:
        assert isinstance(params, Mapping)
        return [params[name] for name in names]
    return list(params.values()) if isinstance(params, Mapping) else params


@lru_cache(maxsize=2048)
def _returns_rows(statement: str) -> bool:
    head = statement.lstrip().split(None, 1)[0].upper()
    return head in ("SELECT", "WITH", "VALUES", "SHOW") or " RETURNING " in f" {statement.upper()} "


def _rowcount(status: str | None) -> int:
    # "INSERT 0 3", "UPDATE 2", "DELETE 1": the last word is the number of rows.
    if not status:
        return -1
    word = status.rsplit(" ", 1)[-1]
    return int(word) if word.isdigit() else -1


def _decode_numeric(text: str) -> int | float:
    # sum() of integers is NUMERIC in PostgreSQL; SQLite gives an int: keep the repositories' types alike.
    return int(text) if text.lstrip("-").isdigit() else float(Decimal(text))


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("numeric", encoder=str, decoder=_decode_numeric, schema="pg_catalog", format="text")


class PgCursor:
    """What aiosqlite's cursor offers the repositories: the rows, and how many rows a write changed."""

    def __init__(self, rows: list[asyncpg.Record], rowcount: int) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount

    async def fetchone(self) -> asyncpg.Record | None:
        return self._take_one()

    async def fetchall(self) -> list[asyncpg.Record]:
        return self._take_all()

    def _take_one(self) -> asyncpg.Record | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def _take_all(self) -> list[asyncpg.Record]:
        rest, self._next = self._rows[self._next :], len(self._rows)
        return rest

    async def __aenter__(self) -> PgCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


class SyncCursor(PgCursor):
    """sqlite3's cursor shape (synchronous fetches, iteration), for `PgSyncConnection`."""

    # sqlite3's synchronous fetches over PgCursor's awaitable ones: the same names, another shape on purpose.
    def fetchone(self) -> asyncpg.Record | None:  # type: ignore[override]
        return self._take_one()

    def fetchall(self) -> list[asyncpg.Record]:  # type: ignore[override]
        return self._take_all()

    def __iter__(self) -> Iterator[asyncpg.Record]:
        return iter(self._take_all())


class _PendingCursor:
    """`conn.execute(...)` is both awaited and used as `async with`, as with aiosqlite."""

    def __init__(self, run: Callable[[], Any]) -> None:
        self._run = run
        self._cursor: PgCursor | None = None

    def __await__(self) -> Generator[Any, None, PgCursor]:
        return self._run().__await__()

    async def __aenter__(self) -> PgCursor:
        cursor: PgCursor = await self._run()
        self._cursor = cursor
        return cursor

    async def __aexit__(self, *exc: object) -> None:
        return None


class PgConnection:
    """An asyncpg connection with the aiosqlite shape the repositories use."""

    dialect = "postgres"

    def __init__(self, raw: RawConnection) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> _PendingCursor:
        return _PendingCursor(lambda: self._execute(sql, params))

    async def _execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any]) -> PgCursor:
        statement, names = translate(sql)
        arguments = _arguments(names, params)
        try:
            # Both calls use asyncpg's statement cache (one round trip); only `execute` gives the status.
            if _returns_rows(statement):
                rows = await self.raw.fetch(statement, *arguments)
                return PgCursor(rows, len(rows))
            status = await self.raw.execute(statement, *arguments)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(str(exc)) from exc
        return PgCursor([], _rowcount(status))

    async def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        statement, _ = translate(sql)
        batch = [tuple(p) for p in params]
        if not batch:
            return
        try:
            await self.raw.executemany(statement, batch)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(str(exc)) from exc


class RetryWithSavepoints(Exception):
    """An optimistic batch needed a savepoint: it is rolled back and run again with real ones."""


class PgSyncConnection:
    """The synchronous connection shape of `sqlite3` over asyncpg, for work run by `run_in_writer`.

    The work runs on a worker thread; each statement is handed to the event loop (which is free: the
    caller only awaits the thread) and the thread waits for its result.
    """

    dialect = "postgres"

    def __init__(self, conn: PgConnection, loop: asyncio.AbstractEventLoop, *, optimistic: bool = False) -> None:
        self._conn = conn
        self._loop = loop
        # Optimistic: savepoints are not sent (two round trips per vote saved); the first ROLLBACK TO one
        # aborts the batch instead, and `run_in_writer` runs it again with real savepoints.
        self._optimistic = optimistic
        self.buffered = optimistic  # VoteWriter then writes a batch's net changes at its end (db/votes.py)
        self._before_commit: list[Callable[[], None]] = []

    def before_commit(self, write: Callable[[], None]) -> None:
        """Run `write` on the worker thread once the work is done, inside its transaction."""
        self._before_commit.append(write)

    def run(self, work: Callable[[PgSyncConnection], T]) -> T:
        result = work(self)
        for write in self._before_commit:
            write()
        return result

    def execute(self, sql: str, params: Sequence[Any] = ()) -> SyncCursor:
        if self._optimistic and sql.startswith(("SAVEPOINT", "RELEASE")):
            return SyncCursor([], -1)
        if self._optimistic and sql.startswith("ROLLBACK TO"):
            raise RetryWithSavepoints()
        found = asyncio.run_coroutine_threadsafe(self._conn._execute(sql, params), self._loop).result()
        return SyncCursor(found._rows, found.rowcount)

    def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        batch = list(params)
        if not batch:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._conn.executemany(sql, batch), self._loop).result()
        except IntegrityError:
            if self._optimistic:  # one vote of the buffered batch is refused: find which, vote by vote
                raise RetryWithSavepoints() from None
            raise


class PostgresDatabase(Database):
    """The PostgreSQL store: a pool of connections (each transaction takes one), sized by settings."""

    dialect = "postgres"

    def __init__(self, location: DatabaseLocation, pool_size: int = DEFAULT_POOL_SIZE) -> None:
        self.location = location
        self.pool_size = max(2, pool_size)
        self._pool: asyncpg.Pool | None = None
        self._vote_conn: RawConnection | None = None
        self._sync_thread: ThreadPoolExecutor | None = None
        self._write_lock = asyncio.Lock()  # run_in_writer's batches, one at a time (group commit)

    async def connect(self) -> None:
        if self._pool is not None:
            return
        try:
            self._pool = await asyncpg.create_pool(
                self.location.path, min_size=1, max_size=self.pool_size, init=_init_connection
            )
        except (OSError, asyncpg.PostgresError, ValueError) as exc:
            raise DatabaseError(
                f"impossible d'ouvrir la base de données PostgreSQL {self.location.display()} : {exc}"
            ) from exc
        self._sync_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tribune-writer")

    async def close(self) -> None:
        if self._vote_conn is not None and self._pool is not None:
            await self._pool.release(self._vote_conn)
        self._vote_conn = None
        if self._pool is not None:
            await self._pool.close()
        self._pool = None
        if self._sync_thread is not None:
            self._sync_thread.shutdown(wait=True)
        self._sync_thread = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise DatabaseError("the database is not connected")
        return self._pool

    @property
    def writer(self) -> Any:
        raise DatabaseError("PostgreSQL has no single writer connection: use transaction() or read()")

    # PgConnection has the aiosqlite shape the repositories use, without being an aiosqlite.Connection.
    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgConnection]:  # type: ignore[override]
        async with self.pool.acquire() as raw, raw.transaction():
            yield PgConnection(raw)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[PgConnection]:  # type: ignore[override]
        async with self.pool.acquire() as raw:
            yield PgConnection(raw)

    async def run_in_writer(self, work: Callable[[Any], T], *, inline: bool = False) -> T:
        """Run `work(conn)` as one transaction on a worker thread, `conn` being sqlite3-shaped (see above).

        `inline` (SQLite's lone-vote shortcut) changes nothing here: every statement is a round trip to the
        server either way, and the thread keeps the event loop free meanwhile.
        """
        if self._sync_thread is None:
            raise DatabaseError("the database is not connected")
        async with self._write_lock:
            raw = self._vote_conn
            if raw is None or raw.is_closed():
                raw = self._vote_conn = await self.pool.acquire()
            loop = asyncio.get_running_loop()
            for optimistic in (True, False):
                sync = PgSyncConnection(PgConnection(raw), loop, optimistic=optimistic)
                try:
                    async with raw.transaction():
                        future = loop.run_in_executor(self._sync_thread, sync.run, work)
                        try:
                            return await asyncio.shield(future)
                        except asyncio.CancelledError:
                            await asyncio.wait([future])  # the transaction ends only after the thread is done
                            raise
                except RetryWithSavepoints:
                    continue  # rolled back: the same work again, each vote in its own savepoint
            raise DatabaseError("a batch failed even with savepoints")  # unreachable: the second run raises

    async def schema_version(self) -> int:
        async with self.pool.acquire() as raw:
            exists = await raw.fetchval("SELECT to_regclass('tribune_schema') IS NOT NULL")
            if not exists:
                return 0
            return int(await raw.fetchval("SELECT coalesce(max(version), 0) FROM tribune_schema"))

    async def migrate(self) -> int:
        """Apply pending migrations in order, one transaction each, one process at a time (advisory lock)."""
        migrations = available_migrations("postgres")
        latest = migrations[-1][0] if migrations else 0
        async with self.pool.acquire() as raw:
            await raw.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
            try:
                await raw.execute(
                    "CREATE TABLE IF NOT EXISTS tribune_schema "
                    "(version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)"
                )
                current = int(await raw.fetchval("SELECT coalesce(max(version), 0) FROM tribune_schema"))
                refuse_newer_schema(current, latest)
                for version, name, sql in migrations:
                    if version <= current:
                        continue
                    log.info("Applying migration postgres/%s", name)
                    async with raw.transaction():
                        await raw.execute(sql)
                        await raw.execute(
                            "INSERT INTO tribune_schema (version, applied_at) "
                            "VALUES ($1, extract(epoch FROM now())::bigint)",
                            version,
                        )
            finally:
                await raw.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
        return max(current, latest)
