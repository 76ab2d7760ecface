"""Moving up: copy every row of a SQLite store into an empty PostgreSQL one, then check the counts."""

from __future__ import annotations

import logging

from db.database import Database, DatabaseError
from db.postgres import PostgresDatabase

log = logging.getLogger(__name__)

# Parents before children (foreign keys), each with its identity column when it has one.
TABLES: tuple[tuple[str, str | None], ...] = (
    ("guild_settings", None),
    ("feeds", "id"),
    ("articles", "id"),
    ("feed_items", None),
    ("polls", "id"),
    ("poll_options", None),
    ("votes", None),
    ("opinions", "id"),
    ("opinion_marks", None),
    ("digests", "id"),
    ("audit_log", "id"),
    ("public_settings", None),
    ("public_links", None),
)
# Runtime state of the processes running now (leases, heartbeats): meaningless in another store.
NOT_COPIED = frozenset({"job_leases", "processes"})
CHUNK = 5000


async def source_tables(source: Database) -> set[str]:
    async with source.read() as conn, conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ) as cur:
        return {r[0] for r in await cur.fetchall()}


async def copy_store(source: Database, target: PostgresDatabase) -> dict[str, int]:
    """Copy `source` (SQLite, migrated here first) into `target` (PostgreSQL, migrated, empty).

    One transaction on the target: a failure or a count mismatch leaves it as empty as it was.
    Returns the number of rows copied per table.
    """
    source_version, target_version = await source.migrate(), await target.migrate()
    if source_version != target_version:
        raise DatabaseError(f"schémas différents : SQLite {source_version}, PostgreSQL {target_version}")
    unknown = await source_tables(source) - {name for name, _ in TABLES} - NOT_COPIED
    if unknown:  # a table added by a migration but forgotten here would be silently lost
        raise DatabaseError(f"tables sans règle de copie : {', '.join(sorted(unknown))}")
    copied: dict[str, int] = {}
    async with target.pool.acquire() as raw, raw.transaction():
        for table, _ in TABLES:
            if await raw.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table})"):
                raise DatabaseError(
                    f"la base PostgreSQL n'est pas vide (table {table}) : la copie ne va que vers une base neuve"
                )
        # The copied votes were checked when they were cast; a closed poll's votes must come along.
        await raw.execute("ALTER TABLE votes DISABLE TRIGGER USER")
        await raw.execute("ALTER TABLE opinion_marks DISABLE TRIGGER USER")
        for table, identity in TABLES:
            copied[table] = 0
            async with source.read() as conn, conn.execute(f"SELECT * FROM {table}") as cur:
                columns = [d[0] for d in cur.description]
                while rows := await cur.fetchmany(CHUNK):
                    records = [tuple(r) for r in rows]
                    await raw.copy_records_to_table(table, records=records, columns=columns)
                    copied[table] += len(records)
            if identity is not None:
                # New rows continue after the copied ids.
                await raw.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{identity}'), "
                    f"coalesce(max({identity}), 0) + 1, false) FROM {table}"
                )
            log.info("Copied %d rows of %s", copied[table], table)
        await raw.execute("ALTER TABLE votes ENABLE TRIGGER USER")
        await raw.execute("ALTER TABLE opinion_marks ENABLE TRIGGER USER")
        for table, _ in TABLES:
            async with source.read() as conn, conn.execute(f"SELECT count(*) FROM {table}") as cur:
                row = await cur.fetchone()
                expected = row[0] if row is not None else 0
            found = await raw.fetchval(f"SELECT count(*) FROM {table}")
            if found != expected or copied[table] != expected:
                raise DatabaseError(f"copie incomplète de {table} : {found} lignes sur {expected}")
    return copied
