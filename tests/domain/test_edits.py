"""The edit coalescer with real asyncio timing (short intervals, no mocks)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Hashable

from bot.edits import EditCoalescer, RetryLater


async def test_a_burst_is_coalesced_and_the_last_edit_shows_the_final_state() -> None:
    state = {"votes": 0}
    shown: list[tuple[float, int]] = []

    async def apply(key: Hashable) -> None:
        shown.append((time.monotonic(), state["votes"]))

    coalescer = EditCoalescer(apply, interval=0.05, channel_limit=100)
    for _ in range(200):
        state["votes"] += 1
        coalescer.request("poll:1", channel_id=1)
        await asyncio.sleep(0.001)
    await asyncio.wait_for(coalescer.wait_idle(), 5)
    assert shown[-1][1] == 200  # the final state landed
    assert len(shown) < 20  # far fewer edits than changes
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(shown)]
    assert all(gap >= 0.045 for gap in gaps)  # at most one edit per interval


async def test_a_slow_edit_still_lands_an_interval_after_the_previous_one() -> None:
    # Discord counts edits as they arrive: the wait runs from the previous edit's answer, not from its start.
    spans: list[tuple[float, float]] = []

    async def slow_apply(key: Hashable) -> None:
        started = time.monotonic()
        await asyncio.sleep(0.04)  # store read, render and HTTP under load
        spans.append((started, time.monotonic()))

    coalescer = EditCoalescer(slow_apply, interval=0.1, channel_limit=100)
    for _ in range(40):
        coalescer.request("poll:1", channel_id=1)
        await asyncio.sleep(0.01)
    await asyncio.wait_for(coalescer.wait_idle(), 5)
    assert len(spans) >= 3
    assert all(nxt[0] - previous[1] >= 0.095 for previous, nxt in itertools.pairwise(spans))


async def test_polls_in_one_channel_share_its_budget() -> None:
    edits: list[float] = []

    async def apply(key: Hashable) -> None:
        edits.append(time.monotonic())

    coalescer = EditCoalescer(apply, interval=0.01, channel_limit=2, channel_window=0.2)
    for poll in range(5):
        coalescer.request(f"poll:{poll}", channel_id=7)
    await asyncio.wait_for(coalescer.wait_idle(), 5)
    assert len(edits) == 5
    for i in range(2, 5):
        assert edits[i] - edits[i - 2] >= 0.19  # never more than 2 edits in any 0.2 s window


async def test_retry_later_postpones_without_losing_the_final_state() -> None:
    attempts: list[int] = []
    state = {"value": 1}

    async def apply(key: Hashable) -> None:
        attempts.append(state["value"])
        if len(attempts) <= 2:
            raise RetryLater(0.02)

    coalescer = EditCoalescer(apply, interval=0.01)
    coalescer.request("old-message", channel_id=1)
    await asyncio.sleep(0.005)
    state["value"] = 2
    coalescer.request("old-message", channel_id=1)
    await asyncio.wait_for(coalescer.wait_idle(), 5)
    assert attempts[-1] == 2 and len(attempts) == 3
    assert coalescer.stats.retries == 2 and coalescer.stats.edits == 1


async def test_unexpected_errors_back_off_exponentially() -> None:
    calls: list[float] = []

    async def apply(key: Hashable) -> None:
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise RuntimeError("discord hiccup")

    coalescer = EditCoalescer(apply, interval=0.0, first_retry=0.02)
    coalescer.request("k", channel_id=1)
    await asyncio.wait_for(coalescer.wait_idle(), 5)
    assert len(calls) == 3 and coalescer.stats.errors == 2
    assert calls[2] - calls[1] >= 1.8 * (calls[1] - calls[0]) * 0.9
