"""The moderators' audit log: who did what, when, to what."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from db._rows import at, to_ts


@dataclass(frozen=True)
class AuditEntry:
    id: int
    guild_id: int
    actor_id: int
    action: str
    target: str | None
    details: dict[str, Any]
    created_at: datetime


def _entry(row: aiosqlite.Row) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        guild_id=row["guild_id"],
        actor_id=row["actor_id"],
        action=row["action"],
        target=row["target"],
        details=json.loads(row["details"]),
        created_at=at(row["created_at"]),
    )


class AuditStore:
    """Appends to and reads `audit_log`."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def record(
        self,
        guild_id: int,
        actor_id: int,
        action: str,
        now: datetime,
        target: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one entry and return it."""
        async with self.conn.execute(
            "INSERT INTO audit_log (guild_id, actor_id, action, target, details, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
            (guild_id, actor_id, action, target, json.dumps(details or {}, ensure_ascii=False), to_ts(now)),
        ) as cur:
            row = await cur.fetchone()
        assert row is not None
        return _entry(row)

    async def latest(
        self, guild_id: int, actor_id: int | None = None, limit: int = 10, offset: int = 0
    ) -> list[AuditEntry]:
        """The newest entries first, optionally of one moderator."""
        if actor_id is None:
            query, params = "SELECT * FROM audit_log WHERE guild_id = ?", [guild_id]
        else:
            query, params = "SELECT * FROM audit_log WHERE guild_id = ? AND actor_id = ?", [guild_id, actor_id]
        async with self.conn.execute(f"{query} ORDER BY id DESC LIMIT ? OFFSET ?", [*params, limit, offset]) as cur:
            return [_entry(r) for r in await cur.fetchall()]

    async def count(self, guild_id: int, actor_id: int | None = None) -> int:
        if actor_id is None:
            query, params = "SELECT count(*) FROM audit_log WHERE guild_id = ?", (guild_id,)
        else:
            query, params = (
                "SELECT count(*) FROM audit_log WHERE guild_id = ? AND actor_id = ?",
                (guild_id, actor_id),
            )
        async with self.conn.execute(query, params) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0
