"""The vote path with the bot in two shard processes against one, on one PostgreSQL, and where the CPU goes.

The real bot runs as child processes (``tests/e2e/child_bot.py``, started like ``tests/e2e/test_scale_out.py``
does): either two, on shards 0 and 1 of 2, or one owning both shards. The emulator plays Discord in the bench
process, with one server on each shard; crowds of distinct members click on the poll of both servers
(``IN_FLIGHT`` clicks awaiting their acknowledgement at any time); votes/s = clicks ÷ (first click → last ack).

CPU accounting: user + system seconds from ``/proc/<pid>/stat`` over the burst for the bench process (the
emulator), each bot process and the PostgreSQL server (the postmaster and its backends, including those that
exited meanwhile, counted in the postmaster's reaped-children times). CPU per vote = their sum ÷ votes; the
CPU-bound ceiling of the two-process rate is ``cores ÷ CPU per vote``, so the ceiling of the ratio is that
÷ the one-process rate: what the machine allows if every core did nothing but this work. The machine's
own busy time (``/proc/stat``) over the same stretch shows how much of the cores other work took meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.discord_emulator import DiscordEmulator, MessageRecord
    from tests.discord_emulator.state import ChannelRecord, MemberRecord
    from tests.postgres_server import PostgresServer

CLICKS_PER_SERVER = 1000
WARM_UP_PER_SERVER = 100
IN_FLIGHT = 200
TALLY_EDIT_SECONDS = "2.0"  # the bot's default
TICKS = os.sysconf("SC_CLK_TCK")


# --- CPU accounting from /proc ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessTimes:
    """One /proc/<pid>/stat line: parent, own CPU and the CPU of reaped children (seconds)."""

    pid: int
    ppid: int
    own: float
    reaped_children: float


def parse_stat(line: str) -> ProcessTimes:
    """Fields of ``/proc/<pid>/stat`` (proc(5)); the command name may hold spaces and parentheses."""
    pid = int(line.split(" ", 1)[0])
    fields = line[line.rindex(")") + 2 :].split()  # fields[0] is field 3 (state)
    utime, stime, cutime, cstime = (int(v) / TICKS for v in fields[11:15])
    return ProcessTimes(pid, int(fields[1]), utime + stime, cutime + cstime)


def process_times(pid: int) -> ProcessTimes | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        return parse_stat(Path(f"/proc/{pid}/stat").read_text())
    return None


def own_cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (its children excluded)."""
    times = process_times(pid)
    return times.own if times else 0.0


