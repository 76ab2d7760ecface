"""What every group shares: figures and their table, machine description, quiet logs, the bot on the emulator."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import inspect
import logging
import math
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.client import Tribune
    from tests.discord_emulator import DiscordEmulator, MessageRecord
    from tests.discord_emulator.state import ChannelRecord, MemberRecord

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "tests" / "fixtures"
BENCH_SECRET = b"tribune-bench-secret"
POLL_LABELS_FR = ("Oui", "Plutôt oui", "Plutôt non", "Non", "Sans avis")


# --- figures --------------------------------------------------------------------------------------------


@dataclass
class Figure:
    """One measured quantity: its samples (one per run/round), how to show them and what it is held to.

    ``ok`` is None for figures without a target. ``ratio`` is free text shown before the verdict.
    """

    group: str
    name: str
    samples: list[float]
    unit: str = ""
    decimals: int = 0
    target: str = "—"
    ok: bool | None = None
    ratio: str = ""
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else math.nan

    @property
    def low(self) -> float:
        return min(self.samples) if self.samples else math.nan

    @property
    def high(self) -> float:
        return max(self.samples) if self.samples else math.nan

    def show(self, value: float) -> str:
        """``1 234 votes/s``-style text (plain ASCII thousands separator: terminals and markdown)."""
        if math.isnan(value):
            return "n/a"
        text = f"{value:,.{self.decimals}f}".replace(",", " ")
        return f"{text} {self.unit}".strip()

    @property
    def verdict(self) -> str:
        parts = [self.ratio] if self.ratio else []
        if self.ok is not None:
            parts.append("met" if self.ok else "MISSED")
        return " · ".join(parts) or "—"

    def judge(self, predicate: Callable[[float], bool], target: str, *, on: str = "median") -> Figure:
        """Set the target text and the verdict from the median (or ``on="max"`` for a bound every run must meet)."""
        value = {"median": self.median, "max": self.high, "min": self.low}[on]
        self.target = target if on == "median" else f"{target} ({on})"
        self.ok = bool(self.samples) and predicate(value)
        return self


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (p99 of 200 values is the 198th smallest)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def ratio_text(numerator: float, denominator: float, what: str) -> str:
    if not denominator or math.isnan(numerator) or math.isnan(denominator):
        return f"n/a × {what}"
    return f"{numerator / denominator:.2f}× {what}"


HEADERS = ("figure", "median", "min", "max", "n", "target", "ratio / verdict")


def rows(figures: Sequence[Figure]) -> list[tuple[str, ...]]:
    return [
        (f.name, f.show(f.median), f.show(f.low), f.show(f.high), str(len(f.samples)), f.target, f.verdict)
        for f in figures
    ]


def text_table(figures: Sequence[Figure], cores: int) -> str:
    """The fixed-width table printed on the terminal (one line per figure, with the core count)."""
    headers = (*HEADERS, "cores")
    body = [(*row, str(cores)) for row in rows(figures)]
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(headers)]
    numeric = {1, 2, 3, 4, 7}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    out = [line(headers), "  ".join("-" * w for w in widths)]
    group = None
    for figure, row in zip(figures, body, strict=True):
        if figure.group != group and group is not None:
            out.append("")
        group = figure.group
        out.append(line(row))
    return "\n".join(out)


def markdown_table(figures: Sequence[Figure]) -> str:
    out = ["| " + " | ".join(HEADERS) + " |", "|" + "|".join(" --- " for _ in HEADERS) + "|"]
    out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows(figures)]
    return "\n".join(out)


# --- machine --------------------------------------------------------------------------------------------


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def core_count() -> int:
    """Cores this process may run on (what the figures were measured with)."""
    with contextlib.suppress(AttributeError):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@dataclass(frozen=True)
class Machine:
    cores: int
    cpu: str
    python: str
    date: str
    load: str

    @classmethod
    def here(cls) -> Machine:
        load = "n/a"
        with contextlib.suppress(OSError):
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        return cls(
            cores=core_count(),
            cpu=cpu_model(),
            python=f"{platform.python_implementation()} {platform.python_version()}",
            date=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
            load=load,
        )

    def describe(self) -> str:
        """``2 cores · AMD EPYC · CPython 3.11.7 · 2026-11-26 10:00 UTC · load avg 0.39 0.62 0.61``."""
        return f"{self.hardware} · {self.date} · load avg {self.load}"

    @property
    def hardware(self) -> str:
        return f"{self.cores} cores · {self.cpu} · {self.python}"


def rss_kib() -> int:
    """Resident memory of this process now (VmRSS), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# --- quiet, reproducible runs ---------------------------------------------------------------------------


