"""Figure 2: the live tally under a burst of 10,000 votes on one poll.

10,000 distinct members click one poll's answers with at most 200 clicks in flight (the emulator's
``gather_limited``), against the real bot with its default tally edit interval (2 s). Measured: how many times
the poll message was edited (``emulator.edits_of``), how many 429s Discord (the emulator) answered, and the
delay from the last vote's acknowledgement (``InteractionRecord.created + CallbackRecord.elapsed``, emulator
monotonic clock) to the moment the message shows the exact final tally — the block ``render_tally`` renders
for the known final counts (French formatting: ``10 000 votants`` with U+202F), found in the embed description.
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (
    POLL_LABELS_FR,
    Figure,
    GcTimer,
    GroupResult,
    Stopwatch,
    check_emulator,
    create_poll,
    percentile,
    running_tribune,
    timed_group,
)

NAME = "tally"
VOTES = 10_000
IN_FLIGHT = 200
REPS = 3
BUDGET_SECONDS = 100.0  # stop repeating before the group could pass two minutes
# Answer positions clicked in turn: an uneven final tally (so partial states cannot look final).
PATTERN = (0, 0, 0, 1, 1, 2, 3, 3, 4, 0, 1, 3)


VOTERS_SHOWN = re.compile(r"\n(\d[\d\u202f]*) votants?\n")


def worst_visibility(acks: list[float], edits: list[tuple[float, int]]) -> float:
    """The longest time any vote waited between its acknowledgement and an edit showing it.

    ``edits`` are (time, voters shown) of the poll message's accepted PATCHes. Votes are taken to commit in
    acknowledgement order (the recorder commits its queue in order and acknowledges after each commit), so
    an edit showing N voters shows the N first acknowledged votes.
    """
    ordered = sorted(acks)
    worst = 0.0
    shown = 0
    for at, voters in sorted(edits):
        for rank in range(shown, min(voters, len(ordered))):
            worst = max(worst, at - ordered[rank])
        shown = max(shown, voters)
    if shown < len(ordered):
        return float("inf")
    return worst


def final_counts() -> dict[int, int]:
    counts: dict[int, int] = {}
    for i in range(VOTES):
        position = PATTERN[i % len(PATTERN)]
        counts[position] = counts.get(position, 0) + 1
    return counts


async def burst_once(tmp: Path) -> dict[str, float]:
    from bot.polls.tally import compute_tally, render_tally
    from db.polls import PollStore
    from tests.discord_emulator import DiscordEmulator, gather_limited

    async with DiscordEmulator() as emu:
        async with running_tribune(emu, tmp / "tribune.db") as bot:
            message = await create_poll(emu, "Rafale : 10 000 votes en quelques secondes ?")
            async with bot.db.read() as conn:
                poll = await PollStore(conn).by_message(message.id)
            assert poll is not None
            counts = final_counts()
            expected = render_tally(compute_tally(poll.options, counts, VOTES), "fr")
            members = emu.add_members(VOTES, prefix="burst")
            edits_before = emu.edits_of(message)
            limited_before = emu.rate_limited_count

            async def click(i: int, member: Any) -> tuple[float, float]:
                record = await emu.click(member, message, POLL_LABELS_FR[PATTERN[i % len(PATTERN)]])
                response = await record.wait_response(timeout=10)
                return record.created + response.elapsed, response.elapsed

            with Stopwatch() as sw, GcTimer() as collector:
                acks = await gather_limited([click(i, m) for i, m in enumerate(members)], limit=IN_FLIGHT)
            last_ack = max(at for at, _ in acks)

            def shows_final() -> bool:
                return expected in emu.message(message.id).embeds[0].get("description", "")

            await emu.wait_for(shows_final, timeout=30, message="the final tally never reached the poll message")
            delay = time.monotonic() - last_ack
            await bot.polls.edits.wait_idle()  # type: ignore[union-attr]
            edits = [
                (req.at, int(match.group(1).replace("\u202f", "")))
                for req in emu.requests_matching("PATCH", str(message.id))
                if req.status == 200
                and isinstance(req.json, dict)
                and (match := VOTERS_SHOWN.search((req.json.get("embeds") or [{}])[0].get("description") or ""))
            ]
            result = {
                "worst": worst_visibility([at for at, _ in acks], edits),
                "rate": VOTES / sw.seconds,
                "gc": collector.seconds / sw.seconds,
                "seconds": sw.seconds,
                "edits": float(emu.edits_of(message) - edits_before),
                "limited": float(emu.rate_limited_count - limited_before),
                "delay": delay,
                "p99": percentile([elapsed for _, elapsed in acks], 0.99),
            }
        check_emulator(emu, "tally burst")
    return result


async def measure() -> GroupResult:
    runs: list[dict[str, float]] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tribune-bench-") as name:
        for rep in range(REPS):
            rep_started = time.perf_counter()
            rep_dir = Path(name) / f"rep{rep}"
            rep_dir.mkdir()
            runs.append(await burst_once(rep_dir))
            last = time.perf_counter() - rep_started
            if rep + 1 < REPS and time.perf_counter() - started + last > BUDGET_SECONDS:
                break

    def col(key: str, scale: float = 1.0) -> list[float]:
        return [run[key] * scale for run in runs]

    figures = [
        Figure(
            NAME, f"burst: {VOTES:_} votes, {IN_FLIGHT} in flight: votes/s".replace("_", " "), col("rate"), "votes/s"
        ),
        Figure(NAME, "burst: duration", col("seconds"), "s", 1),
        Figure(NAME, "burst: click→ack p99", col("p99", 1000.0), "ms"),
        Figure(NAME, "burst: share of it spent in Python's GC", col("gc", 100.0), "%"),
        Figure(
            NAME,
            "burst: edits of the poll message",
            col("edits"),
            "edits",
            ratio=f"{max(run['edits'] / run['seconds'] for run in runs):.2f}/s at most",
        ),
        Figure(NAME, "burst: 429s received", col("limited"), "").judge(lambda v: v == 0, "0"),
        Figure(NAME, "burst: last ack → exact final tally shown", col("delay"), "s", 2).judge(
            lambda v: v <= 2.0, "≤ 2 s", on="max"
        ),
        Figure(NAME, "burst: ack → shown on the message, worst vote", col("worst"), "s", 2).judge(
            lambda v: v <= 2.0, "≤ 2 s (bound)"
        ),
    ]
    notes = [
        f"{len(runs)} bursts (fresh emulator, bot and store each); default tally edit interval 2 s; answers clicked "
        f"in the fixed pattern {PATTERN} so the final tally is uneven and known in advance.",
        "The emulator keeps every interaction, request and message it saw (~65 GC-tracked objects per vote, three "
        "quarters of them its records), so "
        "Python's cyclic GC walks a growing heap during the burst: the `GC` share is that harness cost, paid by the "
        "bot's event loop too since both share the process.",
        "Edits are counted from the first click until the edit coalescer is idle after the final tally.",
        "The final-tally delay depends on where the last vote falls in the 2 s edit cycle, so its verdict is on the "
        "worst run (max). `worst vote` = over all 10 000 votes of a burst, the longest wait between a vote's ack and "
        "the first accepted edit whose voter count includes it (emulator request times; votes assumed committed in "
        "ack order): the bound the last vote is subject to.",
    ]
    return GroupResult(NAME, figures, notes)


def run() -> GroupResult:
    return timed_group(measure)


if __name__ == "__main__":
    import sys

    from bench.__main__ import main

    raise SystemExit(main([NAME, *sys.argv[1:]]))
