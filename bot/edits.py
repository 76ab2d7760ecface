"""Coalesced message edits: however many changes arrive, a message is edited at most once per interval.

Used for poll tallies and opinion "useful" counts. Plain asyncio: the caller's `apply` coroutine reads
the latest state and performs the edit, so the last edit always shows the final state. Edits in one
channel share that channel's budget, as Discord's rate limits do.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass

log = logging.getLogger(__name__)


class RetryLater(Exception):
    """Raised by `apply` when the edit must wait (Discord's hidden quota on old messages, error 30046)."""

    def __init__(self, delay: float | None = None) -> None:
        super().__init__(f"retry later ({delay})")
        self.delay = delay


@dataclass
class _Pending:
    channel_id: int
    dirty: bool = True
    task: asyncio.Task[None] | None = None
    last_edit: float = float("-inf")
    failures: int = 0


@dataclass
class EditStats:
    edits: int = 0
    retries: int = 0
    errors: int = 0


class EditCoalescer:
    """Schedules `apply(key)` so each key is edited at most once per `interval` seconds."""

    def __init__(
        self,
        apply: Callable[[Hashable], Awaitable[None]],
        *,
        interval: float = 2.0,
        channel_limit: int = 4,
        channel_window: float = 5.0,
        first_retry: float = 30.0,
        max_backoff: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._apply = apply
        self.interval = interval
        self.channel_limit = channel_limit
        self.channel_window = channel_window
        self.first_retry = first_retry
        self.max_backoff = max_backoff
        self._clock = clock
        self._pending: dict[Hashable, _Pending] = {}
        self._channel_edits: dict[int, deque[float]] = {}
        self._last_edit: dict[Hashable, float] = {}
        self.stats = EditStats()
        self._idle = asyncio.Event()
        self._idle.set()

    def request(self, key: Hashable, channel_id: int) -> None:
        """Mark `key` as changed; its message will show the change within about `interval` seconds."""
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = _Pending(channel_id, last_edit=self._last_edit.get(key, float("-inf")))
        pending.dirty = True
        if pending.task is None:
            self._idle.clear()
            pending.task = asyncio.get_running_loop().create_task(self._run(key, pending), name=f"edit:{key}")

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def wait_idle(self) -> None:
        """Wait until every requested edit has landed (tests, benchmarks, shutdown)."""
        await self._idle.wait()

    async def close(self) -> None:
        """Cancel scheduled edits (their state stays marked in the store and is redone at start-up)."""
        tasks = [p.task for p in self._pending.values() if p.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._pending.clear()
        self._idle.set()

    async def _run(self, key: Hashable, pending: _Pending) -> None:
        try:
            while pending.dirty:
                wait = pending.last_edit + self.interval - self._clock()
                if wait > 0:
                    await asyncio.sleep(wait)
                await self._take_channel_slot(pending.channel_id)
                pending.dirty = False  # changes arriving during the edit make it dirty again
                try:
                    await self._apply(key)
                except RetryLater as exc:
                    pending.dirty = True
                    pending.failures += 1
                    self.stats.retries += 1
                    delay = exc.delay if exc.delay is not None else self._backoff(pending.failures)
                    log.info("Edit of %s postponed by %.0f s", key, delay)
                    await asyncio.sleep(delay)
                    continue
                except asyncio.CancelledError:
                    raise
                except Exception:
                    pending.dirty = True
                    pending.failures += 1
                    self.stats.errors += 1
                    delay = self._backoff(pending.failures)
                    log.exception("Edit of %s failed; retrying in %.0f s", key, delay)
                    await asyncio.sleep(delay)
                    continue
                pending.failures = 0
                # The interval counts from when Discord answered: it counts edits as they arrive, and an edit
                # slowed on its way (store read, render, HTTP under load) must not land within an interval of
                # the next one (measured at 1.78 s apart when counted from the read; bench/tally.py).
                pending.last_edit = self._clock()
                self.stats.edits += 1
        finally:
            self._last_edit[key] = pending.last_edit
            if len(self._last_edit) > 4096:  # bounded memory: only recent edits matter for spacing
                for stale in list(self._last_edit)[:2048]:
                    del self._last_edit[stale]
            if self._pending.get(key) is pending:
                del self._pending[key]
            if not self._pending:
                self._idle.set()

    def _backoff(self, failures: int) -> float:
        return min(self.max_backoff, self.first_retry * 2 ** (failures - 1))

    async def _take_channel_slot(self, channel_id: int) -> None:
        edits = self._channel_edits.setdefault(channel_id, deque())
        while True:
            now = self._clock()
            while edits and now - edits[0] >= self.channel_window:
                edits.popleft()
            if len(edits) < self.channel_limit:
                edits.append(now)
                return
            await asyncio.sleep(edits[0] + self.channel_window - now)
