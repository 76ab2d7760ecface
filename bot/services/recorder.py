"""The vote path: every click becomes one committed row change before it is acknowledged.

Concurrent clicks are group-committed: the worker takes every vote waiting in the queue, applies each
inside its own SAVEPOINT (one refused vote does not undo the others) and commits them in one
transaction, handed to the store's writer thread in a single trip. A caller's future resolves only
after that COMMIT, so an acknowledged vote is durable.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.polls.voting import decide_vote, voter_key
from db._rows import to_ts
from db.database import Database
from db.votes import PollFacts, VoteWriter

log = logging.getLogger(__name__)

MAX_BATCH = 512
FACTS_CACHE_SIZE = 1024  # what a poll never changes (answers, anonymity); bounded so memory stays flat


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
    results_visibility: str = "live"
    results_published: bool = False

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
        self._facts: OrderedDict[int, PollFacts] = OrderedDict()
        self._committing = 0  # batches being written right now (the worker's, or a lone vote's)
        self._turn_writer: asyncio.Task[object] | None = None  # the task that wrote a lone vote this loop turn
        self._idle: asyncio.Event = asyncio.Event()
        self._idle.set()
        self.batches = 0

    def start(self) -> None:
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._run(), name="vote-recorder")

    async def stop(self) -> None:
        """Finish the votes already queued, then stop."""
        if self._worker is None:
            return
        await self._queue.join()
        await self._idle.wait()
        self._worker.cancel()
        await asyncio.gather(self._worker, return_exceptions=True)
        self._worker = None

    async def submit(self, request: VoteRequest) -> VoteOutcome:
        """Record one click; returns once it is committed (or refused).

        A lone click (nothing queued or being written, no other task's vote this loop turn) is written at once
        (`run_in_writer(inline=True)`): a queue trip and a thread trip cost more than its transaction. Clicks
        that arrive while a write is in progress queue up and are group-committed by the worker.
        """
        self.start()
        task = asyncio.current_task()
        if not self._committing and self._queue.empty() and self._turn_writer in (None, task):
            # Other tasks' clicks in the same loop turn as this one (a burst) queue behind it and commit together.
            if self._turn_writer is None:
                self._turn_writer = task
                asyncio.get_running_loop().call_soon(self._next_turn)
            return await self._write_lone(request)
        future: asyncio.Future[VoteOutcome] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Queued(request, future))
        return await future

    def _done_committing(self) -> None:
        # Whichever write ends last (a lone vote's or a batch's: on PostgreSQL they overlap) frees `stop()`.
        self._committing -= 1
        if not self._committing:
            self._idle.set()

    def _next_turn(self) -> None:
        self._turn_writer = None

    def forget_poll(self, poll_id: int) -> None:
        self._facts.pop(poll_id, None)

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._commit(batch)
            for _ in batch:
                self._queue.task_done()

    async def _write_lone(self, request: VoteRequest) -> VoteOutcome:
        now = self.clock()
        self._committing += 1
        self._idle.clear()
        try:
            # One vote, one transaction: its rollback undoes it, no savepoint needed.
            outcome = await self.db.run_in_writer(
                lambda conn: self._apply(VoteWriter(conn), request, now, mark=True), inline=True
            )
        finally:
            self._done_committing()
            self.batches += 1
        return outcome

    async def _commit(self, batch: list[_Queued]) -> None:
        requests = [item.request for item in batch]
        now = self.clock()
        self._committing += 1
        try:
            outcomes = await self.db.run_in_writer(lambda conn: self._apply_batch(VoteWriter(conn), requests, now))
        except Exception as exc:
            log.exception("A batch of %d votes could not be committed", len(batch))
            outcomes = [exc] * len(batch)
        finally:
            self._done_committing()
        self.batches += 1
        for item, outcome in zip(batch, outcomes, strict=True):
            if item.future.done():
                continue
            if isinstance(outcome, BaseException):
                item.future.set_exception(outcome)
            else:
                item.future.set_result(outcome)

    def _apply_batch(
        self, writer: VoteWriter, requests: list[VoteRequest], now: datetime
    ) -> list[VoteOutcome | BaseException]:
        """Runs on the writer thread, inside one transaction; each vote in its own savepoint."""
        outcomes: list[VoteOutcome | BaseException] = []
        touched: set[int] = set()
        for request in requests:
            writer.savepoint()
            try:
                outcome = self._apply(writer, request, now)
            except Exception as exc:  # one bad vote must not undo the batch
                writer.rollback_to_savepoint()
                outcomes.append(exc)
            else:
                if outcome.accepted:
                    touched.add(outcome.poll_id)
                outcomes.append(outcome)
            writer.release()
        writer.mark_render_pending(sorted(touched))
        return outcomes

    def _facts_of(self, writer: VoteWriter, poll_id: int) -> PollFacts | None:
        # One writer at a time (the store's write lock), on the loop or its thread: no lock needed here.
        facts = self._facts.get(poll_id)
        if facts is None:
            facts = writer.facts(poll_id)
            if facts is None:
                return None
            self._facts[poll_id] = facts
            if len(self._facts) > FACTS_CACHE_SIZE:
                self._facts.popitem(last=False)
        else:
            self._facts.move_to_end(poll_id)
        return facts

    def _apply(self, writer: VoteWriter, request: VoteRequest, now: datetime, *, mark: bool = False) -> VoteOutcome:
        """One vote's reads and writes; `mark`: also flag its poll for a tally edit (a lone vote's transaction)."""
        facts = self._facts_of(writer, request.poll_id)
        if facts is None:
            return VoteOutcome(request.poll_id, refusal="vote.poll_missing")
        voter = voter_key(self.secret, request.poll_id, request.member_id, facts.anonymous)
        found = writer.poll_and_choices(request.poll_id, voter)
        if found is not None and (found[0].anonymous, found[0].multiple) != (facts.anonymous, facts.multiple):
            # Not the poll the cache knew (an unposted poll's id taken again): read it afresh.
            self.forget_poll(request.poll_id)
            return self._apply(writer, request, now, mark=mark)
        if found is None or found[0].status == "deleted":
            return VoteOutcome(request.poll_id, refusal="vote.poll_missing")
        poll, current = found
        if poll.status != "open" or now.timestamp() >= poll.closes_at:
            # The store decides a click racing the deadline, whatever the buttons showed.
            return VoteOutcome(request.poll_id, refusal="vote.poll_closed", channel_id=poll.channel_id)
        if poll.role_id is not None and poll.role_id not in request.role_ids:
            return VoteOutcome(request.poll_id, refusal="vote.role_required", role_id=poll.role_id)
        labels = facts.labels
        if request.position not in labels:
            return VoteOutcome(request.poll_id, refusal="vote.answer_missing")
        change = decide_vote(current, request.position, facts.multiple)
        if change.remove:
            writer.remove(request.poll_id, voter, change.remove)
        if change.add is not None:
            writer.add(request.poll_id, voter, change.add, to_ts(now))
        held = (current - change.remove) | ({change.add} if change.add is not None else set())
        if mark:
            writer.mark_one_render_pending(request.poll_id)
        return VoteOutcome(
            request.poll_id,
            added=labels[change.add] if change.add is not None else None,
            removed=tuple(labels[p] for p in sorted(change.remove)),
            choices=tuple(labels[p] for p in sorted(held)),
            channel_id=poll.channel_id,
            results_visibility=poll.results_visibility,
            results_published=poll.results_published,
        )