def tree_cpu_seconds(root: int) -> float:
    """CPU of `root` and every live descendant, plus the descendants that exited and were reaped.

    A child's time moves into its parent's reaped-children time when the parent waits for it, so the sum
    stays whole as PostgreSQL backends come and go.
    """
    everyone = [t for t in map(process_times, _all_pids()) if t is not None]
    children: dict[int, list[ProcessTimes]] = {}
    for times in everyone:
        children.setdefault(times.ppid, []).append(times)
    first = process_times(root)
    if first is None:
        return 0.0
    total, todo = 0.0, [first]
    while todo:
        times = todo.pop()
        total += times.own + times.reaped_children
        todo += children.get(times.pid, [])
    return total


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent on anything but idling since boot (the first line of /proc/stat)."""
    with contextlib.suppress(OSError, ValueError):
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        return (sum(fields) - fields[3] - fields[4]) / TICKS  # minus idle and iowait
    return 0.0


def _all_pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


@dataclass(frozen=True)
class CpuUse:
    """CPU seconds per participant over one measured stretch, and the votes it carried."""

    seconds: Mapping[str, float]
    votes: int
    wall: float
    machine: float = 0.0  # CPU seconds of the whole machine meanwhile (other work included)

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    @property
    def per_vote_ms(self) -> float:
        return 1000 * self.total / self.votes

    def share_ms(self, prefix: str) -> float:
        """CPU ms per vote of the participants whose name starts with `prefix`."""
        return 1000 * sum(v for k, v in self.seconds.items() if k.startswith(prefix)) / self.votes

    def ceiling_rate(self, cores: int, *, leaving_out: str | None = None) -> float:
        """Votes/s if `cores` cores did nothing but this work at this CPU cost per vote (without the
        participants whose name starts with `leaving_out`: the emulator stands in for Discord's servers)."""
        left_out = self.share_ms(leaving_out) * self.votes / 1000 if leaving_out else 0.0
        return cores * self.votes / (self.total - left_out)


class CpuMeter:
    """``meter.start()`` … ``meter.stop(votes, wall)``: CPU of named processes (trees, or the bench itself)."""

    def __init__(self, trees: Mapping[str, int], own: Mapping[str, int]) -> None:
        self.trees, self.own = dict(trees), dict(own)
        self._before: dict[str, float] = {}
        self._machine_before = 0.0

    def sample(self) -> dict[str, float]:
        found = {name: tree_cpu_seconds(pid) for name, pid in self.trees.items()}
        return found | {name: own_cpu_seconds(pid) for name, pid in self.own.items()}

    def start(self) -> None:
        self._before, self._machine_before = self.sample(), machine_busy_seconds()

    def stop(self, votes: int, wall: float) -> CpuUse:
        after, machine = self.sample(), machine_busy_seconds() - self._machine_before
        return CpuUse({k: after[k] - self._before[k] for k in after}, votes, wall, machine)


# --- the bot processes on the emulator -------------------------------------------------------------------


@dataclass
class Servers:
    """The two servers (one per shard), each with its moderator, channel and crowd."""

    channels: list[ChannelRecord | str]
    moderators: list[MemberRecord]
    crowds: list[list[MemberRecord]]


def build_servers(emu: DiscordEmulator) -> Servers:
    from tests.e2e.test_scale_out import second_guild

    other, other_channel, other_members = second_guild(emu)  # on the other shard than the default server
    size = CLICKS_PER_SERVER + WARM_UP_PER_SERVER
    home_crowd = emu.add_members(size, prefix="crowd")
    other_crowd = [emu.add_member(f"o{i}", locale="fr", guild=other, dispatch=False) for i in range(size)]
    return Servers(["general", other_channel], [emu.members["mod"], other_members[-1]], [home_crowd, other_crowd])


async def sync_commands_once(emu: DiscordEmulator, url: str) -> None:
    """The emulator keeps the synced command tree: an in-process bot syncs it once, the children use it."""
    from bot.client import Tribune
    from bot.settings import Settings
    from db.database import Database
    from tests.conftest import TEST_SECRET
    from tests.discord_emulator import connect_bot, sync_commands
    from tests.e2e.test_scale_out import T0

    settings = Settings.from_env({"DATABASE_URL": url, "TRIBUNE_SECRET": TEST_SECRET.decode()})
    bot = Tribune(settings, Database(settings.database), secret=TEST_SECRET, clock=lambda: T0)
    async with connect_bot(emu, bot):
        await sync_commands(bot)


@contextlib.asynccontextmanager
async def bot_processes(
    emu: DiscordEmulator, url: str, shard_sets: Sequence[str], log: Path
) -> AsyncIterator[list[int]]:
    """Child bots on `shard_sets` (e.g. ``["0", "1"]`` or ``["0-1"]``), settled; yields their pids."""
    from tests.e2e.test_scale_out import ShardChild

    os.environ["TRIBUNE_TEST_TALLY_EDIT_INTERVAL"] = TALLY_EDIT_SECONDS
    children = [ShardChild(emu, url, shards, log, 0) for shards in shard_sets]
    try:
        for child in children:
            await child.start()
        for child in children:
            await child.wait_for_line("SETTLED")
        yield [child.process.pid for child in children if child.process is not None]
    finally:
        for child in children:
            if child.process is not None:
                await child.stop()
        for name in ("TRIBUNE_SHARD_IDS", "TRIBUNE_SHARD_COUNT", "TRIBUNE_TEST_TALLY_EDIT_INTERVAL"):
            os.environ.pop(name, None)


async def click_all(emu: DiscordEmulator, clicks: Sequence[tuple[MemberRecord, MessageRecord]]) -> None:
    """Every click acknowledged, at most IN_FLIGHT awaiting their acknowledgement at once."""
    from bench.common import POLL_LABELS_FR

    semaphore = asyncio.Semaphore(IN_FLIGHT)

    async def one(i: int, member: MemberRecord, message: MessageRecord) -> None:
        async with semaphore:
            record = await emu.click(member, message, POLL_LABELS_FR[i % len(POLL_LABELS_FR)])
            response = await record.wait_response(timeout=30)
        if response.type != 4:  # the ephemeral "vote recorded" reply
            raise RuntimeError(f"click answered with callback type {response.type}")

    await asyncio.gather(*(one(i, m, msg) for i, (m, msg) in enumerate(clicks)))


def interleaved(servers: Servers, polls: Sequence[MessageRecord], members: slice) -> list[tuple[Any, Any]]:
    pairs = [[(m, poll) for m in crowd[members]] for crowd, poll in zip(servers.crowds, polls, strict=True)]
    return [pair for both in zip(*pairs, strict=True) for pair in both]


async def burst(
    emu: DiscordEmulator, server: PostgresServer, url: str, servers: Servers, shard_sets: Sequence[str], log: Path
) -> tuple[float, CpuUse]:
    """Votes/s of a crowd on both servers with the bot in ``len(shard_sets)`` processes, and the CPU it took."""
    from bench.common import Stopwatch, check_emulator, create_poll

    async with bot_processes(emu, url, shard_sets, log) as pids:
        polls = [
            await create_poll(emu, "Puces Trainium : crédible ?", member=mod, channel=channel)
            for mod, channel in zip(servers.moderators, servers.channels, strict=True)
        ]
        await click_all(emu, interleaved(servers, polls, slice(0, WARM_UP_PER_SERVER)))  # opens the HTTP pools
        meter = CpuMeter(
            trees={"postgres": server.pid, **{f"bot{i}": pid for i, pid in enumerate(pids)}},
            own={"emulator": os.getpid()},
        )
        clicks = interleaved(servers, polls, slice(WARM_UP_PER_SERVER, None))
        meter.start()
        with Stopwatch() as sw:
            await click_all(emu, clicks)
        use = meter.stop(len(clicks), sw.seconds)
    if emu.rate_limited_count:
        raise RuntimeError(f"the vote path met {emu.rate_limited_count} 429s")
    check_emulator(emu, "shards bench")
    return len(clicks) / sw.seconds, use


async def vote_path_runs(server: PostgresServer, reps: int, log: Path) -> dict[str, list[tuple[float, CpuUse]]]:
    """`reps` bursts with one process owning both shards and `reps` with two, alternating which goes first."""
    from bench.postgres import new_store
    from tests.discord_emulator import DiscordEmulator

    layouts = {"one": ["0-1"], "two": ["0", "1"]}
    out: dict[str, list[tuple[float, CpuUse]]] = {name: [] for name in layouts}
    url, _ = await new_store(server, with_poll=False)
    async with DiscordEmulator() as emu:
        servers = build_servers(emu)
        await sync_commands_once(emu, url)
        for rep in range(reps):
            order = list(layouts) if rep % 2 == 0 else list(reversed(layouts))
            for name in order:
                out[name].append(await burst(emu, server, url, servers, layouts[name], log))
    return out