def quiet_logs() -> None:
    """Only errors reach the terminal (discord.py warns about PyNaCl, intents, etc. at start-up)."""
    root = logging.getLogger()
    if not any(getattr(h, "_bench", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setLevel(logging.ERROR)
        handler.setFormatter(logging.Formatter("[bench] %(levelname)s %(name)s: %(message)s"))
        handler._bench = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(logging.ERROR)
    for name in ("discord", "bot", "cogs", "db", "aiohttp", "aiosqlite", "asyncio"):
        logging.getLogger(name).setLevel(logging.ERROR)
    # The emulator warns once when Discord's OpenAPI description is missing; it is not a benchmark concern.
    warnings.filterwarnings("ignore", module=r"tests\.discord_emulator.*")


class GcTimer:
    """``with GcTimer() as gc_time: ...`` then ``gc_time.seconds``: time spent in Python's cyclic collector."""

    def __enter__(self) -> GcTimer:
        self.seconds = 0.0
        self.full = 0  # generation-2 collections
        self._started = 0.0
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started:
            self.seconds += time.perf_counter() - self._started
            self.full += info.get("generation") == 2


class Stopwatch:
    """``with Stopwatch() as sw: ...`` then ``sw.seconds``."""

    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started


@dataclass
class GroupResult:
    """What a group hands back: its figures, free notes for RESULTS.md, and its wall time."""

    name: str
    figures: list[Figure]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


# --- the real bot on the emulator -----------------------------------------------------------------------


def make_tribune(db_path: Path, *, environ: Mapping[str, str] | None = None, **options: Any) -> Tribune:
    """The real bot as production builds it: real settings, a Database on a SQLite file, the real clock.

    ``environ``: the variables its settings are read from (``TRIBUNE_WEB_PORT``…), the store always being
    ``db_path``; none by default. Only ``tally_edit_interval`` and friends may be passed as options;
    defaults are the bot's own (2 s edits).
    """
    from bot.client import Tribune
    from bot.settings import Settings
    from db.database import Database

    settings = Settings.from_env({**(environ or {}), "DATABASE_URL": f"sqlite:///{db_path}"})
    return Tribune(settings, Database(settings.database), secret=BENCH_SECRET, **options)


async def create_poll(
    emu: DiscordEmulator, question: str, *, member: MemberRecord | None = None, channel: ChannelRecord | str = "general"
) -> MessageRecord:
    """A moderator runs ``/poll create`` (default French scale answers); returns the posted poll message."""
    record = await emu.invoke(member or emu.members["mod"], "poll create", channel=channel, question=question)
    await record.wait_reply(timeout=10)
    message = emu.last_message(channel)
    if message is None or not message.embeds:
        raise RuntimeError("/poll create posted no poll message")
    return message


def check_emulator(emu: DiscordEmulator, where: str) -> None:
    """Failures the emulator recorded (what real Discord would refuse, swallowed bot errors) void a run."""
    if emu.failures:
        listing = "; ".join(str(f) for f in emu.failures[:5])
        raise RuntimeError(f"{where}: the emulator recorded {len(emu.failures)} failure(s): {listing}")


def timed_group(measure: Callable[[], Any], *, harness_on_uvloop: bool = False) -> GroupResult:
    """Run one group's `measure` (a function or a coroutine function) quietly and record how long it took.

    `harness_on_uvloop`: groups whose bot runs in its own process run the bench's side (the emulator) on the
    fastest loop available, so that the harness is not what limits the bot's throughput.
    """
    quiet_logs()
    with Stopwatch() as sw:
        result = measure()
        if inspect.iscoroutine(result):
            if harness_on_uvloop:
                from bot.__main__ import run_async

                # The harness's import-time objects (~67k) are never garbage: frozen, a full collection in the
                # bench process no longer walks them (70–85 ms a session, counted as the emulator's CPU).
                gc.collect()
                gc.freeze()
                result = run_async(result)
            else:
                result = asyncio.run(result)
    result.seconds = sw.seconds
    return result
