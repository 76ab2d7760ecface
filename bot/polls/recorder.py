"""The vote path: every click becomes one committed row change before it is acknowledged.

Concurrent clicks are group-committed: the worker takes every vote waiting in the queue, applies each
inside its own SAVEPOINT (one refused vote does not undo the others) and commits them in one
transaction. A caller's future resolves only after that COMMIT, so an acknowledged vote is durable.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.polls.voting import decide_vote, voter_key
from db.database import Database
from db.polls import PollOption, PollStore

log = logging.getLogger(__name__)

MAX_BATCH = 512
OPTION_CACHE_SIZE = 1024  # answers never change after creation; bounded so memory stays flat


@dataclass(frozen=True)
class VoteRequest:
    poll_id: int
    member_id: int
    position: int
    role_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class VoteOutcome:
    """What happened to one click. `refusal` is a catalog key when the vote was refused."""

    poll_id: int
    refusal: str | None = None
    added: str | None = None  # label of the answer now held
    removed: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()  # every answer the member now holds
    channel_id: int | None = None
    role_id: int | None = None

    @property
    def accepted(self) -> bool:
        return self.refusal is None


@dataclass
class _Queued:
    request: VoteRequest
    future: asyncio.Future[VoteOutcome]


class VoteRecorder:
    """Serialises votes through one writer task with group commit."""

    def __init__(self, db: Database, secret: bytes, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.secret = secret
        self.clock = clock
        self._queue: asyncio.Queue[_Queued] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._options: OrderedDict[int, tuple[PollOption, ...]] = OrderedDict()
        self.batches = 0

    def start(self) -> None:
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._run(), name="vote-recorder")

    async def stop(self) -> None:
        """Finish the votes already queued, then stop."""
        if self._worker is None:
            return
        await self._queue.join()
        self._worker.cancel()
        await asyncio.gather(self._worker, return_exceptions=True)
        self._worker = None

    async def submit(self, request: VoteRequest) -> VoteOutcome:
        """Record one click; returns once it is committed (or refused)."""
        self.start()
        future: asyncio.Future[VoteOutcome] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Queued(request, future))
        return await future

    def forget_poll(self, poll_id: int) -> None:
        self._options.pop(poll_id, None)

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._commit(batch)
            for _ in batch:
                self._queue.task_done()

    async def _commit(self, batch: list[_Queued]) -> None:
        outcomes: list[VoteOutcome | BaseException] = []
        try:
            async with self.db.transaction() as conn:
                store = PollStore(conn)
                touched: set[int] = set()
                for item in batch:
                    await conn.execute("SAVEPOINT vote")
                    try:
                        outcome = await self._apply(conn, store, item.request)
                    except Exception as exc:  # one bad vote must not undo the batch
                        await conn.execute("ROLLBACK TO vote")
                        outcomes.append(exc)
                    else:
                        if outcome.accepted:
                            touched.add(outcome.poll_id)
                        outcomes.append(outcome)
                    await conn.execute("RELEASE vote")
                for poll_id in touched:
                    await store.mark_render_pending(poll_id)
        except Exception as exc:
            log.exception("A batch of %d votes could not be committed", len(batch))
            outcomes = [exc] * len(batch)
        self.batches += 1
        for item, outcome in zip(batch, outcomes, strict=True):
            if item.future.done():
                continue
            if isinstance(outcome, BaseException):
                item.future.set_exception(outcome)
            else:
                item.future.set_result(outcome)

    async def _options_of(self, store: PollStore, poll_id: int) -> tuple[PollOption, ...]:
        options = self._options.get(poll_id)
        if options is None:
            options = tuple(await store.options(poll_id))
            self._options[poll_id] = options
            if len(self._options) > OPTION_CACHE_SIZE:
                self._options.popitem(last=False)
        else:
            self._options.move_to_end(poll_id)
        return options

    async def _apply(self, conn: aiosqlite.Connection, store: PollStore, request: VoteRequest) -> VoteOutcome:
        async with conn.execute(
            "SELECT status, closes_at, multiple, anonymous, role_id, channel_id FROM polls WHERE id = ?",
            (request.poll_id,),
        ) as cur:
            row = await cur.fetchone()
        if row is None or row["status"] == "deleted":
            return VoteOutcome(request.poll_id, refusal="vote.poll_missing")
        now = self.clock()
        if row["status"] != "open" or now.timestamp() >= row["closes_at"]:
            # The store decides a click racing the deadline, whatever the buttons showed.
            return VoteOutcome(request.poll_id, refusal="vote.poll_closed", channel_id=row["channel_id"])
        if row["role_id"] is not None and row["role_id"] not in request.role_ids:
            return VoteOutcome(request.poll_id, refusal="vote.role_required", role_id=row["role_id"])
        options = await self._options_of(store, request.poll_id)
        labels = {o.position: o.label for o in options}
        if request.position not in labels:
            return VoteOutcome(request.poll_id, refusal="vote.answer_missing")
        voter = voter_key(self.secret, request.poll_id, request.member_id, bool(row["anonymous"]))
        current = await store.choices_of(request.poll_id, voter)
        change = decide_vote(current, request.position, bool(row["multiple"]))
        if change.remove:
            await store.remove_votes(request.poll_id, voter, change.remove)
        if change.add is not None:
            await store.add_vote(request.poll_id, voter, change.add, now)
        held = (current - change.remove) | ({change.add} if change.add is not None else set())
        return VoteOutcome(
            request.poll_id,
            added=labels[change.add] if change.add is not None else None,
            removed=tuple(labels[p] for p in sorted(change.remove)),
            choices=tuple(labels[p] for p in sorted(held)),
            channel_id=row["channel_id"],
        )
